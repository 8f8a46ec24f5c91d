// The reconcile loop: a pass at start and every interval, never two at once (a slow pass
// makes the next one wait, it is not stacked).
import type { BotDeps, Scope } from '../types.ts';
import { reconcileScope, type AppReconciled, type ReconcileMemo } from './run.ts';

export interface Reconciler {
  /** One pass now (joins the pass in progress, if any). */
  run(): Promise<AppReconciled[]>;
  stop(): void;
}

export function startReconciler(opts: { deps: BotDeps; scopes: () => Promise<Scope[]>; intervalMs: number; memo: ReconcileMemo }): Reconciler {
  const { deps } = opts;
  let running: Promise<AppReconciled[]> | undefined;
  let stopped = false;
  const run = (): Promise<AppReconciled[]> => {
    running ??= (async () => {
      const out: AppReconciled[] = [];
      const started = Date.now();
      try {
        for (const scope of await opts.scopes()) {
          if (stopped) break;
          try {
            out.push(...(await reconcileScope(deps, scope, opts.memo)));
          } catch (err) {
            deps.log.error({ err: (err as Error).message }, 'reconcile pass failed for an installation; trying again next pass');
          }
        }
      } catch (err) {
        deps.log.error({ err: (err as Error).message }, 'reconcile pass could not list the installations; trying again next pass');
      }
      deps.log.info({ apps: out.length, changed: out.filter((r) => r.changed).length, ms: Date.now() - started }, 'reconcile pass done');
      return out;
    })().finally(() => (running = undefined));
    return running;
  };
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
