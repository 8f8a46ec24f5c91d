// The scheduler tick reads a config repo once for all its apps: one history, each file
// once, the proposal branches in one call. Over generated repos with apps in every
// rollout situation, its decisions must be those of reading each app on its own (sync,
// config, the branch's log, the proposal branch's tip: the per-app path it replaces), and
// a tick in which nothing is due must cost the same git work for 2 apps as for 12, and
// push nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pendingChange } from '../../../src/bot/tick/pending.ts';
import { tickAll, type TickDeps } from '../../../src/bot/tick/tick.ts';
import type { ConfigRepo, Scope } from '../../../src/bot/types.ts';
import { WorkspacePool } from '../../../src/bot/workspaces.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { LocalForge } from '../../../src/forge/local.ts';
import { GitRunner } from '../../../src/git/exec.ts';
import { HISTORY_DEPTH } from '../../../src/jobs/history.ts';
import { workspaceFiles } from '../../../src/jobs/run.ts';
import { readRollout } from '../../../src/jobs/status.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { decideTick, type Decision } from '../../../src/rollout/decide.ts';
import { evaluateGates, type QueryFn } from '../../../src/rollout/gates.ts';
import { git } from '../../helpers/git-remote.ts';
import { buildFleet, canaryOnMain, NOW, SCENARIOS, type Fleet, type Scenario } from './fleet.ts';
import { quietLog } from './fixture.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-repo-tick-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let pools = 0;
const gateQuery = (_p: unknown, app: string): QueryFn => async () => ({ status: 'ok', value: app.startsWith('gates-fail') ? 0.5 : 1 });

function world(fleet: Fleet): { scope: Scope; repo: ConfigRepo; deps: () => TickDeps } {
  const log = quietLog();
  const repo: ConfigRepo = { id: { owner: 'acme', name: 'fleet' }, cloneUrl: fleet.remote.url };
  const scope: Scope = { forge: new LocalForge(log), log, token: async () => undefined, configRepos: async () => [repo], configRepoFor: async () => repo };
  const deps = (): TickDeps => ({ replica: 'r', workspaces: new WorkspacePool(path.join(work, `pool-${++pools}`)), notify: () => undefined, clock: manualClock(NOW), log, gateQuery });
  return { scope, repo, deps };
}

/** Each app read on its own, as every tick read it before: sync, config, the app's
 *  branch, its log, and its proposal branch by two git calls of its own. */
async function perAppDecisions(fleet: Fleet, w: ReturnType<typeof world>): Promise<Map<string, Decision | undefined>> {
  const out = new Map<string, Decision | undefined>();
  await w.deps().workspaces.with(w.repo, undefined, async (ws) => {
    for (const { app } of fleet.apps) {
      await ws.sync();
      const config = loadConfig(ws.dir)!.config.apps[app];
      if (config.branch) await ws.sync(config.branch);
      const snap = await readRollout(workspaceFiles(ws), app, config, await ws.log({ max: 1000 }));
      if (!snap) {
        out.set(app, undefined);
        continue;
      }
      const state = { ...snap.state };
      const proposal = async (branch: string) => {
        const head = await ws.remoteHead(branch);
        const [tip] = head ? await ws.log({ ref: head, max: 1 }) : [];
        return tip ? { sha: tip.sha, trailers: tip.trailers } : null;
      };
      const pending = await pendingChange({ log: [], files: workspaceFiles(ws), proposal }, w.scope.forge, w.repo, app, config, snap);
      if (pending) state.pendingChange = pending;
      const gates = config.rollout!.gates;
      const live = gates && state.stepIndex >= 0 && !state.paused && !(state.tag && state.held?.includes(state.tag));
      const gate = live ? await evaluateGates(gates, gateQuery(gates.prometheus, app)) : undefined;
      out.set(app, decideTick({ now: NOW, rollout: snap.policy, state, gate }));
    }
  });
  return out;
}

const OUTCOME: Record<Decision['action'], string> = { wait: 'waited', none: 'none', advance: 'advanced', promote: 'promoted', rollback: 'rolled-back' };

