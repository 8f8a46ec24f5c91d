// A config repo's history is read once for all its apps, its newest HISTORY_DEPTH commits.
// With many apps committing steps, an app's last step can lie beyond them: its state
// must still be read from its commits (its bake clock, its tag, its A/B step), not from
// the weights alone, and the same by every reader: the tick, the check it makes before
// pushing, status and `promote`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickAll, type TickDeps } from '../../../src/bot/tick/tick.ts';
import type { ConfigRepo, Scope } from '../../../src/bot/types.ts';
import { WorkspacePool } from '../../../src/bot/workspaces.ts';
import { loadConfig, rolloutStepList } from '../../../src/config/index.ts';
import { LocalForge } from '../../../src/forge/local.ts';
import { formatMessage } from '../../../src/git/trailers.ts';
import { Workspace } from '../../../src/git/workspace.ts';
import { HISTORY_DEPTH } from '../../../src/jobs/history.ts';
import { promotePrepare } from '../../../src/jobs/promote-next.ts';
import { botCommitsIn, workspaceFiles } from '../../../src/jobs/run.ts';
import { repoStatus } from '../../../src/jobs/status.ts';
import { planStep } from '../../../src/jobs/step.ts';
import { directoryFiles } from '../../../src/manifests/files.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { createRemote, git, type TestRemote } from '../../helpers/git-remote.ts';
import { appConfigLines, canaryOnMain, NOW, otherAppsCommit, virtualService, vsFile } from './fleet.ts';
import { exampleFiles, quietLog, trailersOnRemote } from './fixture.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;
const FIREFOX = '{ match: { headers: { user-agent: { regex: ".*Firefox.*" } } } }';

interface AppSpec {
  app: string;
  steps: Array<number | string>;
  /** When its release (step 1) was committed, by the At trailer the bot writes. */
  releasedAt: number;
  /** A gate that rolls back at its first failure. */
  gates?: boolean;
}

function configText(apps: AppSpec[]): string {
  return `${['apps:', ...apps.flatMap(({ app, steps, gates }) => appConfigLines(app, { steps, ...(gates ? { gateFailures: 1 } : {}) }))].join('\n')}\n`;
}

/** Each app released (step 1 written as the bot writes it, in `apps` order), then
 *  `others` commits of apps outside the config. `listed`: the apps' order in the config. */
async function configRepo(apps: AppSpec[], others: number, listed = apps.map((a) => a.app)): Promise<TestRemote> {
  const inConfig = listed.map((app) => apps.find((a) => a.app === app)!);
  const files: Record<string, string> = { ...exampleFiles(), '.github/gitops-canary.yml': configText(inConfig) };
  for (const { app } of apps) files[vsFile(app)] = virtualService(app, 100, 0);
  const remote = await createRemote({ files });
  const dir = await remote.clone();
  const config = loadConfig(dir)!.config;
  for (const { app, releasedAt } of apps) {
    const cfg = config.apps[app];
    const { writes, plan } = await planStep(directoryFiles(dir), app, cfg, rolloutStepList(cfg), 0);
    for (const [rel, text] of writes) await writeFile(path.join(dir, rel), text);
    const trailers = { App: app, Action: 'release', Track: 'canary', Tag: '0.2.1', Step: plan.trailers.Step, At: new Date(releasedAt).toISOString() };
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', formatMessage({ subject: `${app}: release 0.2.1`, trailers }));
  }
  await otherAppsCommit(dir, others, T0);
  await git(dir, 'push', '-q', 'origin', 'main');
  return remote;
}

let work: string;
const remotes: TestRemote[] = [];
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-history-window-'));
});
afterAll(async () => {
  for (const r of remotes) await r.cleanup();
  await rm(work, { recursive: true, force: true });
});

let n = 0;
function world(remote: TestRemote): { deps: TickDeps; scope: Scope } {
  const log = quietLog();
  const repo: ConfigRepo = { id: { owner: 'acme', name: 'fleet' }, cloneUrl: remote.url };
  const scope: Scope = { forge: new LocalForge(log), log, token: async () => undefined, configRepos: async () => [repo], configRepoFor: async () => repo };
  // every gate fails: success rate 0.5
  const gateQuery = () => async () => ({ status: 'ok' as const, value: 0.5 });
  return { scope, deps: { replica: 'r', workspaces: new WorkspacePool(path.join(work, `pool-${++n}`)), notify: () => undefined, clock: manualClock(NOW), log, gateQuery } };
}

async function clone(remote: TestRemote): Promise<Workspace> {
  const ws = await Workspace.open({ dir: path.join(work, `clone-${++n}`), remoteUrl: remote.url });
  await ws.sync();
  return ws;
}

