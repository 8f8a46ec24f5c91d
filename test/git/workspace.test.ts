import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitError } from '../../src/errors.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({
    files: {
      'apps/podinfo/deploy.yaml': 'image: ghcr.io/stefanprodan/podinfo:6.5.0\n',
      'apps/other/deploy.yaml': 'image: nginx:1.25\n',
      'README.md': 'config repo\n',
    },
  });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-ws-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('Workspace.open', { timeout: 90_000 }, () => {
  it('clones once and reuses the warm clone afterwards', async () => {
    const dir = path.join(work, 'clone');
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    expect(await ws.readFile('README.md')).toBe('config repo\n');
    expect(await ws.defaultBranch()).toBe('main');
    await writeFile(path.join(dir, '.git', 'marker'), 'warm');

    await remote.commitOnRemote({ 'README.md': 'updated\n' }, 'Update readme');
    const again = await Workspace.open({ dir, remoteUrl: remote.url });
    expect(await readFile(path.join(dir, '.git', 'marker'), 'utf8')).toBe('warm');
    // not re-cloned, so still the old content until sync()
    expect(await again.readFile('README.md')).toBe('config repo\n');
    await again.sync();
    expect(await again.readFile('README.md')).toBe('updated\n');
    expect(await again.head()).toBe((await remote.log())[0].sha);
  });

  it('sync discards local edits and untracked files in its own clone', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.writeFile('README.md', 'scribble\n');
    await ws.writeFile('junk/new.txt', 'x');
    expect((await ws.status()).clean).toBe(false);
    await ws.sync('main');
    expect(await ws.readFile('README.md')).toBe('config repo\n');
    expect(await ws.status()).toEqual({ branch: 'main', clean: true, files: [] });
  });

  it('a second sync in the same job resets again after a write, a local commit or a remote move', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    await ws.writeFile('README.md', 'scribble\n');
    await ws.sync('main');
    expect(await ws.readFile('README.md')).toBe('config repo\n');
    await git(ws.dir, 'commit', '-q', '--allow-empty', '-m', 'local only');
    await ws.sync('main');
    expect(await ws.head()).toBe((await remote.log())[0].sha);
    await remote.commitOnRemote({ 'README.md': 'moved\n' }, 'someone else');
    await ws.sync('main');
    expect(await ws.readFile('README.md')).toBe('moved\n');
  });

  it('refuses a non-empty directory that is not a clone, and a missing repo without remote', async () => {
    await writeFile(path.join(work, 'file'), 'x');
    await expect(Workspace.open({ dir: work, remoteUrl: remote.url })).rejects.toMatchObject({ code: 'GIT_WORKSPACE_NOT_EMPTY' });
    await expect(Workspace.open({ dir: path.join(work, 'nope') })).rejects.toMatchObject({ code: 'GIT_NO_REPO' });
  });

  it('removes a failed clone so the next attempt starts fresh', async () => {
    const dir = path.join(work, 'bad');
    await expect(Workspace.open({ dir, remoteUrl: `${remote.url}-missing` })).rejects.toMatchObject({ code: 'GIT_CLONE_FAILED' });
    await expect(readFile(path.join(dir, '.git', 'HEAD'))).rejects.toThrow();
  });

  it('fails with GIT_NO_BRANCH for an unknown branch', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await expect(ws.sync('nope')).rejects.toMatchObject({ code: 'GIT_NO_BRANCH' });
  });
});

