import { createSign, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Octokit } from '@octokit/rest';
import { Probot } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge } from '../src/forge/github.ts';
import { startGitHubDouble, type GitHubDouble } from './github-double/index.ts';
import { mustGit, removeTempDirs, runGitClient, tempDir, tokenHeader } from './github-double/test-git.ts';

const OWNER = 'acme';
const REPO = 'config';
const FILES = { 'apps/api/deployment.yaml': 'image: ghcr.io/acme/api:1.0.0\n', 'README.md': '# config\n' };

let double: GitHubDouble;
let token: string;
let octokit: Octokit;

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function kit(auth: string): Octokit {
  return new Octokit({ baseUrl: double.url, auth, log: quiet });
}

/** Bypasses Octokit's route typing so tests can send requests GitHub would reject. */
function untyped(route: string): string {
  return route;
}

function jwt(d: GitHubDouble, iss: number | string = d.appId): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iat: now - 30, exp: now + 540, iss })}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(d.privateKey).toString('base64url')}`;
}

async function status(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
    return { status: 200, message: '' };
  } catch (err) {
    const e = err as { status: number; message: string };
    return { status: e.status, message: e.message };
  }
}

/** Clones the config repo over HTTP, commits `files` on a new branch and pushes it. */
async function pushBranch(branch: string, files: Record<string, string>, from = 'main'): Promise<string> {
  const dir = await tempDir('ghd-test-clone-');
  await mustGit(dir, [...tokenHeader(token), 'clone', '--quiet', '--branch', from, `${double.url}/git/${OWNER}/${REPO}.git`, '.']);
  for (const [p, c] of Object.entries(files)) await writeFile(join(dir, p), c);
  await mustGit(dir, ['checkout', '--quiet', '-b', branch]);
  await mustGit(dir, ['commit', '--quiet', '-am', `change on ${branch}`]);
  await mustGit(dir, [...tokenHeader(token), 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
  return (await mustGit(dir, ['rev-parse', 'HEAD'])).trim();
}

beforeAll(async () => {
  double = await startGitHubDouble();
  double.addInstallation({ id: 11, account: OWNER });
  double.addInstallation({ id: 22, account: 'other' });
  await double.addRepo({ owner: OWNER, name: REPO, files: FILES, installationId: 11 });
  await double.addRepo({ owner: 'other', name: 'secret', files: { 'x.txt': 'x\n' }, installationId: 22 });
  const app = kit(jwt(double));
  token = (await app.rest.apps.createInstallationAccessToken({ installation_id: 11 })).data.token;
  octokit = kit(token);
});

afterAll(async () => {
  await double?.close();
  await removeTempDirs();
});

describe('app authentication', () => {
  it('accepts a JWT signed with the app key and issues installation tokens', async () => {
    const app = kit(jwt(double));
    expect((await app.rest.apps.getAuthenticated()).data).toMatchObject({ id: double.appId, slug: 'gitops-canary-bot' });
    expect((await app.rest.apps.getRepoInstallation({ owner: OWNER, repo: REPO })).data.id).toBe(11);
    const t = (await app.rest.apps.createInstallationAccessToken({ installation_id: 11 })).data;
    expect(t.token).toMatch(/^ghs_/);
    expect(Date.parse(t.expires_at)).toBeGreaterThan(Date.now());
  });

  it('rejects JWTs signed by another key or for another app, and tokens on /app', async () => {
    const other = await startGitHubDouble();
    try {
      expect((await status(kit(jwt(other, double.appId)).rest.apps.getAuthenticated())).status).toBe(401);
      expect((await status(kit(jwt(double, 999)).rest.apps.getAuthenticated())).status).toBe(401);
      expect((await status(octokit.rest.apps.getAuthenticated())).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('works with Probot’s own installation auth', async () => {
    const probot = new Probot({ appId: double.appId, privateKey: double.privateKey, baseUrl: double.url, logLevel: 'fatal' });
    const gh = await probot.auth(11);
    const { data } = await gh.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(data.full_name).toBe(`${OWNER}/${REPO}`);
  });

  it('scopes installation tokens to their installation and expires them', async () => {
    expect((await status(octokit.rest.repos.get({ owner: 'other', repo: 'secret' }))).status).toBe(404);
    const list = await octokit.rest.apps.listReposAccessibleToInstallation();
    expect(list.data.repositories.map((r) => r.full_name)).toEqual([`${OWNER}/${REPO}`]);
    const shortToken = double.installationToken(11);
    const short = kit(shortToken);
    await short.rest.repos.get({ owner: OWNER, repo: REPO });
    double.state.tokens.get(shortToken)!.expiresAt = 0;
    expect((await status(short.rest.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(401);
  });
});

describe('repository content', () => {
  it('serves repo JSON, contents, refs and branches from the bare repo', async () => {
    const repo = (await octokit.rest.repos.get({ owner: OWNER, repo: REPO })).data;
    expect(repo).toMatchObject({ full_name: 'acme/config', default_branch: 'main', private: true, clone_url: `${double.url}/git/acme/config.git` });
    expect(repo.owner.login).toBe(OWNER);
    const file = (await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'apps/api/deployment.yaml' })).data as { content: string; encoding: string };
    expect(Buffer.from(file.content, 'base64').toString()).toBe(FILES['apps/api/deployment.yaml']);
    const dir = (await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'apps' })).data as Array<{ type: string; path: string }>;
    expect(dir).toEqual([expect.objectContaining({ type: 'dir', path: 'apps/api' })]);
    expect((await status(octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'nope.yaml' }))).status).toBe(404);
    const main = (await double.git(OWNER, REPO, 'rev-parse', 'main')).trim();
    expect((await octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' })).data.object.sha).toBe(main);
    expect((await octokit.rest.repos.getBranch({ owner: OWNER, repo: REPO, branch: 'main' })).data.commit.sha).toBe(main);
  });

  it('answers collaborator permission from setPermission, none for strangers on private repos', async () => {
    double.setPermission(OWNER, REPO, 'alice', 'write');
    const alice = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: REPO, username: 'alice' });
    expect(alice.data).toMatchObject({ permission: 'write', user: { login: 'alice' } });
    const mallory = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: REPO, username: 'mallory' });
    expect(mallory.data.permission).toBe('none');
  });

  it('annotated tags: the ref names a real tag object, get-tag peels it, and a status on it is refused as GitHub does', async () => {
    const { tagSha, commitSha } = await double.tagAnnotated(OWNER, REPO, 'v7.0.0', { message: 'Release 7' });
    expect(tagSha).not.toBe(commitSha);
    expect((await double.git(OWNER, REPO, 'cat-file', '-t', tagSha)).trim()).toBe('tag');
    expect((await double.git(OWNER, REPO, 'rev-parse', 'main')).trim()).toBe(commitSha);
    expect((await octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'tags/v7.0.0' })).data.object).toMatchObject({ type: 'tag', sha: tagSha });
    expect((await octokit.rest.git.getTag({ owner: OWNER, repo: REPO, tag_sha: tagSha })).data).toMatchObject({ tag: 'v7.0.0', sha: tagSha, message: 'Release 7\n', tagger: { name: 'octocat' }, object: { type: 'commit', sha: commitSha } });
    expect((await status(octokit.rest.git.getTag({ owner: OWNER, repo: REPO, tag_sha: commitSha }))).status).toBe(404);
    const forge = new GitHubForge(octokit as unknown as ConstructorParameters<typeof GitHubForge>[0]);
    expect(await forge.tagCommit({ owner: OWNER, name: REPO }, 'v7.0.0')).toBe(commitSha);
    const refused = await status(octokit.rest.repos.createCommitStatus({ owner: OWNER, repo: REPO, sha: tagSha, state: 'success', context: 'tagged' }));
    expect(refused).toEqual({ status: 422, message: expect.stringContaining(`No commit found for SHA: ${tagSha}`) });
    await octokit.rest.repos.createCommitStatus({ owner: OWNER, repo: REPO, sha: commitSha, state: 'success', context: 'tagged' });
    expect(double.statuses(OWNER, REPO).filter((s) => s.context === 'tagged').map((s) => s.sha)).toEqual([commitSha]);
  });
});

describe('git over smart HTTP', () => {
  it('rejects clones without a token or with a bad one (401 with a Basic challenge)', async () => {
    const dir = await tempDir('ghd-test-anon-');
    const anon = await runGitClient(dir, ['clone', '--quiet', `${double.url}/git/${OWNER}/${REPO}.git`, 'a']);
    expect(anon.code).not.toBe(0);
    const bad = await runGitClient(dir, [...tokenHeader('ghs_forged'), 'clone', '--quiet', `${double.url}/git/${OWNER}/${REPO}.git`, 'b']);
    expect(bad.code).not.toBe(0);
    const other = await runGitClient(dir, [...tokenHeader(token), 'clone', '--quiet', `${double.url}/git/other/secret.git`, 'c']);
    expect(other.code).not.toBe(0);
    const gitReqs = double.requests.filter((r) => r.operationId === 'git-http');
    expect(gitReqs.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(2);
    expect(gitReqs.some((r) => r.path === '/git/other/secret.git/info/refs' && r.status === 404)).toBe(true);
  });

  it('accepts credentials in the URL (401 challenge, then retry) and large chunked pushes', async () => {
    const dir = await tempDir('ghd-test-url-');
    const url = `${double.url.replace('http://', `http://x-access-token:${token}@`)}/git/${OWNER}/${REPO}.git`;
    await mustGit(dir, ['clone', '--quiet', url, '.']);
    // Incompressible and larger than http.postBuffer, so git streams it chunked.
    await writeFile(join(dir, 'blob.bin'), randomBytes(1_500_000));
    await mustGit(dir, ['checkout', '--quiet', '-b', 'big']);
    await mustGit(dir, ['add', 'blob.bin']);
    await mustGit(dir, ['commit', '--quiet', '-m', 'big']);
    await mustGit(dir, ['push', '--quiet', 'origin', 'HEAD:refs/heads/big']);
    expect((await double.git(OWNER, REPO, 'cat-file', '-s', 'big:blob.bin')).trim()).toBe('1500000');
    await double.git(OWNER, REPO, 'update-ref', '-d', 'refs/heads/big');
  });

  it('accepts gzip-encoded upload-pack requests', async () => {
    const main = (await double.git(OWNER, REPO, 'rev-parse', 'main')).trim();
    const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
    const body = gzipSync(Buffer.from(`${pkt(`want ${main}\n`)}0000${pkt('done\n')}`));
    const reply = await new Promise<{ status: number; data: Buffer }>((resolve, reject) => {
      const req = httpRequest(`${double.url}/git/${OWNER}/${REPO}.git/git-upload-pack`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-git-upload-pack-request',
          'content-encoding': 'gzip',
          authorization: `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
        },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(reply.status).toBe(200);
    expect(reply.data.includes('PACK')).toBe(true);
  });
});

