// The reconcile loop: a pass at start, then whenever the next app falls due (every
// RECONCILE_INTERVAL, or sooner for an app with its own `reconcileInterval`), never two at
// once. A pass asked for while one runs (a registry push, say) runs right after it, since
// the running pass may already have read the source that just changed; requests that pile
// up meanwhile are merged into that one pass.
import type { BotDeps, Scope } from '../types.ts';
import { observePass } from '../../metrics/record.ts';
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
          out.push(...(await reconcileScope(deps, scope, opts.memo, { images, everyMs: opts.intervalMs })));
        } catch (err) {
          deps.log.error({ err: (err as Error).message }, 'reconcile pass failed for an installation; trying again next pass');
        }
      }
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, 'reconcile pass could not list the installations; trying again next pass');
    }
    deps.log.info({ apps: out.length, changed: out.filter((r) => r.changed).length, ms: Date.now() - started, images }, 'reconcile pass done');
    observePass('reconcile', started);
    return out;
  }

  function start(want: Want): Promise<AppReconciled[]> {
    if (want === 'all') opts.memo.wakeAt = undefined;
    running = pass(want).finally(() => {
      running = undefined;
      if (want === 'all') schedule();
    });
    return running;
  }

  let timer: NodeJS.Timeout | undefined;
  // After each full pass: sleep until the next app is due, never longer than the interval
  // (a new app in a config appears within it) and never shorter than a second.
  function schedule(): void {
    if (stopped || opts.intervalMs <= 0) return;
    clearTimeout(timer);
    const wake = opts.memo.wakeAt ?? Date.now() + opts.intervalMs;
    const delay = Math.min(opts.intervalMs, Math.max(1000, wake - Date.now()));
    timer = setTimeout(() => void run(), delay);
    timer.unref();
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

  if (opts.intervalMs > 0) void run();
  return {
    run,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
