// A rollout with an A/B step, a mirror step and weight steps, through the GitHub double:
// each step is its own change (its commit names the step and what it routes), the next
// step takes out exactly what the previous one put in, and after the promotion or a
// rollback the route file is byte for byte what it was before the rollout.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleComment } from '../../../src/bot/commands.ts';
import { tickApp } from '../../../src/bot/tick/tick.ts';
import { main } from '../../../src/cli.ts';
import { GitHubForge } from '../../../src/forge/github.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { startGitHubDouble, type GitHubDouble } from '../../github-double/index.ts';
import { trailersOf } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';
import { exampleFiles, rolloutConfig, setup, weightsOf, type Env, type RolloutOptions } from './fixture.ts';

const OWNER = 'acme';
const HOUR = 3_600_000;
const VS = 'apps/podinfo/virtual-service.yaml';
const FIREFOX = '{ match: { headers: { user-agent: { regex: ".*Firefox.*" } } } }';
const STEPS = [FIREFOX, '{ mirror: 50 }', 10, 60, 100];
const AB_TRAILER = 'ab: header user-agent~.*Firefox.*';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let double: GitHubDouble;
let bot: Octokit;
let alice: Octokit;
const envs: Env[] = [];

beforeAll(async () => {
  double = await startGitHubDouble();
  double.addInstallation({ id: 11, account: OWNER });
  bot = new Octokit({ baseUrl: double.url, auth: double.installationToken(11), log: quiet });
  alice = new Octokit({ baseUrl: double.url, auth: double.userToken('alice'), log: quiet });
});

afterAll(async () => {
  for (const e of envs) await e.cleanup();
  await double?.close();
});

/** A config repo of its own in the double, the bot's scope on it, and alice as a writer. */
async function repoEnv(name: string, o: RolloutOptions): Promise<Env> {
  const files = { ...exampleFiles(), '.github/gitops-canary.yml': rolloutConfig({ steps: STEPS, bake: '1h', mergeMethod: 'merge', ...o }) };
  const info = await double.addRepo({ owner: OWNER, name, files, installationId: 11 });
  double.setPermission(OWNER, name, 'alice', 'write');
  double.setPermission(OWNER, name, 'mallory', 'read');
  const token = double.installationToken(11);
  const forge = new GitHubForge(new Octokit({ baseUrl: double.url, auth: token, log: quiet }) as unknown as ConstructorParameters<typeof GitHubForge>[0]);
  const env = await setup({}, forge, { id: { owner: OWNER, name }, cloneUrl: info.clone_url, htmlUrl: info.html_url }, async () => token);
  envs.push(env);
  return env;
}

const show = (name: string, file = VS) => double.git(OWNER, name, 'show', `main:${file}`);
const openPulls = async (name: string) => (await bot.rest.pulls.list({ owner: OWNER, repo: name, state: 'open' })).data;

async function approveAndMerge(name: string, number: number): Promise<void> {
  await alice.rest.pulls.createReview({ owner: OWNER, repo: name, pull_number: number, event: 'APPROVE' });
  await alice.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number, merge_method: 'merge' });
}

async function trailersAt(name: string, ref: string): Promise<Record<string, string>> {
  return trailersOf(await double.git(OWNER, name, 'log', '-1', '--format=%B', ref));
}