describe('pull requests', () => {
  it('opens, refuses duplicates, reviews and merges for real', async () => {
    const headSha = await pushBranch('bump-api', { 'apps/api/deployment.yaml': 'image: ghcr.io/acme/api:1.1.0\n' });
    const pr = (await octokit.rest.pulls.create({ owner: OWNER, repo: REPO, head: 'bump-api', base: 'main', title: 'Bump api', body: 'b' })).data;
    expect(pr).toMatchObject({ number: 1, state: 'open', head: { ref: 'bump-api', sha: headSha }, base: { ref: 'main' }, user: { login: 'gitops-canary-bot[bot]' } });
    const dup = await status(octokit.rest.pulls.create({ owner: OWNER, repo: REPO, head: `${OWNER}:bump-api`, base: 'main', title: 'again' }));
    expect(dup.status).toBe(422);
    expect(dup.message).toContain('A pull request already exists for acme:bump-api.');
    const listed = await octokit.rest.pulls.list({ owner: OWNER, repo: REPO, head: `${OWNER}:bump-api`, state: 'open' });
    expect(listed.data.map((p) => p.number)).toEqual([1]);
    expect((await status(octokit.rest.pulls.createReview({ owner: OWNER, repo: REPO, pull_number: 1, event: 'APPROVE' }))).message).toContain('Can not approve your own pull request');
    const alice = kit(double.userToken('alice'));
    const review = await alice.rest.pulls.createReview({ owner: OWNER, repo: REPO, pull_number: 1, event: 'APPROVE' });
    expect(review.data).toMatchObject({ state: 'APPROVED', user: { login: 'alice' }, commit_id: headSha });
    expect((await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 })).data).toMatchObject({ mergeable: true, mergeable_state: 'clean' });
    const merged = await octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: 1, sha: headSha, merge_method: 'merge' });
    expect(merged.data.merged).toBe(true);
    const parents = (await double.git(OWNER, REPO, 'log', '-1', '--format=%P', 'main')).trim().split(' ');
    expect(parents).toHaveLength(2);
    expect(parents[1]).toBe(headSha);
    expect(await double.git(OWNER, REPO, 'show', 'main:apps/api/deployment.yaml')).toBe('image: ghcr.io/acme/api:1.1.0\n');
    const after = (await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 })).data;
    expect(after).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.data.sha, merged_by: { login: 'gitops-canary-bot[bot]' } });
  });

  it("lists reviews with each reviewer's account type; the forge keeps each reviewer's latest decisive review", async () => {
    await pushBranch('reviewed', { 'README.md': '# reviewed\n' });
    const pr = (await octokit.rest.pulls.create({ owner: OWNER, repo: REPO, head: 'reviewed', base: 'main', title: 'reviewed' })).data;
    await double.addReview(OWNER, REPO, pr.number, { user: 'alice', state: 'APPROVED' });
    await double.addReview(OWNER, REPO, pr.number, { user: 'renovate[bot]', state: 'APPROVED' });
    await double.addReview(OWNER, REPO, pr.number, { user: 'deploy-helper', userType: 'Bot', state: 'APPROVED' });
    await double.addReview(OWNER, REPO, pr.number, { user: 'Alice', state: 'CHANGES_REQUESTED', body: 'not yet' });
    await double.addReview(OWNER, REPO, pr.number, { user: 'carol', state: 'COMMENTED', body: 'looks fine' });
    const listed = (await octokit.rest.pulls.listReviews({ owner: OWNER, repo: REPO, pull_number: pr.number })).data;
    expect(listed.map((r) => [r.user?.login, r.user?.type, r.state])).toEqual([
      ['alice', 'User', 'APPROVED'],
      ['renovate[bot]', 'Bot', 'APPROVED'],
      ['deploy-helper', 'Bot', 'APPROVED'],
      ['alice', 'User', 'CHANGES_REQUESTED'],
      ['carol', 'User', 'COMMENTED'],
    ]);
    const forge = new GitHubForge(octokit as unknown as ConstructorParameters<typeof GitHubForge>[0]);
    expect(await forge.reviews({ owner: OWNER, name: REPO }, pr.number)).toEqual([
      { login: 'alice', state: 'CHANGES_REQUESTED', bot: false },
      { login: 'renovate[bot]', state: 'APPROVED', bot: true },
      { login: 'deploy-helper', state: 'APPROVED', bot: true },
    ]);
    await octokit.rest.pulls.update({ owner: OWNER, repo: REPO, pull_number: pr.number, state: 'closed' });
  });

  it('refuses to merge into a protected branch without approvals (405), then squashes', async () => {
    double.protectBranch(OWNER, REPO, 'main', { requiredApprovals: 1 });
    try {
      await pushBranch('bump-api-2', { 'apps/api/deployment.yaml': 'image: ghcr.io/acme/api:1.2.0\n' });
      const pr = (await octokit.rest.pulls.create({ owner: OWNER, repo: REPO, head: 'bump-api-2', base: 'main', title: 'Bump 1.2.0' })).data;
      expect((await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pr.number })).data.mergeable_state).toBe('blocked');
      const refused = await status(octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number }));
      expect(refused).toEqual({ status: 405, message: expect.stringContaining('At least 1 approving review is required by reviewers with write access.') });
      await double.addReview(OWNER, REPO, pr.number, { user: 'bob', state: 'APPROVED' });
      const merged = await octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number, merge_method: 'squash' });
      expect((await double.git(OWNER, REPO, 'log', '-1', '--format=%P%n%s', 'main')).trim().split('\n')).toEqual([expect.not.stringContaining(' '), `Bump 1.2.0 (#${pr.number})`]);
      expect((await double.git(OWNER, REPO, 'rev-parse', 'main')).trim()).toBe(merged.data.sha);
    } finally {
      double.state.mustRepo(OWNER, REPO).protections.clear();
    }
  });

  it('reports conflicts as dirty and a stale head sha as 409', async () => {
    await pushBranch('conflict', { 'README.md': '# from branch\n' });
    await double.pushAsUser(OWNER, REPO, { 'README.md': '# from someone else\n' }, 'race');
    const pr = (await octokit.rest.pulls.create({ owner: OWNER, repo: REPO, head: 'conflict', base: 'main', title: 'conflict' })).data;
    expect((await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pr.number })).data).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    expect((await status(octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number, sha: 'deadbeef'.repeat(5) }))).status).toBe(409);
    expect((await status(octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number }))).status).toBe(405);
    await octokit.rest.pulls.update({ owner: OWNER, repo: REPO, pull_number: pr.number, state: 'closed' });
    expect((await double.pulls(OWNER, REPO)).find((p) => p.number === pr.number)).toMatchObject({ state: 'closed', merged: false });
  });
});

