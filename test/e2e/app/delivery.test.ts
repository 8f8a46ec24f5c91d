// Delivery details through the GitHub double: one PR per app and track that a newer tag
// updates, a merge refused by branch protection, a rollback that holds its tag, and Slack
// (received, per-app, down) never blocking a change, and the ChatOps commands on an issue.
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { issueCommentPayload, pullRequestReviewPayload, releasePayload } from '../../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, seedConfig, slackText, startHarness, startSlack, type Harness, type SlackCapture } from '../../helpers/app.ts';
import { startReconciler } from '../../../src/bot/reconcile/loop.ts';
import { newReconcileMemo } from '../../../src/bot/reconcile/run.ts';
import { scheduledScopes } from '../../../src/handlers/schedule.ts';

const CANARY = 'apps/podinfo/canary-dep.yaml';

let h: Harness | undefined;
const slacks: SlackCapture[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(slacks.splice(0).map((s) => s.close()));
});

function repo(hh: Harness, name = 'podinfo', sender = 'octocat') {
  return { owner: OWNER, repo: name, installationId: INSTALLATION, baseUrl: hh.double.url, sender };
}

/** A real issue in the config repo, opened by `user`; returns its number. */
async function openIssue(hh: Harness, user: string, title: string): Promise<number> {
  const kit = new Octokit({ baseUrl: hh.double.url, auth: hh.double.userToken(user) });
  return (await kit.rest.issues.create({ owner: OWNER, repo: 'config', title })).data.number;
}

const commitConfig = (notify?: string) => ({ ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit', notify }) });

describe('pull requests', () => {
  it('a newer tag force-updates the bot branch and edits the one PR, never a second', async () => {
    h = await startHarness();
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.2' }));
    const pulls = await h.double.pulls(OWNER, 'config');
    expect(pulls.map((p) => [p.number, p.state, p.title])).toEqual([[1, 'open', 'podinfo: canary 0.2.0 → 0.2.2, canary weight 10%']]);
    expect(pulls[0].body).toContain('`ghcr.io/example/podinfo:0.2.0` → `ghcr.io/example/podinfo:0.2.2`');
    expect((await h.double.git(OWNER, 'config', 'rev-list', '--count', 'main..gitops-canary/podinfo/canary')).trim()).toBe('1');
    expect(await h.show('config', CANARY, 'gitops-canary/podinfo/canary')).toContain('podinfo:0.2.2');
    h.double.assertNoViolations();
  }, 90_000);

  it('a merge refused by branch protection becomes a PR comment, and the PR stays open', async () => {
    h = await startHarness();
    h.double.setPermission(OWNER, 'config', 'alice', 'write');
    h.double.protectBranch(OWNER, 'config', 'main', { requiredApprovals: 2 });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    const [pr] = (await h.double.pulls(OWNER, 'config')) as Array<{ number: number; head: { ref: string; sha: string } }>;
    await h.double.addReview(OWNER, 'config', pr.number, { user: 'alice', state: 'APPROVED' });
    await h.receive('pull_request_review', pullRequestReviewPayload({ ...repo(h, 'config', 'alice'), number: pr.number, headRef: pr.head.ref, headSha: pr.head.sha, reviewer: 'alice' }));
    // Refused once, not retried: a 405 is the host's answer.
    expect(h.double.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/merge'))).toHaveLength(1);
    const comments = h.double.comments(OWNER, 'config').filter((c) => c.issue_number === pr.number);
    expect(comments.map((c) => c.body)).toEqual([expect.stringMatching(/^:warning: gitops-canary could not merge this pull request: .*At least 2 approving reviews are required/)]);
    expect((await h.double.pulls(OWNER, 'config'))[0]).toMatchObject({ state: 'open', merged: false });
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.0');
    h.double.assertNoViolations();
  }, 90_000);

  it('waits for the configured number of approvals', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ approvals: 2 }) } });
    h.double.setPermission(OWNER, 'config', 'alice', 'write');
    h.double.setPermission(OWNER, 'config', 'bob', 'write');
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    const [pr] = (await h.double.pulls(OWNER, 'config')) as Array<{ number: number; head: { ref: string; sha: string } }>;
    const approve = async (user: string) => {
      await h!.double.addReview(OWNER, 'config', pr.number, { user, state: 'APPROVED' });
      await h!.receive('pull_request_review', pullRequestReviewPayload({ ...repo(h!, 'config', user), number: pr.number, headRef: pr.head.ref, headSha: pr.head.sha, reviewer: user }));
    };
    await approve('alice');
    expect((await h.double.pulls(OWNER, 'config'))[0]).toMatchObject({ state: 'open' });
    await approve('bob');
    expect((await h.double.pulls(OWNER, 'config'))[0]).toMatchObject({ state: 'closed', merged: true });
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    h.double.assertNoViolations();
  }, 90_000);
});