describe('files', { timeout: 90_000 }, () => {
  it('lists, greps and reads files at a ref', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    expect((await ws.listFiles()).sort()).toEqual(['README.md', 'apps/other/deploy.yaml', 'apps/podinfo/deploy.yaml']);
    expect(await ws.grep('stefanprodan/podinfo')).toEqual(['apps/podinfo/deploy.yaml']);
    expect(await ws.grep('not-anywhere')).toEqual([]);
    expect(await ws.readFileAt('HEAD', 'apps/other/deploy.yaml')).toBe('image: nginx:1.25\n');
    expect(await ws.readFileAt('HEAD', 'missing.yaml')).toBeNull();
  });

  it('refuses paths outside the repository and symlinks', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await expect(ws.readFile('../etc/passwd')).rejects.toMatchObject({ code: 'GIT_UNSAFE_PATH' });
    await expect(ws.writeFile('/tmp/x', 'x')).rejects.toMatchObject({ code: 'GIT_UNSAFE_PATH' });
    await expect(ws.writeFile('.git/config', 'x')).rejects.toMatchObject({ code: 'GIT_UNSAFE_PATH' });
    await symlink(work, path.join(ws.dir, 'out'));
    await expect(ws.writeFile('out/x.yaml', 'x')).rejects.toMatchObject({ code: 'GIT_UNSAFE_PATH' });
    await symlink(path.join(ws.dir, 'README.md'), path.join(ws.dir, 'link.md'));
    await expect(ws.readFile('link.md')).rejects.toMatchObject({ code: 'FILE_NOT_REGULAR', location: { file: 'link.md' } });
    const readme = await readFile(path.join(ws.dir, 'README.md'), 'utf8');
    await expect(ws.writeFiles(new Map([['ok.yaml', 'a: 1\n'], ['link.md', 'x']]))).rejects.toMatchObject({ code: 'GIT_UNSAFE_PATH', location: { file: 'link.md' } });
    expect(await readFile(path.join(ws.dir, 'README.md'), 'utf8')).toBe(readme);
    await expect(ws.readFile('missing.yaml')).rejects.toMatchObject({ code: 'GIT_FILE_NOT_FOUND', location: { file: 'missing.yaml' } });
  });
});

describe('writing files', () => {
  // more than the 32 written between two turns of the event loop, fewer than a prewrite packs
  it('writes many files at once (new, longer, shorter), each holding exactly its text', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    const texts = (n: number) => new Map(Array.from({ length: 48 }, (_, i) => [`many/d${i % 7}/f${i}.yaml`, `image: ghcr.io/acme/app-${i}:1.0.0\n${'# pad\n'.repeat((i * n) % 13)}`]));
    for (const n of [5, 3, 0]) {
      const writes = texts(n);
      await ws.writeFiles(writes);
      for (const [rel, text] of writes) expect(await readFile(path.join(ws.dir, rel), 'utf8'), rel).toBe(text);
    }
    await rm(path.join(ws.dir, 'many'), { recursive: true, force: true });
  });
});