describe('merge methods', () => {
  it('rebases onto a moved base and creates branches through the refs API', async () => {
    await pushBranch('rebase-me', { 'apps/api/deployment.yaml': 'image: ghcr.io/acme/api:2.0.0\n' });
    const moved = await double.pushAsUser(OWNER, REPO, { 'docs/notes.md': 'unrelated\n' }, 'docs');
    const pr = (await octokit.rest.pulls.create({ owner: OWNER, repo: REPO, head: 'rebase-me', base: 'main', title: 'rebase' })).data;
    const merged = await octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number, merge_method: 'rebase' });
    expect((await double.git(OWNER, REPO, 'log', '-1', '--format=%P', 'main')).trim()).toBe(moved);
    expect((await double.git(OWNER, REPO, 'rev-parse', 'main')).trim()).toBe(merged.data.sha);
    expect(await double.git(OWNER, REPO, 'show', 'main:docs/notes.md')).toBe('unrelated\n');
    await octokit.rest.git.createRef({ owner: OWNER, repo: REPO, ref: 'refs/heads/from-api', sha: merged.data.sha });
    expect((await status(octokit.rest.git.createRef({ owner: OWNER, repo: REPO, ref: 'refs/heads/from-api', sha: merged.data.sha }))).status).toBe(422);
    await octokit.rest.git.deleteRef({ owner: OWNER, repo: REPO, ref: 'heads/from-api' });
    expect((await status(octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/from-api' }))).status).toBe(404);
  });

  it('holds a protected merge until the required status check succeeds', async () => {
    double.protectBranch(OWNER, REPO, 'main', { requiredApprovals: 0, requiredStatusChecks: ['ci'] });
    try {
      const head = await pushBranch('needs-ci', { 'README.md': '# ci\n' });
      const pr = (await octokit.rest.pulls.create({ owner: OWNER, repo: REPO, head: 'needs-ci', base: 'main', title: 'ci' })).data;
      expect((await status(octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number }))).message).toContain('Required status check "ci" is expected.');
      await octokit.rest.repos.createCommitStatus({ owner: OWNER, repo: REPO, sha: head, state: 'success', context: 'ci' });
      expect((await octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number })).data.merged).toBe(true);
    } finally {
      double.state.mustRepo(OWNER, REPO).protections.clear();
    }
  });
});

