// Through the GitHub double: a ChatOps rollback delivered as a pull request is analyzed
// before its branch is made (refused for an error the revert brings, let through with a
// warning for one the repo already has); the config's checks against the repo reach a
// release PR as warnings and a person's config PR as annotations.
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { issueCommentPayload, pullRequestPayload, releasePayload } from '../../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, seedConfig, startHarness, type Harness } from '../../helpers/app.ts';

const CONFIG = '.github/gitops-canary.yml';
const GA = 'apps/podinfo/ga-dep.yaml';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const source = (hh: Harness, sender = 'octocat') => ({ owner: OWNER, repo: 'podinfo', installationId: INSTALLATION, baseUrl: hh.double.url, sender });
type Run = { id: number; head_sha: string; conclusion: string; output: { summary: string } };

/** `/canary <command>` by alice on a new issue; the bot's answer. */
async function chatops(hh: Harness, command: string): Promise<string> {
  const kit = new Octokit({ baseUrl: hh.double.url, auth: hh.double.userToken('alice') });
  const issue = (await kit.rest.issues.create({ owner: OWNER, repo: 'config', title: command })).data.number;
  await hh.receive('issue_comment', issueCommentPayload({ ...source(hh, 'alice'), repo: 'config', issueNumber: issue, isPullRequest: false, body: `/canary ${command}`, commenter: 'alice' }));
  const answers = hh.double.comments(OWNER, 'config').filter((c) => c.issue_number === issue);
  expect(answers).toHaveLength(1);
  return answers[0].body;
}

/** The bot sets the canary weight (commit delivery); then alice switches the app to pull
 *  requests and relabels the ga pods, so the ga subset selects nothing from then on. */
async function weightThenRelabel(weight: number): Promise<Harness> {
  const files = exampleFiles();
  const hh = await startHarness({ configFiles: { ...files, [CONFIG]: seedConfig({ delivery: 'commit' }) } });
  hh.double.setPermission(OWNER, 'config', 'alice', 'admin');
  expect(await chatops(hh, `weight podinfo ${weight}`)).toContain('podinfo');
  await hh.double.pushAsUser(OWNER, 'config', { [CONFIG]: seedConfig({ delivery: 'pull-request' }), [GA]: files[GA].replaceAll('version: ga\n', 'version: ga2\n') }, 'pull requests; relabel ga', 'main', 'alice');
  return hh;
}

describe('a rollback delivered as a pull request is analyzed first', () => {
  it('an error the revert brings refuses it: no branch, no PR, the answer names the place', async () => {
    h = await weightThenRelabel(100);
    const before = await h.subjects('config');
    const answer = await chatops(h, 'rollback podinfo');
    expect(answer).toMatch(/^@alice `\/canary rollback` failed: apps\/podinfo\/destination-rule\.yaml:\d+ DestinationRule\/test\/podinfo subsets\[0\]\.labels: subset "ga" selects no pod/);
    expect(await h.subjects('config')).toEqual(before);
    expect(await h.double.pulls(OWNER, 'config')).toEqual([]);
    expect((await h.double.git(OWNER, 'config', 'branch', '--list', 'gitops-canary/*')).trim()).toBe('');
    h.double.assertNoViolations();
  }, 90_000);

  it('an error the repo already has does not: the PR, its check run and the answer carry the warning', async () => {
    h = await weightThenRelabel(20);
    const answer = await chatops(h, 'rollback podinfo');
    expect(answer).toContain('warning: apps/podinfo/destination-rule.yaml:');
    const [pr] = (await h.double.pulls(OWNER, 'config')) as Array<{ body: string; head: { sha: string } }>;
    expect(pr.body).toContain('**Analysis warnings**');
    expect(pr.body).toContain('so before this rollback too');
    const run = (h.double.checkRuns(OWNER, 'config') as Run[]).find((r) => r.head_sha === pr.head.sha);
    expect(run?.output.summary).toContain('subset "ga" selects no pod');
    const message = await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', 'gitops-canary/podinfo/rollback');
    expect(message).toContain('Analysis warnings:');
    h.double.assertNoViolations();
  }, 90_000);
});

describe('the config checked against the repo, in the bot', () => {
  it('a release PR carries the config’s repo-check problems as warnings, in its body and check run', async () => {
    const config = seedConfig().replace('paths: ["apps/podinfo/canary-dep.yaml"]', 'paths: ["apps/podinfo/canary-dep.yaml", "apps/podinfo/extra/*.yaml"]');
    h = await startHarness({ configFiles: { ...exampleFiles(), [CONFIG]: config } });
    await h.receive('release', releasePayload({ ...source(h), tag: 'v0.2.1' }));
    const [pr] = (await h.double.pulls(OWNER, 'config')) as Array<{ body: string; head: { sha: string } }>;
    const line = 'apps.podinfo.tracks.canary.paths[1]: glob matches no file in the repo: "apps/podinfo/extra/*.yaml"';
    expect(pr.body).toContain('**Analysis warnings**');
    expect(pr.body).toContain(`${CONFIG}:${config.split('\n').findIndex((l) => l.includes('extra/*.yaml')) + 1} ${line}`);
    const run = (h.double.checkRuns(OWNER, 'config') as Run[]).find((r) => r.head_sha === pr.head.sha);
    expect(run?.output.summary).toContain(line);
    h.double.assertNoViolations();
  }, 90_000);

  it('a person’s config PR gets the repo checks as annotations on the config’s lines', async () => {
    h = await startHarness();
    h.double.setPermission(OWNER, 'config', 'alice', 'write');
    const config = seedConfig().replace('image: ghcr.io/example/podinfo', 'image: ghcr.io/example/podinf');
    const sha = await h.double.pushAsUser(OWNER, 'config', { [CONFIG]: config }, 'image', 'alice/image', 'alice');
    const kit = new Octokit({ baseUrl: h.double.url, auth: h.double.userToken('alice') });
    const number = (await kit.rest.pulls.create({ owner: OWNER, repo: 'config', head: 'alice/image', base: 'main', title: 'image' })).data.number;
    await h.receive('pull_request', pullRequestPayload({ owner: OWNER, repo: 'config', installationId: INSTALLATION, baseUrl: h.double.url, sender: 'alice', number, headRef: 'alice/image', headSha: sha, action: 'opened' }));
    const [run] = h.double.checkRuns(OWNER, 'config') as Run[];
    expect(run).toMatchObject({ head_sha: sha, conclusion: 'failure' });
    const line = config.split('\n').findIndex((l) => l.includes('image: ghcr.io/example/podinf')) + 1;
    expect(h.double.checkAnnotations(OWNER, 'config', run.id)).toContainEqual(
      expect.objectContaining({ path: CONFIG, start_line: line, annotation_level: 'failure', title: 'CONFIG_IMAGE_NOT_IN_TRACKS', message: expect.stringContaining('apps.podinfo.image: ghcr.io/example/podinf appears in none of the app\'s track files') }),
    );
    h.double.assertNoViolations();
  }, 90_000);
});
