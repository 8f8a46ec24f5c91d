// The seed story end to end, through the GitHub double: stable and canary releases become
// PRs the bot merges on approval, ChatOps moves the canary 10 → 60 → 100, a rollback, a
// redelivered webhook, an event from an unlisted repo and a read-only user's command.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCommentPayload, pullRequestReviewPayload, releasePayload } from '../../github-double/index.ts';
import { INSTALLATION, OWNER, startHarness, type Harness } from '../../helpers/app.ts';

const VS = 'apps/podinfo/virtual-service.yaml';
const GA = 'apps/podinfo/ga-dep.yaml';
const CANARY = 'apps/podinfo/canary-dep.yaml';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  h.double.setPermission(OWNER, 'config', 'alice', 'write');
  h.double.setPermission(OWNER, 'config', 'mallory', 'read');
}, 60_000);

afterAll(async () => {
  await h?.close();
});

function repo(name: string, sender = 'octocat') {
  return { owner: OWNER, repo: name, installationId: INSTALLATION, baseUrl: h.double.url, sender };
}

async function pull(number: number) {
  const p = (await h.double.pulls(OWNER, 'config')).find((x) => x.number === number);
  if (!p) throw new Error(`no PR #${number}`);
  return p as typeof p & { head: { ref: string; sha: string }; state: string; merged: boolean; title: string; body: string };
}

/** alice approves PR #n in the double, and GitHub tells the bot. */
async function approve(number: number): Promise<void> {
  const p = await pull(number);
  await h.double.addReview(OWNER, 'config', number, { user: 'alice', state: 'APPROVED' });
  await h.receive('pull_request_review', pullRequestReviewPayload({ ...repo('config', 'alice'), number, headRef: p.head.ref, headSha: p.head.sha, reviewer: 'alice' }));
}

async function comment(user: string, issue: number, body: string): Promise<void> {
  await h.receive('issue_comment', issueCommentPayload({ ...repo('config', user), issueNumber: issue, body, commenter: user }));
}

/** The bot's check run on a commit of the config repo. */
function checkOn(sha: string) {
  const runs = h.double.checkRuns(OWNER, 'config').filter((c) => c.head_sha === sha && c.name === 'gitops-canary');
  expect(runs).toHaveLength(1);
  return runs[0] as { status: string; conclusion: string; output: { title: string; summary: string } };
}

function weights(vs: string): number[] {
  return [...vs.matchAll(/weight: (\d+)/g)].map((m) => Number(m[1]));
}

function lastComment(issue: number): string {
  const all = h.double.comments(OWNER, 'config').filter((c) => c.issue_number === issue);
  return all[all.length - 1]?.body ?? '';
}