describe('issues, comments, statuses, releases', () => {
  it('shares one number sequence and records comments and statuses', async () => {
    const issue = (await octokit.rest.issues.create({ owner: OWNER, repo: REPO, title: 'Rollout stuck' })).data;
    expect(issue.number).toBe((await double.pulls(OWNER, REPO)).length + 1);
    const c = (await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: 1, body: 'deployed' })).data;
    await octokit.rest.issues.updateComment({ owner: OWNER, repo: REPO, comment_id: c.id, body: 'deployed (edited)' });
    const listed = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 1 });
    expect(listed.data.map((x) => x.body)).toEqual(['deployed (edited)']);
    expect(double.comments(OWNER, REPO)).toEqual([expect.objectContaining({ issue_number: 1, body: 'deployed (edited)' })]);
    const main = (await double.git(OWNER, REPO, 'rev-parse', 'main')).trim();
    await octokit.rest.repos.createCommitStatus({ owner: OWNER, repo: REPO, sha: main, state: 'pending', context: 'canary' });
    await octokit.rest.repos.createCommitStatus({ owner: OWNER, repo: REPO, sha: main, state: 'success', context: 'canary' });
    const statuses = await octokit.rest.repos.listCommitStatusesForRef({ owner: OWNER, repo: REPO, ref: 'main' });
    expect(statuses.data.map((s) => s.state)).toEqual(['success', 'pending']);
    const canary = double.statuses(OWNER, REPO).filter((s) => s.context === 'canary');
    expect(canary.map((s) => [s.sha, s.state])).toEqual([[main, 'pending'], [main, 'success']]);
    await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'canary', head_sha: main, status: 'completed', conclusion: 'success' });
    expect(double.checkRuns(OWNER, REPO)).toHaveLength(1);
  });

  it('creates releases with their tag and finds them by tag', async () => {
    const rel = (await octokit.rest.repos.createRelease({ owner: OWNER, repo: REPO, tag_name: 'v9.9.9', prerelease: true })).data;
    expect((await double.git(OWNER, REPO, 'rev-parse', 'v9.9.9^{commit}')).trim()).toBe((await double.git(OWNER, REPO, 'rev-parse', 'main')).trim());
    expect((await octokit.rest.repos.getReleaseByTag({ owner: OWNER, repo: REPO, tag: 'v9.9.9' })).data).toMatchObject({ id: rel.id, prerelease: true });
    const upd = await octokit.rest.repos.updateRelease({ owner: OWNER, repo: REPO, release_id: rel.id, body: 'notes' });
    expect((await octokit.rest.repos.getRelease({ owner: OWNER, repo: REPO, release_id: rel.id })).data.body).toBe(upd.data.body);
  });
});