describe('rollback of a release', () => {
  it('reverts the commit, holds the tag until a newer one, and answers on an issue', async () => {
    h = await startHarness({ configFiles: commitConfig() });
    h.double.setPermission(OWNER, 'config', 'alice', 'admin');
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    const issue = await openIssue(h, 'alice', 'roll back podinfo');
    await h.receive('issue_comment', issueCommentPayload({ ...repo(h, 'config', 'alice'), issueNumber: issue, isPullRequest: false, body: 'please\n/canary rollback podinfo', commenter: 'alice' }));
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.0');
    const message = await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', 'main');
    expect(message).toMatch(/^Gitops-Canary-Hold: 0\.2\.1$/m);
    const answer = h.double.comments(OWNER, 'config').filter((c) => c.issue_number === issue);
    expect(answer.map((c) => c.body)).toEqual([expect.stringMatching(/^@alice `\/canary rollback`:/)]);
    // The same tag again (a redelivery, another event): held.
    const held = await h.subjects('config');
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.subjects('config')).toEqual(held);
    // A reconcile pass that finds v0.2.1 as the newest release at the source: still held.
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    const memo = newReconcileMemo();
    const [reconciled] = await startReconciler({ deps: { ...h.runtime.deps, reconciled: memo }, scopes: scheduledScopes(h.probot, { mode: 'github', configRepos: [], localConfigRepo: '' }), intervalMs: 0, memo }).run();
    expect(reconciled.outcome).toBe('canary: newest 0.2.1 is held after a rollback');
    expect(await h.subjects('config')).toEqual(held);
    // A newer tag moves on.
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.2' }));
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.2');
    h.double.assertNoViolations();
  }, 120_000);

  it('answers unknown apps and malformed commands with usage, changing nothing', async () => {
    h = await startHarness({ configFiles: commitConfig() });
    h.double.setPermission(OWNER, 'config', 'alice', 'write');
    const before = await h.subjects('config');
    const issue = await openIssue(h, 'alice', 'weights');
    await h.receive('issue_comment', issueCommentPayload({ ...repo(h, 'config', 'alice'), issueNumber: issue, isPullRequest: false, body: '/canary weight nope 50', commenter: 'alice' }));
    await h.receive('issue_comment', issueCommentPayload({ ...repo(h, 'config', 'alice'), issueNumber: issue, isPullRequest: false, body: '/canary weight podinfo 150', commenter: 'alice' }));
    const bodies = h.double.comments(OWNER, 'config').map((c) => c.body);
    expect(bodies[0]).toContain('unknown app `nope` (known: `podinfo`)');
    expect(bodies[1]).toContain('needs an app and a whole number from 0 to 100');
    expect(await h.subjects('config')).toEqual(before);
    h.double.assertNoViolations();
  }, 60_000);
});

