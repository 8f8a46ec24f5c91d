// A person's pull request in the config repo gets the analysis the bot's own changes
// get: a `gitops-canary` check run on its head, with annotations on file and line.
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { pullRequestPayload } from '../../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, startHarness, type Harness } from '../../helpers/app.ts';

const VS = 'apps/podinfo/virtual-service.yaml';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `alice` pushes `files` to `branch` and opens a PR from it; the bot hears of it through the webhook endpoint. */
async function personsPullRequest(hh: Harness, branch: string, files: Record<string, string>): Promise<{ number: number; sha: string }> {
  hh.double.setPermission(OWNER, 'config', 'alice', 'write');
  const sha = await hh.double.pushAsUser(OWNER, 'config', files, `edit ${branch}`, branch, 'alice');
  const kit = new Octokit({ baseUrl: hh.double.url, auth: hh.double.userToken('alice') });
  const number = (await kit.rest.pulls.create({ owner: OWNER, repo: 'config', head: branch, base: 'main', title: `edit ${branch}` })).data.number;
  const res = await hh.post('pull_request', pullRequestPayload({ owner: OWNER, repo: 'config', installationId: INSTALLATION, baseUrl: hh.double.url, sender: 'alice', number, headRef: branch, headSha: sha, action: 'opened' }));
  expect(res.status).toBe(200);
  return { number, sha };
}

type Run = { id: number; name: string; head_sha: string; conclusion: string; output: { title: string; summary: string } };
const runs = (hh: Harness) => hh.double.checkRuns(OWNER, 'config') as Run[];

describe('checks on people’s pull requests', () => {
  it('a subset typo in the VirtualService fails the check, annotated on the subset’s line', async () => {
    h = await startHarness();
    const vs = exampleFiles()[VS];
    const typo = vs.replace('subset: canary', 'subset: canry');
    const line = typo.split('\n').findIndex((l) => l.includes('subset: canry')) + 1;
    const { sha } = await personsPullRequest(h, 'alice/typo', { [VS]: typo });
    const [run] = runs(h);
    expect(runs(h)).toHaveLength(1);
    expect(run).toMatchObject({ name: 'gitops-canary', head_sha: sha, conclusion: 'failure' });
    expect(run.output.summary).toContain(`\`${VS}\``);
    const notes = h.double.checkAnnotations(OWNER, 'config', run.id);
    const subset = notes.find((a) => a.message.includes('subset "canry" is not defined'));
    expect(subset).toMatchObject({ path: VS, start_line: line, end_line: line, annotation_level: 'failure' });
    expect(subset?.message).toContain('http[0].route[1].destination.subset');
    h.double.assertNoViolations();
  }, 90_000);

  it('a clean edit of the weights passes', async () => {
    h = await startHarness();
    const vs = exampleFiles()[VS];
    const { sha } = await personsPullRequest(h, 'alice/weights', { [VS]: vs.replace('weight: 100', 'weight: 90').replace('weight: 0', 'weight: 10') });
    expect(runs(h)).toMatchObject([{ name: 'gitops-canary', head_sha: sha, conclusion: 'success', output: { title: 'No problems found' } }]);
    expect(h.double.checkAnnotations(OWNER, 'config', runs(h)[0].id)).toEqual([]);
    h.double.assertNoViolations();
  }, 90_000);

  it('a PR that changes no watched file gets no check run, and the log says why', async () => {
    h = await startHarness();
    const { number } = await personsPullRequest(h, 'alice/docs', { 'docs/README.md': '# notes\n' });
    expect(runs(h)).toEqual([]);
    expect(h.logs.find((l) => l.msg === 'pull request changes no file the config watches; no check run')).toMatchObject({ pr: number });
    h.double.assertNoViolations();
  }, 90_000);

  it('a push to the PR checks the new head; the clone goes back to main for the next job', async () => {
    h = await startHarness();
    const { number } = await personsPullRequest(h, 'alice/docs', { 'docs/README.md': '# notes\n' });
    const vs = exampleFiles()[VS];
    const sha = await h.double.pushAsUser(OWNER, 'config', { [VS]: vs.replace('subset: ga', 'subset: gaa') }, 'typo', 'alice/docs', 'alice');
    await h.receive('pull_request', pullRequestPayload({ owner: OWNER, repo: 'config', installationId: INSTALLATION, baseUrl: h.double.url, sender: 'alice', number, headRef: 'alice/docs', headSha: sha, action: 'synchronize' }));
    expect(runs(h)).toMatchObject([{ head_sha: sha, conclusion: 'failure' }]);
    const repo = { id: { owner: OWNER, name: 'config' }, cloneUrl: `${h.double.url}/git/${OWNER}/config.git` };
    const main = (await h.double.git(OWNER, 'config', 'rev-parse', 'main')).trim();
    const after = await h.runtime.deps.workspaces.with(repo, h.double.installationToken(INSTALLATION), async (ws) => {
      await ws.sync();
      return { head: await ws.resolve('HEAD'), branch: await ws.currentBranch(), dirty: await ws.cleanTree() };
    });
    expect(after).toMatchObject({ head: main, branch: 'main' });
    expect(after.dirty).toBeDefined();
  }, 90_000);

  it('the bot’s own PR branches are left to delivery', async () => {
    h = await startHarness();
    await h.receive('pull_request', pullRequestPayload({ owner: OWNER, repo: 'config', installationId: INSTALLATION, baseUrl: h.double.url, sender: 'gitops-canary[bot]', number: 9, headRef: 'gitops-canary/podinfo/canary', action: 'opened' }));
    expect(runs(h)).toEqual([]);
    expect(h.logs.some((l) => l.msg === 'ignoring a PR the bot opened')).toBe(true);
  }, 90_000);
});