describe('commit and push', { timeout: 90_000 }, () => {
  it('commits exactly the named files with trailers, as the bot, and pushes', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    await ws.writeFile('apps/podinfo/deploy.yaml', 'image: ghcr.io/stefanprodan/podinfo:6.5.1\n');
    await ws.writeFile('README.md', 'not part of this commit\n');
    const sha = await ws.commit({
      subject: 'Release podinfo 6.5.1',
      trailers: { App: 'podinfo', Action: 'release', Tag: '6.5.1', 'Old-Tag': '6.5.0' },
      files: ['apps/podinfo/deploy.yaml'],
    });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    await ws.push('main');

    const [top] = await remote.log();
    expect(top.sha).toBe(sha);
    expect(top.message).toBe('Release podinfo 6.5.1\n\nGitops-Canary-App: podinfo\nGitops-Canary-Action: release\nGitops-Canary-Tag: 6.5.1\nGitops-Canary-Old-Tag: 6.5.0\n');
    expect(await remote.readOnRemote('apps/podinfo/deploy.yaml')).toBe('image: ghcr.io/stefanprodan/podinfo:6.5.1\n');
    expect(await remote.readOnRemote('README.md')).toBe('config repo\n');
    expect((await git(remote.bare, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main')).trim()).toBe(
      'gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>|gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>',
    );

    const [entry] = await ws.log({ max: 1 });
    expect(entry).toMatchObject({ sha, subject: 'Release podinfo 6.5.1', trailers: { App: 'podinfo', Tag: '6.5.1' } });
    expect(entry.parents).toHaveLength(1);
  });

  it('returns null when the files already match HEAD', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    expect(await ws.commit({ subject: 'noop', trailers: {}, files: ['README.md'] })).toBeNull();
    expect(await ws.commit({ subject: 'noop', trailers: {}, files: [] })).toBeNull();
  });

  it('commits deletions and new files', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    await ws.removeFile('apps/other/deploy.yaml');
    await ws.writeFile('apps/new/deploy.yaml', 'image: new:1\n');
    await ws.commit({ subject: 'move', trailers: {}, files: ['apps/other/deploy.yaml', 'apps/new/deploy.yaml'] });
    await ws.push('main');
    expect(await remote.readOnRemote('apps/other/deploy.yaml')).toBeNull();
    expect(await remote.readOnRemote('apps/new/deploy.yaml')).toBe('image: new:1\n');
  });

  it('refuses to force-push the default branch or any non-bot branch', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    await expect(ws.push('main', { force: true })).rejects.toMatchObject({ code: 'GIT_FORCE_REFUSED' });
    await ws.createBranchFrom('main', 'feature/x');
    await expect(ws.push('feature/x', { force: true })).rejects.toMatchObject({ code: 'GIT_FORCE_REFUSED' });
    expect((await remote.log())).toHaveLength(1);
  });

  it('rejects a stale non-force push with a transient GIT_PUSH_REJECTED', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    await remote.commitOnRemote({ 'README.md': 'theirs\n' }, 'Concurrent change');
    await ws.writeFile('apps/podinfo/deploy.yaml', 'image: x:2\n');
    await ws.commit({ subject: 'ours', trailers: {}, files: ['apps/podinfo/deploy.yaml'] });
    const err = await ws.push('main').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(err).toMatchObject({ code: 'GIT_PUSH_REJECTED', transient: true });
    expect((err as Error).message).toBe('git push to origin main rejected (fetch first)');
  });

  it('builds and force-updates a bot branch from the default branch', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    const branch = 'gitops-canary/podinfo/prod';
    for (const tag of ['6.5.1', '6.5.2']) {
      await ws.sync();
      await ws.createBranchFrom('main', branch);
      await ws.writeFile('apps/podinfo/deploy.yaml', `image: ghcr.io/stefanprodan/podinfo:${tag}\n`);
      await ws.commit({ subject: `Release podinfo ${tag}`, trailers: { App: 'podinfo', Tag: tag }, files: ['apps/podinfo/deploy.yaml'] });
      await ws.push(branch, { force: true });
    }
    const log = await remote.log(branch);
    expect(log.map((c) => c.subject)).toEqual(['Release podinfo 6.5.2', 'Initial config']);
    await ws.fetch();
    expect(await ws.remoteHead(branch)).toBe(log[0].sha);
    expect(await ws.diff('origin/main', `origin/${branch}`)).toContain('+image: ghcr.io/stefanprodan/podinfo:6.5.2');
    expect(await ws.changedFiles('origin/main', `origin/${branch}`)).toEqual(['apps/podinfo/deploy.yaml']);
    expect(await ws.tree('HEAD')).toBe(await ws.tree(log[0].sha));
    expect(await ws.tree('HEAD')).not.toBe(await ws.tree('origin/main'));

    // pushCurrent pushes whatever branch is checked out
    await ws.writeFile('README.md', 'bot branch readme\n');
    await ws.commit({ subject: 'readme', trailers: {}, files: ['README.md'] });
    await ws.pushCurrent();
    expect(await remote.readOnRemote('README.md', branch)).toBe('bot branch readme\n');
    expect(await remote.readOnRemote('README.md', 'main')).toBe('config repo\n');
  });
});
