import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitError } from '../../src/errors.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({ files: { 'deploy.yaml': 'tag: 1\n', 'notes.txt': 'n\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-local-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('Workspace.local', { timeout: 90_000 }, () => {
  it('refuses to reset a dirty tree and names the files', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    await writeFile(path.join(dir, 'deploy.yaml'), 'tag: local edit\n');
    const ws = await Workspace.local(path.join(dir));
    expect(ws.remote).toBe('origin');
    const err = await ws.sync().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(err).toMatchObject({ code: 'GIT_DIRTY', location: { file: 'deploy.yaml' } });
    expect((err as Error).message).toContain('deploy.yaml');
    // the user's edit is untouched
    expect(await readFile(path.join(dir, 'deploy.yaml'), 'utf8')).toBe('tag: local edit\n');
  });

  it('fast-forwards a clean checkout, keeps untracked files, commits and pushes to the upstream', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    await remote.commitOnRemote({ 'notes.txt': 'newer\n' }, 'Upstream change');
    await writeFile(path.join(dir, 'scratch.txt'), 'mine, untracked');
    const ws = await Workspace.local(dir);
    const result = await ws.commitAndPush({
      apply: async (w) => {
        await w.writeFile('deploy.yaml', 'tag: 2\n');
        return { subject: 'Set tag 2', trailers: { App: 'x' }, files: ['deploy.yaml'] };
      },
    });
    expect(result?.attempts).toBe(1);
    expect(await remote.readOnRemote('deploy.yaml')).toBe('tag: 2\n');
    expect(await remote.readOnRemote('notes.txt')).toBe('newer\n');
    expect(await readFile(path.join(dir, 'scratch.txt'), 'utf8')).toBe('mine, untracked');
  });

  it('refuses unpushed local commits instead of dropping them', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    await writeFile(path.join(dir, 'notes.txt'), 'local\n');
    await git(dir, 'commit', '-q', '-am', 'local work');
    const ws = await Workspace.local(dir);
    await expect(ws.sync()).rejects.toMatchObject({ code: 'GIT_DIVERGED' });
    expect((await git(dir, 'log', '-1', '--format=%s')).trim()).toBe('local work');
  });

  it('only commits when the branch has no upstream', async () => {
    const dir = path.join(work, 'plain');
    await git(work, 'init', '-q', '--initial-branch=main', dir);
    await writeFile(path.join(dir, 'a.yaml'), 'a: 1\n');
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'init');
    const ws = await Workspace.local(path.join(dir));
    expect(ws.remote).toBeNull();
    const result = await ws.commitAndPush({
      apply: async (w) => {
        await w.writeFile('a.yaml', 'a: 2\n');
        return { subject: 'bump', trailers: { App: 'a' }, files: ['a.yaml'] };
      },
    });
    expect(result?.sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    await expect(ws.push('main')).rejects.toMatchObject({ code: 'GIT_NO_REMOTE' });
  });

  it('reports a directory outside any repository', async () => {
    await expect(Workspace.local(work)).rejects.toMatchObject({ code: 'GIT_NO_REPO' });
  });
});

describe('credentials', { timeout: 90_000 }, () => {
  const TOKEN = 'ghs_' + 'S3cr3tT0k3nValue0123456789abcdefABCD';

  it('never puts the token in error messages, causes or .git/config (connection refused)', async () => {
    const dir = path.join(work, 'c');
    const err = await Workspace.open({ dir, remoteUrl: 'http://127.0.0.1:1/x.git', token: TOKEN }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GitError);
    expect(err).toMatchObject({ code: 'GIT_CLONE_FAILED', transient: true });
    const text = `${(err as Error).message} ${String((err as Error).cause)} ${(err as Error).stack}`;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
  });

  it('sends the token as a Basic auth header, keeps it out of .git/config, strips it from URLs', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' });
      res.end(`denied ${TOKEN}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const url = `http://x-access-token:${TOKEN}@127.0.0.1:${port}/o/r.git`;
      const err = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: url }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'GIT_CLONE_FAILED' });
      expect(`${(err as Error).message} ${String((err as Error).cause)}`).not.toContain(TOKEN);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen).toContain(`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`);
    } finally {
      server.close();
    }
  });

  it('refuses to send a token over plain http to a non-loopback host', async () => {
    await expect(Workspace.open({ dir: path.join(work, 'c'), remoteUrl: 'http://example.com/o/r.git', token: TOKEN })).rejects.toMatchObject({
      code: 'GIT_INSECURE_REMOTE',
    });
  });

  it('does not store credentials in the clone config', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url, token: TOKEN });
    await ws.sync();
    const config = await readFile(path.join(ws.dir, '.git', 'config'), 'utf8');
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain('extraHeader');
  });
});
