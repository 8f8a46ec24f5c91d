// Notifications per app. An app may name its own Slack / webhook environment variables
// (`notify:` in the config); everything else goes to the global SLACK_WEBHOOK_URL /
// NOTIFY_WEBHOOK_URL. One Dispatcher per distinct target set, built on first use, so a
// repo with a hundred apps sharing one channel still has one retry queue.
import { Dispatcher, notifiersFromEnv, type AppNotify, type DispatcherOptions, type Notice } from '../notify/index.ts';
import type { Logger } from './types.ts';

export class NotifierHub {
  private readonly dispatchers = new Map<string, Dispatcher>();
  /** Problems are logged once per target set, not once per event. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly opts: Omit<DispatcherOptions, 'log'> & { log: Logger; timeoutMs?: number },
  ) {}

  /** Schedules `notice` for the app's targets and returns at once; never throws. */
  notify(notice: Notice, appNotify?: AppNotify): void {
    try {
      this.dispatcherFor(notice.app, appNotify).notify(notice);
    } catch (err) {
      this.opts.log.error({ app: notice.app, err: (err as Error).message }, 'notification could not be scheduled');
    }
  }

  /** Waits for every scheduled delivery (graceful shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((d) => d.flush()));
  }

  /** Names of the notifiers an app's notices go to (never their URLs). */
  targetsOf(appNotify?: AppNotify): string[] {
    return this.dispatcherFor(undefined, appNotify).notifierNames;
  }

  private dispatcherFor(app: string | undefined, appNotify?: AppNotify): Dispatcher {
    const key = `${appNotify?.slack ?? ''}\0${appNotify?.webhook ?? ''}`;
    let d = this.dispatchers.get(key);
    if (d) return d;
    const { notifiers, problems } = notifiersFromEnv(this.env, appNotify, { app, timeoutMs: this.opts.timeoutMs });
    if (!this.reported.has(key)) {
      this.reported.add(key);
      for (const p of problems) this.opts.log.warn({ code: p.code, app }, p.message);
    }
    d = new Dispatcher(notifiers, this.opts);
    this.dispatchers.set(key, d);
    return d;
  }
}
