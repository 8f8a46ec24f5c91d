// Runs the ticks on node-cron. One cron per distinct `rollout.schedule` expression; each
// run reads the config (parsed again only when the tree changed) and ticks the apps whose
// schedule (still) is that expression. A re-scan (at start, then on its own cron) picks up
// apps and schedules added later and stops crons no app uses any more. Expressions are
// evaluated in UTC.
import { loadConfigAt } from '../../config/load.ts';
import { repoName } from '../../forge/types.ts';
import { observePass } from '../../metrics/record.ts';
import { scheduleCron, type CronHandle } from '../../rollout/cron.ts';
import { tickAll, type TickDeps, type TickResult } from './tick.ts';
import type { Scope } from '../types.ts';

export interface SchedulerOptions {
  deps: TickDeps;
  /** Every installation's scope in GitHub mode, the one local scope in local mode. */
  scopes: () => Promise<Scope[]>;
  /** Cron for the re-scan; every five minutes by default. */
  rescan?: string;
  timezone?: string;
}

export interface Scheduler {
  /** Expressions with a running cron. */
  schedules(): string[];
  rescan(): Promise<void>;
  /** What one cron run does; exposed so it can be driven without waiting for the cron. */
  run(expr: string): Promise<TickResult[]>;
  stop(): void;
}

export function startScheduler(opts: SchedulerOptions): Scheduler {
  const { deps } = opts;
  const timezone = opts.timezone ?? 'UTC';
  const crons = new Map<string, CronHandle>();
  let stopped = false;

  async function run(expr: string): Promise<TickResult[]> {
    const started = Date.now();
    const out: TickResult[] = [];
    for (const scope of await opts.scopes()) {
      try {
        out.push(...(await tickAll(deps, scope, deps.clock.now(), (_app, c) => c.rollout?.schedule === expr)));
      } catch (err) {
        deps.log.error({ err: (err as Error).message, schedule: expr }, 'scheduled tick failed');
      }
    }
    observePass('tick', started);
    return out;
  }

  async function schedulesInUse(): Promise<Set<string>> {
    const found = new Set<string>();
    for (const scope of await opts.scopes()) {
      const token = await scope.token();
      for (const repo of await scope.configRepos()) {
        try {
          const apps = await deps.workspaces.with(repo, token, async (ws) => {
            await ws.sync();
            return Object.values(loadConfigAt(ws.dir, await ws.cleanTree())?.config.apps ?? {});
          });
          for (const a of apps) if (a.rollout) found.add(a.rollout.schedule);
        } catch (err) {
          deps.log.warn({ repo: repoName(repo.id), err: (err as Error).message }, 'scheduler: cannot read the config; keeping its crons');
          for (const expr of crons.keys()) found.add(expr);
        }
      }
    }
    return found;
  }

  async function rescan(): Promise<void> {
    let wanted: Set<string>;
    try {
      wanted = await schedulesInUse();
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, 'scheduler: re-scan failed; keeping the current crons');
      return;
    }
    if (stopped) return;
    for (const [expr, handle] of crons) {
      if (wanted.has(expr)) continue;
      handle.stop();
      crons.delete(expr);
    }
    for (const expr of wanted) {
      if (crons.has(expr)) continue;
      crons.set(expr, scheduleCron(expr, () => run(expr), { timezone, name: `gitops-canary ${expr}` }));
      deps.log.info({ schedule: expr }, 'scheduler: ticking rollouts on this schedule');
    }
  }

  const rescanner = scheduleCron(opts.rescan ?? '*/5 * * * *', rescan, { timezone, name: 'gitops-canary rescan' });
  void rescan();

  return {
    schedules: () => [...crons.keys()],
    rescan,
    run,
    stop() {
      stopped = true;
      rescanner.stop();
      for (const h of crons.values()) h.stop();
      crons.clear();
    },
  };
}
