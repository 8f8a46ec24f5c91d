// Whose approval lets the bot merge, through the GitHub double: only people with write,
// maintain or admin permission on the config repo count; bots never do; a later "changes
// requested" withdraws an approval. Every decision is explained on the PR.
import { afterEach, describe, expect, it } from 'vitest';
import { pullRequestReviewPayload, releasePayload } from '../../github-double/index.ts';
import { INSTALLATION, OWNER, startHarness, type Harness } from '../../helpers/app.ts';

const CANARY = 'apps/podinfo/canary-dep.yaml';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Pr {
  number: number;
  state: string;
  merged: boolean;
  head: { ref: string; sha: string };
}

/** A canary release opens the bot's PR; returns it. */
async function openBotPr(hh: Harness): Promise<Pr> {
  await hh.receive('release', releasePayload({ owner: OWNER, repo: 'podinfo', installationId: INSTALLATION, baseUrl: hh.double.url, tag: 'v0.2.1' }));
  const [pr] = (await hh.double.pulls(OWNER, 'config')) as unknown as Pr[];
  return pr;
}

async function prNow(hh: Harness, number: number): Promise<Pr> {
  return ((await hh.double.pulls(OWNER, 'config')) as unknown as Pr[]).find((p) => p.number === number)!;
}

/** GitHub tells the bot that `user` submitted a review (the review itself is already in the double). */
function reviewEvent(hh: Harness, pr: Pr, user: string, state: 'approved' | 'changes_requested' = 'approved') {
  return hh.receive(
    'pull_request_review',
    pullRequestReviewPayload({ owner: OWNER, repo: 'config', installationId: INSTALLATION, baseUrl: hh.double.url, sender: user, number: pr.number, headRef: pr.head.ref, headSha: pr.head.sha, reviewer: user, state }),
  );
}

async function approve(hh: Harness, pr: Pr, user: string): Promise<void> {
  await hh.double.addReview(OWNER, 'config', pr.number, { user, state: 'APPROVED' });
  await reviewEvent(hh, pr, user);
}

const prComments = (hh: Harness, pr: Pr) => hh.double.comments(OWNER, 'config').filter((c) => c.issue_number === pr.number).map((c) => c.body);

/** The newest approvals check run on the PR's head. */
function approvalsCheck(hh: Harness, pr: Pr) {
  const runs = hh.double.checkRuns(OWNER, 'config').filter((c) => c.name === 'gitops-canary/approvals' && c.head_sha === pr.head.sha);
  return runs[runs.length - 1] as { status: string; conclusion: string; output: { title: string; summary: string } } | undefined;
}

const permissionLookups = (hh: Harness) => hh.double.requests.filter((r) => r.operationId === 'repos/get-collaborator-permission-level').map((r) => r.path.split('/')[5]);

const READER_REASON = 'reader has read permission on example/config; approvals need write, maintain or admin';

describe('approvals that let the bot merge', () => {
  it("a read-only reviewer's approval does not merge and is explained; a writer's then does, and only the writer is recorded", async () => {
    h = await startHarness();
    h.double.setPermission(OWNER, 'config', 'reader', 'read');
    h.double.setPermission(OWNER, 'config', 'alice', 'write');
    const pr = await openBotPr(h);

    await approve(h, pr, 'reader');
    expect(await prNow(h, pr.number)).toMatchObject({ state: 'open', merged: false });
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.0');
    expect(prComments(h, pr)).toEqual([`@reader's approval does not count: ${READER_REASON}.\n\n0 of 1 required approval counted.`]);
    const waiting = approvalsCheck(h, pr)!;
    expect(waiting).toMatchObject({ status: 'completed', conclusion: 'neutral', output: { title: '0 of 1 required approval' } });
    expect(waiting.output.summary).toContain(`**Not counted**\n- @reader: ${READER_REASON}`);
    expect(waiting.output.summary).toContain('**Counted**\n- none');

    await approve(h, pr, 'alice');
    expect(await prNow(h, pr.number)).toMatchObject({ state: 'closed', merged: true });
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    const approvedBy = await h.double.git(OWNER, 'config', 'log', '-1', '--format=%(trailers:key=Gitops-Canary-Approved-By,valueonly)', 'main');
    expect(approvedBy.trim()).toBe('alice');
    // The merge is its own report: no second comment.
    expect(prComments(h, pr)).toHaveLength(1);
    const passed = approvalsCheck(h, pr)!;
    expect(passed).toMatchObject({ conclusion: 'success', output: { title: '1 of 1 required approval' } });
    expect(passed.output.summary).toContain('**Counted**\n- @alice');
    expect(passed.output.summary).toContain(`- @reader: ${READER_REASON}`);
    // Permissions are asked afresh on every review event, once per approving reviewer.
    expect(permissionLookups(h)).toEqual(['reader', 'reader', 'alice']);
    h.double.assertNoViolations();
  }, 90_000);

  it('a writer who approves and then requests changes has withdrawn the approval; approving again merges', async () => {
    h = await startHarness();
    h.double.setPermission(OWNER, 'config', 'alice', 'write');
    const pr = await openBotPr(h);
    await h.double.addReview(OWNER, 'config', pr.number, { user: 'alice', state: 'APPROVED' });
    await h.double.addReview(OWNER, 'config', pr.number, { user: 'alice', state: 'CHANGES_REQUESTED', body: 'wait for the load test' });
    // The approval's webhook arrives after the change of mind (deliveries can be late).
    await reviewEvent(h, pr, 'alice');
    await reviewEvent(h, pr, 'alice', 'changes_requested');
    expect(await prNow(h, pr.number)).toMatchObject({ state: 'open', merged: false });
    expect(prComments(h, pr)).toEqual([]);
    const withdrawn = approvalsCheck(h, pr)!;
    expect(withdrawn).toMatchObject({ conclusion: 'neutral', output: { title: '0 of 1 required approval' } });
    expect(withdrawn.output.summary).toContain('**Withdrawn**\n- @alice: alice requested changes; an earlier approval of theirs is withdrawn');

    await approve(h, pr, 'alice');
    expect(await prNow(h, pr.number)).toMatchObject({ state: 'closed', merged: true });
    expect(approvalsCheck(h, pr)).toMatchObject({ conclusion: 'success' });
    h.double.assertNoViolations();
  }, 90_000);

  it("a bot account's approval never counts, even with admin permission", async () => {
    h = await startHarness();
    h.double.setPermission(OWNER, 'config', 'deploy-helper', 'admin');
    const pr = await openBotPr(h);
    await h.double.addReview(OWNER, 'config', pr.number, { user: 'deploy-helper', userType: 'Bot', state: 'APPROVED' });
    // The double lists the reviewer with `type: Bot`, as GitHub does for apps (test/github-double.test.ts).
    await reviewEvent(h, pr, 'deploy-helper');
    expect(await prNow(h, pr.number)).toMatchObject({ state: 'open', merged: false });
    expect(prComments(h, pr)).toEqual([
      "@deploy-helper's approval does not count: deploy-helper is a bot; approvals must come from people with write, maintain or admin permission on example/config.\n\n0 of 1 required approval counted.",
    ]);
    const check = approvalsCheck(h, pr)!;
    expect(check).toMatchObject({ conclusion: 'neutral' });
    expect(check.output.summary).toContain('**Not counted**\n- @deploy-helper: deploy-helper is a bot;');
    // A bot never counts, so its permission is not even asked.
    expect(permissionLookups(h)).toEqual([]);
    h.double.assertNoViolations();
  }, 90_000);
});
