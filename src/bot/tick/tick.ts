// A scheduler tick works per config repo, not per app: one sync, one config load (parsed
// once per tree), and per branch one history read that every app's state is taken from
// (view.ts). Every app is decided in memory (assess.ts); only the apps whose decision
// must be carried out take the per-app path (act.ts), which fetches, re-reads its state
// on the fresh tree and pushes. A tick in which nothing is due runs no git process per
// app and pushes nothing.
import type { AppConfig } from '../../config/index.ts';
import { loadConfigAt } from '../../config/load.ts';
import { BotError } from '../../errors.ts';
import { repoName } from '../../forge/types.ts';
import type { Workspace } from '../../git/workspace.ts';
import { countTick } from '../../metrics/record.ts';
import type { ConfigRepo, Scope } from '../types.ts';
import { memoryContentStore } from '../../manifests/tree-store.ts';
import { act, stoodDown } from './act.ts';
import { assess, type Assessed, type GateMemo } from './assess.ts';
import { tickBranch, type TickBranch } from './branch.ts';
import type { TickContext, TickDeps, TickResult } from './types.ts';
import { readView, type BranchView } from './view.ts';
import { pooled } from '../../pool.ts';

export type { TickContext, TickDeps, TickOutcome, TickResult } from './types.ts';

type RolloutApp = [string, AppConfig & { rollout: NonNullable<AppConfig['rollout']> }];
type Base = Pick<TickContext, 'deps' | 'scope' | 'repo' | 'now'>;

/** Apps decided at once: gate queries of different apps overlap, up to this many. */
const ASSESS_CONCURRENCY = 8;

/** Ticks one app of one config repo at `now`. */
export async function tickApp(deps: TickDeps, scope: Scope, repo: ConfigRepo, app: string, now: Date = deps.clock.now()): Promise<TickResult> {
  return deps.workspaces.with(repo, await scope.token(), async (ws) => {
    let config: AppConfig | undefined;
    try {
      await ws.sync();
      config = loadConfigAt(ws.dir, await ws.cleanTree())?.config.apps[app];
    } catch (err) {
      return counted(failure(scope, repo, app, err));
    }
    if (!config?.rollout) return counted({ repo: repoName(repo.id), app, outcome: 'skipped', note: config ? 'app has no rollout section' : 'app is not in the config' });
    const [r] = await tickApps({ deps, scope, repo, now }, ws, [[app, config as RolloutApp[1]]]);
    return r;
  });
}

/** Ticks every app with a `rollout:` section in every config repo of the scope (those
 *  `only` accepts). One app's failure never stops the others. */
export async function tickAll(deps: TickDeps, scope: Scope, now: Date = deps.clock.now(), only?: (app: string, config: AppConfig) => boolean): Promise<TickResult[]> {
  const out: TickResult[] = [];
  const token = await scope.token();
  for (const repo of await scope.configRepos()) {
    const results = await deps.workspaces.with(repo, token, async (ws) => {
      let apps: RolloutApp[];
      try {
        await ws.sync();
        const loaded = loadConfigAt(ws.dir, await ws.cleanTree());
        apps = Object.entries(loaded?.config.apps ?? {}).filter((e): e is RolloutApp => e[1].rollout !== undefined && (!only || only(e[0], e[1])));
      } catch (err) {
        if (!(err instanceof BotError)) throw err;
        scope.log.error({ repo: repoName(repo.id), code: err.code, err: err.message }, 'scheduled tick: cannot read the config');
        return [{ repo: repoName(repo.id), app: '*', outcome: 'failed' as const, note: err.message }];
      }
      return tickApps({ deps, scope, repo, now }, ws, apps);
    });
    out.push(...results);
  }
  return out;
}

/** Ticks `apps` (config order) on the working copy just synced to the default branch. */
async function tickApps(base: Base, ws: Workspace, apps: RolloutApp[]): Promise<TickResult[]> {
  const results = new Map<string, TickResult>();
  const gates: GateMemo = new Map();
  // what the analysis parses out of files, by their content: valid on any branch and tree
  const content = memoryContentStore();
  let first = true;
  for (const [name, group] of byBranch(apps)) {
    let view: BranchView;
    let branch: TickBranch;
    try {
      // the default branch is what the caller synced; later groups find the tree moved
      if (name !== undefined || !first) await ws.sync(name);
      branch = tickBranch(ws, name, content);
      view = await readView(ws, branch);
    } catch (err) {
      for (const [app] of group) results.set(app, failure(base.scope, base.repo, app, err));
      continue;
    } finally {
      first = false;
    }
    const assessed = await pooled(group, ASSESS_CONCURRENCY, ([app, config]) =>
      assess(base, view, app, config, gates).catch((err: unknown): Assessed => ({ result: failure(base.scope, base.repo, app, err) })),
    );
    let pushed = false;
    for (const [i, [app, config]] of group.entries()) {
      const { result, act: due } = assessed[i];
      if (!due) {
        results.set(app, result);
        continue;
      }
      const r = await attempt(base.scope, base.repo, app, async () => {
        const done = await act(due.action, { ...due.ctx, ws, branch });
        // Decided on the tree as it was before this tick's own pushes: decide again on
        // the tree as it is now, as a tick of this app alone would have.
        if (!pushed || !stoodDown(done)) return done;
        await ws.sync(branch.name);
        const again = await assess(base, await readView(ws, branch), app, config, gates);
        return again.act ? act(again.act.action, { ...again.act.ctx, ws, branch }) : again.result;
      });
      if (r.commit) pushed = true;
      results.set(app, r);
    }
  }
  return apps.map(([app]) => counted(results.get(app)!));
}

/** Apps grouped by the branch their state lives on (undefined: the default branch), in
 *  the order the branches first appear. */
function byBranch(apps: RolloutApp[]): Map<string | undefined, RolloutApp[]> {
  const out = new Map<string | undefined, RolloutApp[]>();
  for (const entry of apps) {
    const b = entry[1].branch;
    const list = out.get(b);
    if (list) list.push(entry);
    else out.set(b, [entry]);
  }
  return out;
}

async function attempt(scope: Scope, repo: ConfigRepo, app: string, fn: () => Promise<TickResult>): Promise<TickResult> {
  try {
    return await fn();
  } catch (err) {
    return failure(scope, repo, app, err);
  }
}

function failure(scope: Scope, repo: ConfigRepo, app: string, err: unknown): TickResult {
  const e = err as Error & { code?: string };
  scope.log.error({ repo: repoName(repo.id), app, code: e.code, err: e.message }, 'scheduled tick failed');
  return { repo: repoName(repo.id), app, outcome: 'failed', note: e.message };
}

function counted(r: TickResult): TickResult {
  countTick(r);
  return r;
}
