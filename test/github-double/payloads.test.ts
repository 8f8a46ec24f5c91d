import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Probot } from 'probot';
import { describe, expect, it } from 'vitest';
import {
  createTagPayload,
  issueCommentPayload,
  packagePayload,
  pullRequestPayload,
  pullRequestReviewPayload,
  pushTagPayload,
  registryPackagePayload,
  releasePayload,
  sign,
} from './payloads.ts';

const repo = { owner: 'acme', repo: 'api', installationId: 11, sender: 'dev', baseUrl: 'http://127.0.0.1:1' };

type Obj = Record<string, unknown>;
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Obj[] }>;

function exampleKeys(event: string, action?: string): string[] {
  const ex = examples.find((d) => d.name === event)!.examples.find((e) => action === undefined || e.action === action)!;
  return Object.keys(ex);
}

function expectRepo(p: Obj) {
  expect(p.repository).toMatchObject({
    name: 'api',
    full_name: 'acme/api',
    owner: { login: 'acme' },
    clone_url: 'http://127.0.0.1:1/git/acme/api.git',
    default_branch: 'main',
  });
  // The rest of GitHub's repository object is kept.
  expect(Object.keys(p.repository as Obj)).toEqual(expect.arrayContaining(['node_id', 'html_url', 'forks_url', 'pushed_at']));
  expect(p.installation).toMatchObject({ id: 11 });
  expect(p.sender).toMatchObject({ login: expect.any(String), type: 'User' });
}

describe('webhook payload builders', () => {
  it('release: tag, prerelease and action over the real example', () => {
    const p = releasePayload({ ...repo, tag: 'v1.2.3-rc.1', prerelease: true });
    expect(p).toMatchObject({ action: 'published', release: { tag_name: 'v1.2.3-rc.1', prerelease: true, draft: false }, sender: { login: 'dev' } });
    expect(Object.keys(p)).toEqual(expect.arrayContaining(exampleKeys('release', 'published')));
    expect(Object.keys(p.release)).toEqual(expect.arrayContaining(['assets', 'tarball_url', 'published_at', 'author']));
    expectRepo(p as unknown as Obj);
  });

  it('create and push of a tag', () => {
    const c = createTagPayload({ ...repo, tag: 'v2.0.0' });
    expect(c).toMatchObject({ ref: 'v2.0.0', ref_type: 'tag', master_branch: 'main' });
    expectRepo(c as unknown as Obj);
    const sha = 'a'.repeat(40);
    const p = pushTagPayload({ ...repo, tag: 'v2.0.0', sha });
    expect(p).toMatchObject({ ref: 'refs/tags/v2.0.0', after: sha, created: true, deleted: false, head_commit: { id: sha } });
    expect(Object.keys(p)).toEqual(expect.arrayContaining(exampleKeys('push')));
    expectRepo(p as unknown as Obj);
    // An annotated tag's push: `after` is the tag object, only head_commit names the commit.
    const tagSha = 'b'.repeat(40);
    expect(pushTagPayload({ ...repo, tag: 'v2.0.0', sha, annotated: { tagSha } })).toMatchObject({ after: tagSha, head_commit: { id: sha } });
  });

  it('package and registry_package carry the container tag', () => {
    const p = packagePayload({ ...repo, packageName: 'api', tag: '1.4.0', digest: 'sha256:1234' });
    expect(p.package).toMatchObject({ name: 'api', package_type: 'container', package_version: { container_metadata: { tag: { name: '1.4.0', digest: 'sha256:1234' } } } });
    expect(p.action).toBe('published');
    expectRepo(p as unknown as Obj);
    const r = registryPackagePayload({ ...repo, packageName: 'api', tag: '1.4.0' }) as unknown as Obj;
    expect(r.package).toBeUndefined();
    expect(r.registry_package).toMatchObject({ package_type: 'CONTAINER', package_version: { container_metadata: { tag: { name: '1.4.0' } }, package_url: 'ghcr.io/acme/api:1.4.0' } });
  });

  it('pull_request, pull_request_review and issue_comment', () => {
    const pr = pullRequestPayload({ ...repo, action: 'closed', number: 7, headRef: 'canary/api-1.4.0', merged: true });
    expect(pr).toMatchObject({ action: 'closed', number: 7, pull_request: { number: 7, state: 'closed', merged: true, head: { ref: 'canary/api-1.4.0', repo: { full_name: 'acme/api' } }, base: { ref: 'main' } } });
    expect(Object.keys(pr.pull_request)).toEqual(expect.arrayContaining(['mergeable', 'labels', 'merge_commit_sha', 'user']));
    const rv = pullRequestReviewPayload({ ...repo, number: 7, headRef: 'x', reviewer: 'alice', state: 'APPROVED' });
    expect(rv).toMatchObject({ action: 'submitted', review: { state: 'approved', user: { login: 'alice' } }, pull_request: { number: 7 }, sender: { login: 'dev' } });
    const ic = issueCommentPayload({ ...repo, issueNumber: 7, body: '/canary promote', commenter: 'bob' });
    expect(ic).toMatchObject({ action: 'created', issue: { number: 7, pull_request: { url: expect.stringContaining('/pulls/7') } }, comment: { body: '/canary promote', user: { login: 'bob' } } });
    const plain = issueCommentPayload({ ...repo, issueNumber: 8, body: 'hi', commenter: 'bob', isPullRequest: false });
    expect(plain.issue.pull_request).toBeUndefined();
  });

  it('builders return fresh copies, not the shared example', () => {
    const a = releasePayload({ ...repo, tag: 'a' });
    releasePayload({ ...repo, tag: 'b' });
    expect(a.release.tag_name).toBe('a');
  });

  it('sign() produces a signature Probot accepts, and a wrong secret is refused', async () => {
    const payload = JSON.stringify(releasePayload({ ...repo, tag: 'v3.0.0' }));
    expect(sign(payload, 's3cret')).toMatch(/^sha256=[0-9a-f]{64}$/);
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const probot = new Probot({ appId: 1, privateKey, secret: 's3cret', logLevel: 'fatal' });
    const seen: string[] = [];
    probot.on('release.published', async (ctx) => {
      seen.push(ctx.payload.release.tag_name);
    });
    const middleware = await probot.getNodeMiddleware({ path: '/hooks' });
    const server = createServer((req, res) => void middleware(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const deliver = (signature: string) =>
      fetch(`http://127.0.0.1:${port}/hooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'release', 'x-github-delivery': 'd-1', 'x-hub-signature-256': signature },
        body: payload,
      });
    try {
      expect((await deliver(sign(payload, 's3cret'))).status).toBe(200);
      expect(seen).toEqual(['v3.0.0']);
      expect((await deliver(sign(payload, 'wrong'))).status).toBeGreaterThanOrEqual(400);
      expect(seen).toEqual(['v3.0.0']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
