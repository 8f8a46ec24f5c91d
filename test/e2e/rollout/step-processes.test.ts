// A tick that steps many apps costs per step about what the step's own commit and push
// cost: git is asked only for what the bot cannot know from its own last commit (the
// index staged, the tree written, the commit, the branch moved, the push, the history
// since). Counted as the difference between a tick stepping six apps and one stepping two,
// on warm clones, so the per-tick work (fetch, config, first reads) cancels out.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tickAll, type TickDeps } from '../../../src/bot/tick/tick.ts';
import type { ConfigRepo, Scope } from '../../../src/bot/types.ts';
import { WorkspacePool } from '../../../src/bot/workspaces.ts';
import { LocalForge } from '../../../src/forge/local.ts';
import { GitRunner } from '../../../src/git/exec.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { buildFleet, canaryOnMain, NOW, type Scenario } from './fleet.ts';
import { quietLog } from './fixture.ts';

/** At most this many git processes per step; the floor (plain `git commit` + `git push`) is 2. */
const PER_STEP = 6;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-step-processes-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The git commands one tick of `due` stepping apps (and one baking) starts, its clone warm. */
async function tickCommands(due: number): Promise<string[]> {
  const scenarios: Scenario[] = ['baking', ...Array.from({ length: due }, () => 'due' as const)];
  const fleet = await buildFleet(scenarios, []);
  try {
    const log = quietLog();
    const repo: ConfigRepo = { id: { owner: 'acme', name: 'fleet' }, cloneUrl: fleet.remote.url };
    const scope: Scope = { forge: new LocalForge(log), log, token: async () => undefined, configRepos: async () => [repo], configRepoFor: async () => repo };
    const deps: TickDeps = { replica: 'r', workspaces: new WorkspacePool(path.join(work, `pool-${due}`)), notify: () => undefined, clock: manualClock(NOW), log };
    await deps.workspaces.with(repo, undefined, (ws) => ws.sync());
    const run = vi.spyOn(GitRunner.prototype, 'run');
    const tryRun = vi.spyOn(GitRunner.prototype, 'tryRun');
    const runInput = vi.spyOn(GitRunner.prototype, 'runInput');
    // each git command of a script is a process of its own
    const runScript = vi.spyOn(GitRunner.prototype, 'runScript');
    let commands: string[];
    try {
      const results = await tickAll(deps, scope, NOW);
      expect(results.filter((r) => r.outcome === 'advanced')).toHaveLength(due);
      commands = [...run.mock.calls, ...tryRun.mock.calls, ...runInput.mock.calls].map((c) => c[0][0]);
      for (const c of runScript.mock.calls) commands.push(...c[3].map((step) => step[0]));
    } finally {
      vi.restoreAllMocks();
    }
    for (const { app, scenario } of fleet.apps) expect(await canaryOnMain(fleet, app), app).toBe(scenario === 'due' ? 50 : 10);
    return commands;
  } finally {
    await fleet.remote.cleanup();
  }
}

describe('git processes per step of a stepping tick', { timeout: 120_000 }, () => {
  it(`starts at most ${PER_STEP} git processes per app it steps, one of them the push`, async () => {
    const few = await tickCommands(2);
    const many = await tickCommands(6);
    const perStep = (many.length - few.length) / 4;
    const count = (cmds: string[], c: string) => cmds.filter((x) => x === c).length;
    const byCommand = Object.fromEntries([...new Set(many)].map((c) => [c, (count(many, c) - count(few, c)) / 4]));
    expect(perStep, JSON.stringify(byCommand)).toBeLessThanOrEqual(PER_STEP);
    expect(byCommand.push).toBe(1);
  });
});