/** `gitops-canary status` on a fresh clone of the double's repo. */
async function cliStatus(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gcb-ab-status-'));
  try {
    await git(os.tmpdir(), 'clone', '-q', double.bareDir(OWNER, name), dir);
    const out: string[] = [];
    const code = await main(['status', '--repo', dir], { log: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code, out.join('\n')).toBe(0);
    return out.join('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The double's merge commits carry git's real date; a step bakes from its merge. */
const clockAfterMerge = () => manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);

describe('A/B, mirror and weight steps', { timeout: 300_000 }, () => {
  it('proposes each step as a PR that says what it routes, and leaves the route as it was after the promotion', async () => {
    const name = 'config-promote';
    const env = await repoEnv(name, { delivery: 'pull-request', approval: 'per-step' });
    const original = await show(name);

    // 1/5: the release inserts the A/B route, the weights stay 100/0.
    await env.release('0.2.1');
    const [release] = await openPulls(name);
    expect(release.title).toBe('podinfo: canary 0.2.0 → 0.2.1, step 1/5 (A/B header user-agent ~ .*Firefox.*)');
    expect(release.body).toContain('**Rollout step 1/5**: `A/B header user-agent ~ .*Firefox.*`');
    expect(release.body).toContain('- requests matching `header user-agent ~ .*Firefox.*` go to the canary');
    expect(await trailersAt(name, release.head.sha)).toMatchObject({ Action: 'release', Tag: '0.2.1', Step: '1/5', Traffic: AB_TRAILER, Weights: 'stable=100,canary=0' });
    expect(env.notices.find((n) => n.kind === 'pr-opened')).toMatchObject({ kind: 'pr-opened', traffic: 'step 1/5: A/B header user-agent ~ .*Firefox.*' });
    await approveAndMerge(name, release.number);
    const vs = await show(name);
    expect(vs).toContain('gitops-canary-podinfo-ab');
    expect(vs).toContain('.*Firefox.*');
    expect(weightsOf(vs)).toEqual({ stable: 100, canary: 0 });

    const status = await cliStatus(name);
    expect(status).toMatch(/step 1\/5 \(A\/B header user-agent ~ \.\*Firefox\.\*\), weights stable=100 canary=0/);
    expect(status).toContain('  routing  A/B header user-agent ~ .*Firefox.*');

    const deps = env.replica(clockAfterMerge());
    const tick = () => tickApp(deps, env.scope, env.repo, 'podinfo', deps.clock.now());
    /** Bakes the step in effect, lets the bot propose the next one, merges it. */
    const nextStep = async () => {
      deps.clock = clockAfterMerge();
      expect((await tick()).decision?.code).toBe('BAKING');
      (deps.clock as ReturnType<typeof manualClock>).advance(HOUR);
      expect((await tick()).outcome).toBe('proposed');
      const [pr] = await openPulls(name);
      const trailers = await trailersAt(name, pr.head.sha);
      await approveAndMerge(name, pr.number);
      return { pr, trailers, vs: await show(name) };
    };

    // 2/5: mirror; the A/B route goes.
    let step = await nextStep();
    expect(step.pr.title).toBe('podinfo: 0.2.1 step 2/5 (mirror 50%)');
    expect(step.pr.body).toContain('**Rollout step 2/5**: `mirror 50%`');
    expect(step.pr.body).toContain('- removes what was routed before: `A/B header user-agent ~ .*Firefox.*`');
    expect(step.trailers).toMatchObject({ Action: 'set-weight', Step: '2/5', Tag: '0.2.1', Traffic: 'mirror=50', 'Old-Traffic': AB_TRAILER, Weights: 'stable=100,canary=0' });
    expect(step.vs).not.toContain('gitops-canary-podinfo-ab');
    expect(step.vs).toMatch(/mirror/);
    expect(weightsOf(step.vs)).toEqual({ stable: 100, canary: 0 });

    // 3/5: the first weight; the mirror goes.
    step = await nextStep();
    expect(step.pr.title).toBe('podinfo: 0.2.1 step 3/5 (10%), canary weight 10%');
    expect(step.trailers).toMatchObject({ Step: '3/5', 'Old-Traffic': 'mirror=50', Weights: 'stable=90,canary=10' });
    expect(step.trailers.Traffic).toBeUndefined();
    expect(step.vs).not.toMatch(/mirror/);
    expect(weightsOf(step.vs)).toEqual({ stable: 90, canary: 10 });

    for (const [i, canary] of [[4, 60], [5, 100]]) {
      step = await nextStep();
      expect(step.pr.title).toBe(`podinfo: 0.2.1 step ${i}/5 (${canary}%), canary weight ${canary}%`);
      expect(step.trailers).toMatchObject({ Step: `${i}/5`, Weights: `stable=${100 - canary},canary=${canary}` });
      expect(step.trailers.Traffic ?? step.trailers['Old-Traffic']).toBeUndefined();
    }

    const promotion = await nextStep();
    expect(promotion.pr.title).toBe('podinfo: promote 0.2.1 to stable, traffic back to stable');
    expect(await show(name, 'apps/podinfo/ga-dep.yaml')).toContain('podinfo:0.2.1');
    expect(promotion.vs).toBe(original);
    expect((await tick()).decision?.code).toBe('NO_ROLLOUT');

    // --topo-order: a PR's commit made in the same second as the initial commit would
    // otherwise sort by the merge's parent order, after the initial commit
    const subjects = (await double.git(OWNER, name, 'log', '--no-merges', '--topo-order', '--format=%s', 'main')).split('\n');
    expect(subjects.slice(0, 6)).toEqual([
      'podinfo: promote 0.2.1 to stable, traffic back to stable',
      'podinfo: 0.2.1 step 5/5 (100%), canary weight 100%',
      'podinfo: 0.2.1 step 4/5 (60%), canary weight 60%',
      'podinfo: 0.2.1 step 3/5 (10%), canary weight 10%',
      'podinfo: 0.2.1 step 2/5 (mirror 50%)',
      'podinfo: canary 0.2.0 → 0.2.1, step 1/5 (A/B header user-agent ~ .*Firefox.*)',
    ]);
    double.assertNoViolations();
  });

  it('rolls back from the mirror step on failed gates: the route and the canary as before the rollout', async () => {
    const name = 'config-rollback';
    const env = await repoEnv(name, { delivery: 'commit', approval: 'none', gates: true, failures: 1 });
    const before = (await double.git(OWNER, name, 'rev-parse', 'main')).trim();
    const original = await show(name);
    await env.release('0.2.1');
    expect(await trailersAt(name, 'main')).toMatchObject({ Action: 'release', Step: '1/5', Traffic: AB_TRAILER });
    expect(await show(name)).toContain('gitops-canary-podinfo-ab');

    const clock = clockAfterMerge();
    const deps = env.replica(clock);
    clock.advance(HOUR);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
    expect(await trailersAt(name, 'main')).toMatchObject({ Action: 'set-weight', Step: '2/5', Traffic: 'mirror=50', 'Old-Traffic': AB_TRAILER });
    expect(env.notices.at(-1)).toMatchObject({ kind: 'weight-changed', traffic: 'step 2/5: mirror 50%' });

    env.prometheus.answer = { status: 'ok', value: 0.5 };
    clock.advance(60_000);
    const r = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(r).toMatchObject({ outcome: 'rolled-back', decision: { code: 'GATES_FAILED' } });
    expect(r.decision?.reason).toContain('from step 2/5 (mirror 50%)');
    expect(await show(name)).toBe(original);
    await double.git(OWNER, name, 'diff', '--quiet', before, 'main', '--', 'apps/');
    // reverted newest first: the mirror step (its A/B route back), then the release (the route gone)
    const [release, mirror] = (await double.git(OWNER, name, 'log', '-2', '--format=%H', 'main')).trim().split('\n');
    expect(await trailersAt(name, mirror)).toMatchObject({ Action: 'rollback', Hold: '0.2.1', Traffic: AB_TRAILER, 'Old-Traffic': 'mirror=50' });
    expect(await trailersAt(name, release)).toMatchObject({ Action: 'rollback', Hold: '0.2.1', 'Old-Traffic': AB_TRAILER });
    expect((await trailersAt(name, release)).Traffic).toBeUndefined();
    double.assertNoViolations();
  });

  it('`/canary promote` takes the next step by its position, not by the weight 0 of the A/B step', async () => {
    const name = 'config-promote-command';
    const env = await repoEnv(name, { delivery: 'commit', approval: 'none' });
    await env.release('0.2.1');
    const { data: issue } = await alice.rest.issues.create({ owner: OWNER, repo: name, title: 'canary' });
    const deps = env.replica(clockAfterMerge());
    const promote = () => handleComment(deps, env.scope, { repo: env.repo, issue: issue.number, user: 'alice', body: '/canary promote podinfo' });

    expect(await promote()).toBe('ran');
    expect(await trailersAt(name, 'main')).toMatchObject({ Action: 'set-weight', Step: '2/5', Traffic: 'mirror=50', 'Old-Traffic': AB_TRAILER, 'Promoted-By': 'alice' });
    expect(await double.git(OWNER, name, 'log', '-1', '--format=%s', 'main')).toBe('podinfo: step 2/5 (mirror 50%)\n');
    expect(await promote()).toBe('ran');
    expect(await trailersAt(name, 'main')).toMatchObject({ Step: '3/5', Weights: 'stable=90,canary=10', 'Old-Traffic': 'mirror=50' });
    expect(weightsOf(await show(name))).toEqual({ stable: 90, canary: 10 });
    expect(await show(name)).not.toMatch(/mirror|gitops-canary-podinfo-ab/);
    double.assertNoViolations();
  });

  it('ChatOps adds and removes an A/B match by hand, for writers only, keeping the weights', async () => {
    const name = 'config-chatops';
    const env = await repoEnv(name, { delivery: 'pull-request', approval: 'per-step' });
    const original = await show(name);
    const { data: issue } = await alice.rest.issues.create({ owner: OWNER, repo: name, title: 'canary' });
    const deps = env.replica(clockAfterMerge());
    const say = (user: string, body: string) => handleComment(deps, env.scope, { repo: env.repo, issue: issue.number, user, body });
    const lastReply = () => double.comments(OWNER, name).filter((c) => c.issue_number === issue.number).at(-1)?.body ?? '';

    expect(await say('mallory', '/canary ab podinfo header user-agent ~ .*Firefox.*')).toBe('refused');
    expect(lastReply()).toMatch(/^Sorry @mallory, `\/canary` commands need write access/);
    expect(await say('alice', '/canary ab podinfo header User-Agent = x')).toBe('invalid');
    expect(lastReply()).toContain('header names are lower case (Istio requires it): write "user-agent"');
    expect(lastReply()).toContain('`/canary ab <app> header user-agent ~ .*Firefox.*`');
    expect(await openPulls(name)).toEqual([]);

    expect(await say('alice', '/canary ab podinfo header user-agent ~ .*Firefox.*')).toBe('ran');
    let [pr] = await openPulls(name);
    expect(pr.title).toBe('podinfo: A/B header user-agent ~ .*Firefox.* to the canary');
    expect(lastReply()).toContain(pr.html_url);
    expect(await trailersAt(name, pr.head.sha)).toMatchObject({ Action: 'ab', Traffic: AB_TRAILER, Weights: 'stable=100,canary=0' });
    await approveAndMerge(name, pr.number);
    expect(await show(name)).toContain('gitops-canary-podinfo-ab');
    expect(weightsOf(await show(name))).toEqual({ stable: 100, canary: 0 });

    expect(await say('alice', '/canary ab podinfo off')).toBe('ran');
    [pr] = await openPulls(name);
    expect(pr.title).toBe('podinfo: A/B route off (was A/B header user-agent ~ .*Firefox.*)');
    await approveAndMerge(name, pr.number);
    expect(await show(name)).toBe(original);
    double.assertNoViolations();
  });
});