describe('an app whose last step lies beyond the commits read at once', { timeout: 120_000 }, () => {
  const apps: AppSpec[] = [
    { app: 'weights', steps: [10, 50, 100], releasedAt: T0 },
    { app: 'ab', steps: [FIREFOX, 50, 100], releasedAt: T0 },
  ];

  it('bakes in the tick, and status and promote read the same step', async () => {
    const remote = await configRepo(apps, HISTORY_DEPTH + 1);
    remotes.push(remote);
    const ws = await clone(remote);
    const log = await ws.log({ max: HISTORY_DEPTH });
    // the setup: neither app has a commit among the newest HISTORY_DEPTH
    expect(log.filter((c) => c.trailers.App === 'weights' || c.trailers.App === 'ab')).toEqual([]);

    const w = world(remote);
    const results = await tickAll(w.deps, w.scope, NOW);
    for (const app of ['weights', 'ab']) {
      const r = results.find((x) => x.app === app)!;
      expect(r.outcome, `${app}: ${r.decision?.reason}`).toBe('waited');
      expect(r.decision?.code, app).toBe('BAKING');
    }
    expect(await canaryOnMain({ remote, apps: [] }, 'weights')).toBe(10);

    const config = loadConfig(ws.dir)!.config;
    const status = await repoStatus(workspaceFiles(ws), config, botCommitsIn(log), { log, now: NOW });
    const of = (app: string) => status.find((s) => s.app === app)!;
    expect(of('weights').rollout).toMatchObject({ step: 'step 1/3 (10%)', tag: '0.2.1', enteredAt: new Date(T0).toISOString(), next: { code: 'BAKING' } });
    expect(of('ab').rollout).toMatchObject({ kind: 'ab', tag: '0.2.1', enteredAt: new Date(T0).toISOString(), next: { code: 'BAKING' } });
    expect(of('ab').lastChange?.subject).toBe('ab: release 0.2.1');

    // `promote` of the A/B step goes on to the step after it, not back to the A/B step
    for (const app of ['weights', 'ab']) {
      const prepared = await (await promotePrepare(ws, app, config.apps[app], 'alice'))(workspaceFiles(ws));
      expect(prepared.plan.trailers.Step, app).toBe('2/3');
    }
  });

  it('reads the same state again before pushing after the tick’s own pushes moved it out', async () => {
    // `edge` is the oldest of the commits the tick reads; `first` acts before it and
    // pushes, which moves `edge` beyond them
    const due = T0 - 2 * HOUR;
    const remote = await configRepo(
      [
        { app: 'edge', steps: [10, 50, 100], releasedAt: due },
        { app: 'first', steps: [10, 50, 100], releasedAt: due },
      ],
      HISTORY_DEPTH - 2,
      ['first', 'edge'],
    );
    remotes.push(remote);
    const ws = await clone(remote);
    const log = await ws.log({ max: HISTORY_DEPTH });
    expect(log.at(-1)?.trailers.App).toBe('edge');

    // the config lists `first` before `edge`, so it acts first
    const w = world(remote);
    const results = await tickAll(w.deps, w.scope, NOW);
    const byApp = new Map(results.map((r) => [r.app, r]));
    expect(results.map((r) => r.app)).toEqual(['first', 'edge']);
    for (const app of ['edge', 'first']) expect(byApp.get(app)?.outcome, `${app}: ${byApp.get(app)?.note}`).toBe('advanced');
    // each app's step was decided on its release: it names the release's tag
    const steps = (await trailersOnRemote(remote)).filter((t) => t.Action === 'set-weight' && t.Replica === 'r');
    expect(steps.map((t) => [t.App, t.Step, t.Tag])).toEqual([
      ['edge', '2/3', '0.2.1'],
      ['first', '2/3', '0.2.1'],
    ]);
  });

  it('rolls a failing canary back to the bytes from before its release', async () => {
    const remote = await configRepo([{ app: 'gated', steps: [10, 50, 100], releasedAt: T0 - 2 * HOUR, gates: true }], HISTORY_DEPTH + 1);
    remotes.push(remote);
    const w = world(remote);
    const [r] = await tickAll(w.deps, w.scope, NOW);
    expect(r.outcome, `${r.note ?? ''} ${r.decision?.reason}`).toBe('rolled-back');
    // the release is undone, so the route is back at stable 100 and the tag is held
    expect(await canaryOnMain({ remote, apps: [] }, 'gated')).toBe(0);
    const [newest] = await trailersOnRemote(remote);
    expect(newest).toMatchObject({ App: 'gated', Action: 'rollback', Hold: '0.2.1' });
  });
});
