// approval: per-step with PR delivery against the GitHub double: every step is a pull
// request, the rollout waits while it is unmerged, and bakes from the merge on.
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickApp } from '../../../src/bot/tick/tick.ts';
import { GitHubForge } from '../../../src/forge/github.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { startGitHubDouble, type GitHubDouble } from '../../github-double/index.ts';
import { exampleFiles, rolloutConfig, setup, weightsOf, type Env } from './fixture.ts';

const OWNER = 'acme';
const NAME = 'config';
const HOUR = 3_600_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let double: GitHubDouble;
let env: Env;
let bot: Octokit;
let alice: Octokit;

beforeAll(async () => {
  double = await startGitHubDouble();
  double.addInstallation({ id: 11, account: OWNER });
  const files = { ...exampleFiles(), '.github/gitops-canary.yml': rolloutConfig({ delivery: 'pull-request', approval: 'per-step', steps: [10, 100], bake: '1h', mergeMethod: 'merge' }) };
  const info = await double.addRepo({ owner: OWNER, name: NAME, files, installationId: 11 });
  double.setPermission(OWNER, NAME, 'alice', 'write');
  const token = double.installationToken(11);
  bot = new Octokit({ baseUrl: double.url, auth: token, log: quiet });
  alice = new Octokit({ baseUrl: double.url, auth: double.userToken('alice'), log: quiet });
  const forge = new GitHubForge(bot as unknown as ConstructorParameters<typeof GitHubForge>[0]);
  env = await setup({}, forge, { id: { owner: OWNER, name: NAME }, cloneUrl: info.clone_url, htmlUrl: info.html_url }, async () => token);
});

afterAll(async () => {
  await env?.cleanup();
  await double?.close();
});

async function openPulls() {
  return (await bot.rest.pulls.list({ owner: OWNER, repo: NAME, state: 'open' })).data;
}

async function approveAndMerge(number: number): Promise<void> {
  await alice.rest.pulls.createReview({ owner: OWNER, repo: NAME, pull_number: number, event: 'APPROVE' });
  await alice.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: number, merge_method: 'merge' });
}

async function vs(): Promise<string> {
  return double.git(OWNER, NAME, 'show', 'main:apps/podinfo/virtual-service.yaml');
}

/** The double's merge commits carry git's real date; a step bakes from its merge. */
const clockAfterMerge = () => manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);

describe('per-step approval', { timeout: 120_000 }, () => {
  it('proposes every step as a PR, waits for its merge, then bakes and promotes', async () => {
    await env.release('0.2.1');
    const [release] = await openPulls();
    expect(release.head.ref).toMatch(/^gitops-canary\/podinfo\//);
    await approveAndMerge(release.number);
    expect(weightsOf(await vs())).toEqual({ stable: 90, canary: 10 });

    let clock = clockAfterMerge();
    const deps = env.replica(clock);
    const tick = () => tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect((await tick()).decision?.code).toBe('BAKING');

    clock.advance(HOUR);
    const proposed = await tick();
    expect(proposed.outcome).toBe('proposed');
    const [stepPr] = await openPulls();
    expect(stepPr.head.ref).toBe('gitops-canary/podinfo/traffic');
    expect(proposed.url).toBe(stepPr.html_url);

    // Unmerged: the rollout waits, however long it has baked, and proposes nothing new.
    clock.advance(5 * HOUR);
    const waiting = await tick();
    expect(waiting.decision).toMatchObject({ code: 'PENDING_CHANGE' });
    expect(waiting.decision?.reason).toContain(stepPr.html_url);
    expect(await openPulls()).toHaveLength(1);
    expect(weightsOf(await vs())).toEqual({ stable: 90, canary: 10 });

    await approveAndMerge(stepPr.number);
    expect(weightsOf(await vs())).toEqual({ stable: 0, canary: 100 });
    clock = clockAfterMerge();
    deps.clock = clock;
    expect((await tick()).decision?.code).toBe('BAKING');

    clock.advance(HOUR);
    expect((await tick()).outcome).toBe('proposed');
    const [promotion] = await openPulls();
    expect(promotion.title).toMatch(/promote 0\.2\.1 to stable/);
    await approveAndMerge(promotion.number);
    expect(weightsOf(await vs())).toEqual({ stable: 100, canary: 0 });
    expect(await double.git(OWNER, NAME, 'show', 'main:apps/podinfo/ga-dep.yaml')).toContain('podinfo:0.2.1');
    expect((await tick()).decision?.code).toBe('NO_ROLLOUT');

    // History alone tells every step and the merges that approved them.
    const log = await double.git(OWNER, NAME, 'log', '--format=%s', 'main');
    expect(log).toMatch(/podinfo: 0\.2\.1 step 2\/2 \(100%\), canary weight 100%/);
    expect(log.match(/^Merge pull request #\d+/gm)).toHaveLength(3);
    double.assertNoViolations();
  });
});
