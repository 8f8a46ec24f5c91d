// The reconcile loop: a pass at start and every interval, never two at once. A pass
// asked for while one runs (a registry push, say) runs right after it, since the running
// pass may already have read the source that just changed; requests that pile up meanwhile
// are merged into that one pass.
import type { BotDeps, Scope } from '../types.ts';
import { reconcileScope, type AppReconciled, type ReconcileMemo } from './run.ts';

export interface Reconciler {
  /** A pass now, or right after the one in progress. `images`: only the apps using one of
   *  these images (a registry push); all apps when omitted. */
  run(images?: string[]): Promise<AppReconciled[]>;
  stop(): void;
}

type Want = Set<string> | 'all';

export function startReconciler(opts: { deps: BotDeps; scopes: () => Promise<Scope[]>; intervalMs: number; memo: ReconcileMemo }): Reconciler {
  const { deps } = opts;
  let stopped = false;
  let running: Promise<AppReconciled[]> | undefined;
  let queued: { want: Want; pass: Promise<AppReconciled[]> } | undefined;

  async function pass(want: Want): Promise<AppReconciled[]> {
    const out: AppReconciled[] = [];
    const started = Date.now();
    const images = want === 'all' ? undefined : [...want];
    try {
      for (const scope of await opts.scopes()) {
        if (stopped) break;
        try {
          out.push(...(await reconcileScope(deps, scope, opts.memo, images)));
        } catch (err) {
          deps.log.error({ err: (err as Error).message }, 'reconcile pass failed for an installation; trying again next pass');
        }
      }
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, 'reconcile pass could not list the installations; trying again next pass');
    }
    deps.log.info({ apps: out.length, changed: out.filter((r) => r.changed).length, ms: Date.now() - started, images }, 'reconcile pass done');
    return out;
  }

  function start(want: Want): Promise<AppReconciled[]> {
    running = pass(want).finally(() => (running = undefined));
    return running;
  }

  function run(images?: string[]): Promise<AppReconciled[]> {
    const want: Want = images ? new Set(images) : 'all';
    if (!running) return start(want);
    if (queued) {
      if (queued.want !== 'all') queued.want = want === 'all' ? 'all' : new Set([...queued.want, ...want]);
      return queued.pass;
    }
    const next: { want: Want; pass: Promise<AppReconciled[]> } = { want, pass: Promise.resolve([]) };
    next.pass = running.then((): Promise<AppReconciled[]> => {
      queued = undefined;
      return start(next.want);
    });
    queued = next;
    return next.pass;
  }

  let timer: NodeJS.Timeout | undefined;
  if (opts.intervalMs > 0) {
    void run();
    timer = setInterval(() => void run(), opts.intervalMs);
    timer.unref();
  }
  return {
    run,
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}
