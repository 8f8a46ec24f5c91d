// The bot refuses a change that analysis finds broken: a release, a ChatOps weight and a
// scheduled rollout step that would route to a subset no DestinationRule defines make
// no commit, no branch and no pull request; the findings are logged, answered or noted.
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { tickApp } from '../../../src/bot/tick/tick.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { issueCommentPayload, releasePayload } from '../../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, seedConfig, startHarness, type Harness } from '../../helpers/app.ts';
import { setup, weightsOf, type Env } from '../rollout/fixture.ts';

const VS = 'apps/podinfo/virtual-service.yaml';
const DR = 'apps/podinfo/destination-rule.yaml';
const CONFIG = '.github/gitops-canary.yml';
const HOUR = 3_600_000;

let h: Harness | undefined;
let env: Env | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await env?.cleanup();
  env = undefined;
});

/** Config and route agree on subset `canry`; the DestinationRule defines `canary`. */
function misspeltRoute(delivery: 'commit' | 'pull-request'): Record<string, string> {
  const files = exampleFiles();
  return { ...files, [VS]: files[VS].replace('subset: canary', 'subset: canry'), [CONFIG]: seedConfig({ delivery }).replace('canary: { subset: canary }', 'canary: { subset: canry }') };
}

const source = (hh: Harness, sender = 'octocat') => ({ owner: OWNER, repo: 'podinfo', installationId: INSTALLATION, baseUrl: hh.double.url, sender });

describe('the bot analyzes before it changes anything', () => {
  for (const delivery of ['pull-request', 'commit'] as const) {
    it(`a release (${delivery}) whose route names an undefined subset is refused: no commit, no PR`, async () => {
      h = await startHarness({ configFiles: misspeltRoute(delivery) });
      const before = await h.subjects('config');
      await h.receive('release', releasePayload({ ...source(h), tag: 'v0.2.1' }));
      expect(await h.subjects('config')).toEqual(before);
      expect(await h.double.pulls(OWNER, 'config')).toEqual([]);
      expect((await h.double.git(OWNER, 'config', 'branch', '--list', 'gitops-canary/*')).trim()).toBe('');
      const failed = h.logs.find((l) => l.msg === 'release failed');
      expect(failed).toMatchObject({ code: 'ANALYSIS_FAILED' });
      expect(String(failed?.err)).toContain(`${VS}:`);
      expect(String(failed?.err)).toContain('VirtualService/test/podinfo http[0].route[1].destination.subset: subset "canry" is not defined by DestinationRule test/podinfo (defines ga, canary) (did you mean "canary"?)');
      h.double.assertNoViolations();
    }, 90_000);
  }

  it('a ChatOps weight change is refused and the answer names the finding', async () => {
    h = await startHarness({ configFiles: misspeltRoute('commit') });
    h.double.setPermission(OWNER, 'config', 'alice', 'admin');
    const before = await h.subjects('config');
    const kit = new Octokit({ baseUrl: h.double.url, auth: h.double.userToken('alice') });
    const issue = (await kit.rest.issues.create({ owner: OWNER, repo: 'config', title: 'more canary' })).data.number;
    await h.receive('issue_comment', issueCommentPayload({ ...source(h, 'alice'), repo: 'config', issueNumber: issue, isPullRequest: false, body: '/canary weight podinfo 20', commenter: 'alice' }));
    expect(await h.subjects('config')).toEqual(before);
    const answer = h.double.comments(OWNER, 'config').filter((c) => c.issue_number === issue);
    expect(answer).toHaveLength(1);
    expect(answer[0].body).toContain('subset "canry" is not defined by DestinationRule test/podinfo');
    h.double.assertNoViolations();
  }, 90_000);
});

describe('scheduled rollout steps are analyzed', { timeout: 120_000 }, () => {
  it('a step the DestinationRule no longer supports is not taken, and the tick says why', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h' });
    await env.release('0.2.1');
    const clock = manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });
    // someone renames the subset in the DestinationRule while the canary bakes
    const dr = (await env.remote.readOnRemote(DR))!;
    await env.remote.commitOnRemote({ [DR]: dr.replace('- name: canary', '- name: canary-v2') }, 'rename the canary subset');
    const head = await env.headSha();
    clock.advance(HOUR);
    const r = await tickApp(env.replica(clock), env.scope, env.repo, 'podinfo', clock.now());
    expect(r.outcome).toBe('failed');
    expect(r.note).toContain('subset "canary" is not defined by DestinationRule test/podinfo (defines ga, canary-v2)');
    expect(await env.headSha()).toBe(head);
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });
  });
});