describe('a scheduler tick of a whole config repo', { timeout: 240_000 }, () => {
  it('decides every app as reading that app alone does, and carries out what is due once', async () => {
    const scenarios = fc.array(fc.constantFrom(...SCENARIOS), { minLength: 2, maxLength: 8 });
    const every: Scenario[] = [...SCENARIOS];
    await fc.assert(
      fc.asyncProperty(scenarios, fc.array(fc.nat(20), { maxLength: 24 }), async (picked, order) => {
        const fleet = await buildFleet(picked, order);
        try {
          const w = world(fleet);
          const expected = await perAppDecisions(fleet, w);
          const results = await tickAll(w.deps(), w.scope, NOW);
          expect(results.map((r) => r.app)).toEqual(fleet.apps.map((a) => a.app));
          for (const r of results) {
            const want = expected.get(r.app);
            expect(r.decision, r.app).toEqual(want);
            const recorded = want?.action === 'wait' && want.gateFailures !== undefined && want.gateFailures > 0;
            expect(r.outcome, `${r.app}: ${r.note ?? ''}`).toBe(recorded ? 'recorded' : want ? OUTCOME[want.action] : 'skipped');
          }
          for (const { app, scenario } of fleet.apps) {
            if (scenario === 'branch') continue;
            const stepped = expected.get(app)?.action === 'advance';
            const before = scenario === 'none' || scenario === 'promoted' ? 0 : scenario === 'merged' ? 50 : 10;
            expect(await canaryOnMain(fleet, app), app).toBe(stepped ? 50 : before);
          }
          const steps = (await fleet.remote.log()).filter((c) => /Gitops-Canary-Action: set-weight/.test(c.message) && /Gitops-Canary-Replica: r/.test(c.message));
          expect(steps).toHaveLength([...expected.values()].filter((d) => d?.action === 'advance').length);
        } finally {
          await fleet.remote.cleanup();
        }
      }),
      { numRuns: 4, examples: [[every, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7]]] },
    );
  });

  it('decides the same when other apps have since committed more than the history read at once', async () => {
    // every app's own commits lie beyond the newest HISTORY_DEPTH: its state is read from
    // them all the same (not from its weights alone), by the tick and the per-app read
    const every: Scenario[] = [...SCENARIOS];
    const order = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7];
    const near = await buildFleet(every, order);
    const far = await buildFleet(every, order, { othersAfter: HISTORY_DEPTH + 1 });
    try {
      const expected = await perAppDecisions(near, world(near));
      const w = world(far);
      expect(await perAppDecisions(far, w)).toEqual(expected);
      const results = await tickAll(w.deps(), w.scope, NOW);
      for (const r of results) expect(r.decision, r.app).toEqual(expected.get(r.app));
      // the apps baking (and those held, paused, waiting for a merge) stay where they are
      const stepped = results.filter((r) => r.outcome === 'advanced').map((r) => r.app);
      expect(stepped).toEqual([...expected].filter(([, d]) => d?.action === 'advance').map(([app]) => app));
      expect(stepped).not.toContain('baking-1');
    } finally {
      await near.remote.cleanup();
      await far.remote.cleanup();
    }
  });

  it('costs the same git calls for 12 apps as for 2 when nothing is due, and pushes nothing', async () => {
    const calls = async (scenarios: Scenario[]) => {
      const fleet = await buildFleet(scenarios, []);
      try {
        const w = world(fleet);
        const deps = w.deps();
        await tickAll(deps, w.scope, NOW); // the clone is made once, as a running bot has it
        const heads = await git(fleet.remote.bare, 'for-each-ref', '--format=%(refname) %(objectname)');
        const run = vi.spyOn(GitRunner.prototype, 'run');
        const tryRun = vi.spyOn(GitRunner.prototype, 'tryRun');
        try {
          const results = await tickAll(deps, w.scope, NOW);
          expect(results.map((r) => r.outcome)).toEqual(scenarios.map((s) => (s === 'none' || s === 'promoted' ? 'none' : 'waited')));
          expect(await git(fleet.remote.bare, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(heads);
          return { run: run.mock.calls.map((c) => c[0][0]), tryRun: tryRun.mock.calls.length };
        } finally {
          run.mockRestore();
          tryRun.mockRestore();
        }
      } finally {
        await fleet.remote.cleanup();
      }
    };
    const few = await calls(['baking', 'pending']);
    const many = await calls(['baking', 'paused', 'pending', 'held', 'baking', 'merged', 'none', 'pending', 'promoted', 'baking', 'paused', 'merged']);
    expect(many).toEqual(few);
    expect(few.tryRun).toBe(0);
    expect(few.run).not.toContain('push');
  });
});