describe('seed story', () => {
  it('a stable release becomes one PR, merged by the bot on approval, reported back on the tag', async () => {
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.1.1' });
    const tagSha = (await h.double.git(OWNER, 'podinfo', 'rev-parse', 'v0.1.1^{commit}')).trim();
    await h.receive('release', releasePayload({ ...repo('podinfo'), tag: 'v0.1.1' }));
    const pr = await pull(1);
    expect(pr).toMatchObject({ title: 'podinfo: stable 0.1.0 → 0.1.1', state: 'open', head: { ref: 'gitops-canary/podinfo/stable' } });
    expect(pr.body).toContain('| `apps/podinfo/ga-dep.yaml` |');
    expect(pr.body).toMatch(/\/canary rollback podinfo/);
    expect(h.double.statuses(OWNER, 'podinfo')).toEqual([expect.objectContaining({ sha: tagSha, state: 'pending', context: 'gitops-canary', target_url: expect.stringContaining('/pull/1') })]);
    // Nothing reaches main until someone approves.
    expect(await h.show('config', GA)).toContain('podinfo:0.1.0');

    await approve(1);
    expect(await pull(1)).toMatchObject({ state: 'closed', merged: true });
    // History alone tells who let the change in: the merge commit names the approvers.
    expect(await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', 'main')).toContain('Gitops-Canary-Approved-By: alice');
    expect(await h.show('config', GA)).toContain('ghcr.io/example/podinfo:0.1.1   # stable track');
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.0');
    const statuses = h.double.statuses(OWNER, 'podinfo');
    expect(statuses[statuses.length - 1]).toMatchObject({ sha: tagSha, state: 'success', target_url: expect.stringContaining('/pull/1') });
    h.double.assertNoViolations();
  }, 120_000);

  it('a canary release, signed over HTTP, proposes the image and the first weight together', async () => {
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    const res = await h.post('release', releasePayload({ ...repo('podinfo'), tag: 'v0.2.1' }));
    expect(res.status).toBe(200);
    const pr = await pull(2);
    expect(pr).toMatchObject({ state: 'open', head: { ref: 'gitops-canary/podinfo/canary' } });
    expect(pr.title).toBe('podinfo: canary 0.2.0 → 0.2.1, canary weight 10%');
    const check = checkOn(pr.head.sha);
    expect(check).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: pr.title } });
    expect(check.output.summary).toContain('| `apps/podinfo/virtual-service.yaml` |');
    expect(check.output.summary).toContain('- Step: 1/3');
    await approve(2);
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    expect(await h.show('config', GA)).toContain('podinfo:0.1.1');
    expect(weights(await h.show('config', VS))).toEqual([90, 10]);
    h.double.assertNoViolations();
  }, 120_000);

  it('a read-only user gets a polite refusal and nothing changes', async () => {
    const before = await h.subjects('config');
    await comment('mallory', 2, '/canary weight podinfo 100');
    expect(lastComment(2)).toMatch(/^Sorry @mallory, `\/canary` commands need write access to example\/config \(you have read\)\. Nothing was changed\./);
    expect(await h.subjects('config')).toEqual(before);
    expect((await h.double.pulls(OWNER, 'config')).length).toBe(2);
    h.double.assertNoViolations();
  }, 60_000);

  it('/canary promote moves to the next step (60), /canary weight to 100; each a PR merged on approval', async () => {
    await comment('alice', 2, '/canary promote podinfo');
    expect(lastComment(2)).toMatch(/^@alice `\/canary promote`:/);
    const p3 = await pull(3);
    expect(p3).toMatchObject({ state: 'open', title: 'podinfo: canary weight 10% → 60%', head: { ref: 'gitops-canary/podinfo/traffic' } });
    expect(lastComment(2)).toContain(p3.html_url as string);
    await approve(3);
    expect(weights(await h.show('config', VS))).toEqual([40, 60]);

    await comment('alice', 3, '/canary weight podinfo 100');
    const p4 = await pull(4);
    expect(p4).toMatchObject({ state: 'open', title: 'podinfo: canary weight 60% → 100%', head: { ref: 'gitops-canary/podinfo/traffic' } });
    await approve(4);
    expect(weights(await h.show('config', VS))).toEqual([0, 100]);
    h.double.assertNoViolations();
  }, 180_000);

  it('/canary rollback reverts the last merged change as a PR, with the revert trailers', async () => {
    await comment('alice', 4, '/canary rollback podinfo');
    const p5 = await pull(5);
    expect(p5).toMatchObject({ state: 'open', head: { ref: 'gitops-canary/podinfo/rollback' } });
    expect(p5.title).toContain('podinfo: roll back "podinfo: canary weight 60% → 100%"');
    expect(checkOn(p5.head.sha)).toMatchObject({ conclusion: 'success', output: { title: p5.title } });
    await approve(5);
    expect(weights(await h.show('config', VS))).toEqual([40, 60]);
    const message = await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', 'main^2');
    expect(message).toMatch(/^Gitops-Canary-Action: rollback$/m);
    expect(message).toMatch(/^Gitops-Canary-Reverts: [0-9a-f]{40}$/m);
    h.double.assertNoViolations();
  }, 120_000);

  it('a redelivered webhook changes nothing', async () => {
    const before = await h.subjects('config');
    const prs = (await h.double.pulls(OWNER, 'config')).length;
    const res = await h.post('release', releasePayload({ ...repo('podinfo'), tag: 'v0.2.1' }));
    expect(res.status).toBe(200);
    expect(await h.subjects('config')).toEqual(before);
    expect((await h.double.pulls(OWNER, 'config')).length).toBe(prs);
    h.double.assertNoViolations();
  }, 60_000);

  it('an event from a repo that is no app\'s source changes nothing and says why', async () => {
    const before = await h.subjects('config');
    const branches = await h.double.git(OWNER, 'config', 'for-each-ref', '--format=%(refname) %(objectname)');
    await h.double.createRelease(OWNER, 'intruder', { tag: 'v0.2.9' });
    await h.receive('release', releasePayload({ ...repo('intruder'), tag: 'v0.2.9' }));
    expect(await h.subjects('config')).toEqual(before);
    expect(await h.double.git(OWNER, 'config', 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(branches);
    expect(h.logs.map((l) => l.msg)).toContain('example/intruder is not the source of any app in the config; nothing changes');
    expect(h.double.statuses(OWNER, 'intruder')).toEqual([]);
    h.double.assertNoViolations();
  }, 60_000);
});

describe('secrets', () => {
  it('installation tokens appear in no log line, commit message, PR body or comment', async () => {
    const tokens = [...h.double.state.tokens.keys()].filter((t) => t.startsWith('ghs_'));
    expect(tokens.length).toBeGreaterThan(0);
    const haystacks = [
      JSON.stringify(h.logs),
      await h.double.git(OWNER, 'config', 'log', '--all', '--format=%B'),
      JSON.stringify(await h.double.pulls(OWNER, 'config')),
      JSON.stringify(h.double.comments(OWNER, 'config')),
      JSON.stringify(h.double.statuses(OWNER, 'podinfo')),
    ];
    for (const text of haystacks) {
      expect(text).not.toMatch(/ghs_[A-Za-z0-9]{8,}/);
      for (const t of tokens) expect(text).not.toContain(t);
    }
  });
});