describe('chatops', () => {
  it('weight, pause, status, resume and abort on an issue: each acts, is recorded in git and answered', async () => {
    h = await startHarness({ configFiles: commitConfig() });
    h.double.setPermission(OWNER, 'config', 'alice', 'write');
    const issue = await openIssue(h, 'alice', 'drive podinfo');
    const say = (body: string) => h!.receive('issue_comment', issueCommentPayload({ ...repo(h!, 'config', 'alice'), issueNumber: issue, isPullRequest: false, body, commenter: 'alice' }));
    const answers = () => h!.double.comments(OWNER, 'config').filter((c) => c.issue_number === issue).map((c) => c.body);
    const weights = async () => [...(await h!.show('config', 'apps/podinfo/virtual-service.yaml')).matchAll(/weight: (\d+)/g)].map((m) => Number(m[1]));
    const lastTrailer = async (key: string) => (await h!.double.git(OWNER, 'config', 'log', '-1', `--format=%(trailers:key=Gitops-Canary-${key},valueonly)`, 'main')).trim();

    await say('/canary weight podinfo 30');
    expect(await weights()).toEqual([70, 30]);
    await say('/canary pause podinfo');
    expect(await lastTrailer('Action')).toBe('pause');
    await say('/canary status');
    await say('/canary resume podinfo');
    expect(await lastTrailer('Action')).toBe('resume');
    await say('/canary abort podinfo');
    expect(await weights()).toEqual([100, 0]);
    expect(await lastTrailer('Action')).toBe('abort');

    const said = answers();
    expect(said).toHaveLength(5);
    expect(said[0]).toMatch(/^@alice `\/canary weight`:/);
    expect(said[0]).toContain('podinfo: canary weight 0% → 30%');
    expect(said[1]).toMatch(/^@alice `\/canary pause`:/);
    expect(said[2]).toMatch(/^@alice `\/canary status`:/);
    expect(said[2]).toContain('podinfo (ghcr.io/example/podinfo) [paused]');
    expect(said[2]).toContain('weights  stable 70% / canary 30%');
    expect(said[2]).toContain('canary weight 30% is off the configured steps (10, 60, 100)');
    expect(said[2]).toContain('next: wait — rollout paused');
    expect(said[3]).toMatch(/^@alice `\/canary resume`:/);
    expect(said[4]).toMatch(/^@alice `\/canary abort`:/);
    h.double.assertNoViolations();
  }, 120_000);
});

describe('slack', () => {
  it('gets one Block Kit message per change, with the content and without secrets', async () => {
    const slack = await startSlack();
    slacks.push(slack);
    h = await startHarness({ configFiles: commitConfig(), env: { SLACK_WEBHOOK_URL: slack.url } });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    await h.notifier.flush();
    expect(slack.messages).toHaveLength(1);
    const [m] = slack.messages;
    expect(Array.isArray(m.blocks)).toBe(true);
    const text = slackText(m);
    expect(text).toContain('podinfo');
    expect(text).toContain('0.2.1');
    expect(text).toContain('example/config');
    expect(text).not.toMatch(/ghs_[A-Za-z0-9]{8,}/);
    expect(text).not.toContain(slack.url);
    // Nothing changed, nothing said.
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    await h.notifier.flush();
    expect(slack.messages).toHaveLength(1);
    h.double.assertNoViolations();
  }, 60_000);

  it('an app naming its own Slack variable goes there, not to the global one', async () => {
    const global = await startSlack();
    const own = await startSlack();
    slacks.push(global, own);
    h = await startHarness({ configFiles: commitConfig('PODINFO_SLACK'), env: { SLACK_WEBHOOK_URL: global.url, PODINFO_SLACK: own.url } });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    await h.notifier.flush();
    expect(own.messages).toHaveLength(1);
    expect(global.messages).toHaveLength(0);
    h.double.assertNoViolations();
  }, 60_000);

  it('Slack failing (5xx) is retried a bounded number of times and never blocks the change', async () => {
    const slack = await startSlack();
    slacks.push(slack);
    for (let i = 1; i <= 10; i++) slack.failures.set(i, i % 2 ? 500 : 503);
    h = await startHarness({ configFiles: commitConfig(), env: { SLACK_WEBHOOK_URL: slack.url } });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    await h.notifier.flush();
    expect(slack.requests).toBe(3);
    expect(slack.messages).toHaveLength(0);
    expect(h.logs.some((l) => l.msg === 'notification dropped')).toBe(true);
    h.double.assertNoViolations();
  }, 60_000);

  it('Slack recovering after a 500 gets the message on retry', async () => {
    const slack = await startSlack();
    slacks.push(slack);
    slack.failures.set(1, 500);
    h = await startHarness({ configFiles: commitConfig(), env: { SLACK_WEBHOOK_URL: slack.url } });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    await h.notifier.flush();
    expect(slack.requests).toBe(2);
    expect(slack.messages).toHaveLength(1);
    h.double.assertNoViolations();
  }, 60_000);

  it('Slack unreachable: the change lands anyway', async () => {
    const slack = await startSlack();
    await slack.close();
    h = await startHarness({ configFiles: commitConfig(), env: { SLACK_WEBHOOK_URL: slack.url } });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    await h.notifier.flush();
    expect(h.logs.some((l) => l.msg === 'notification dropped')).toBe(true);
    h.double.assertNoViolations();
  }, 60_000);
});