describe('contract checking', () => {
  it('flags requests GitHub would reject and routes it does not implement', async () => {
    const before = double.violations.length;
    const bad = await status(octokit.request(untyped('POST /repos/{owner}/{repo}/pulls'), { owner: OWNER, repo: REPO, base: 'main', title: 'no head' }));
    expect(bad.status).toBe(422);
    expect(bad.message).toContain("request does not match GitHub's OpenAPI");
    expect(double.violations.slice(before)).toEqual([expect.objectContaining({ operationId: 'pulls/create', problems: [expect.stringContaining("must have required property 'head'")] })]);
    expect(() => double.assertNoViolations()).toThrow(/pulls\/create/);
    const enumBad = await status(octokit.request(untyped('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge'), { owner: OWNER, repo: REPO, pull_number: 1, merge_method: 'fast-forward' }));
    expect(enumBad.status).toBe(422);
    expect((await status(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner: OWNER, repo: REPO }))).status).toBe(422);
    expect((await status(octokit.rest.repos.listWebhooks({ owner: OWNER, repo: REPO }))).status).toBe(404);
    expect(double.unexpected).toEqual([expect.objectContaining({ operationId: 'repos/list-webhooks' })]);
    double.violations.length = before;
    double.unexpected.length = 0;
  });

  it('saw no other contract violations or unexpected requests in this file', () => {
    expect(double.requests.length).toBeGreaterThan(40);
    double.assertNoViolations();
  });
});
