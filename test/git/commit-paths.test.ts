// The commit path stages exactly the files written, by name, and commits the index as
// it is unless someone else staged changes meanwhile: then only ours are committed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCheckoutConfig } from '../../src/git/config-snapshot.ts';
import { gitCommitNeeded } from '../../src/git/plain-commit.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({ files: { 'a.yaml': 'tag: 1\n', 'b.yaml': 'tag: 1\n', 'dir/c.yaml': 'tag: 1\n', 'notes.txt': 'n\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-commit-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

const changed = async (dir: string, ref = 'HEAD') => (await git(dir, 'show', '--name-status', '--no-renames', '--format=', ref)).trim().split('\n').sort();

describe('the commit path', { timeout: 90_000 }, () => {
  it('commits the files written and removed, and nothing when they match HEAD', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const ws = await Workspace.local(dir);
    await ws.sync();
    await ws.writeFile('a.yaml', 'tag: 2\n');
    await ws.removeFile('dir/c.yaml');
    await ws.writeFile('new/d.yaml', 'tag: 1\n');
    const sha = await ws.commit({ subject: 'Set tag', trailers: { App: 'x' }, files: ['a.yaml', 'dir/c.yaml', 'new/d.yaml', 'b.yaml'] });
    expect(sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    expect(await changed(dir)).toEqual(['A\tnew/d.yaml', 'D\tdir/c.yaml', 'M\ta.yaml']);
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
    expect(await ws.commit({ subject: 'Again', trailers: { App: 'x' }, files: ['a.yaml', 'b.yaml'] })).toBeNull();
  });

  it("in the user's checkout, leaves a change they staged meanwhile staged and out of the commit", async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const ws = await Workspace.local(dir);
    await ws.sync();
    await ws.writeFile('a.yaml', 'tag: 2\n');
    await writeFile(path.join(dir, 'notes.txt'), 'theirs\n');
    await git(dir, 'add', 'notes.txt');
    await ws.commit({ subject: 'Set tag', trailers: { App: 'x' }, files: ['a.yaml'] });
    expect(await changed(dir)).toEqual(['M\ta.yaml']);
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('M  notes.txt');
    // and only theirs staged: nothing of ours to commit
    expect(await ws.commit({ subject: 'Again', trailers: { App: 'x' }, files: ['a.yaml'] })).toBeNull();
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('theirs\n');
  });

  it("runs the user's pre-commit hook in their checkout, and sees only our files staged", async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const marker = path.join(work, 'hook-ran');
    writeFileSync(path.join(dir, '.git', 'hooks', 'pre-commit'), `#!/bin/sh\ngit diff --cached --name-only > "${marker}"\n`, { mode: 0o755 });
    const ws = await Workspace.local(dir);
    await ws.sync();
    await ws.writeFile('b.yaml', 'tag: 3\n');
    await ws.commit({ subject: 'Set tag', trailers: { App: 'x' }, files: ['b.yaml'] });
    expect(existsSync(marker)).toBe(true);
    expect((await readFile(marker, 'utf8')).trim()).toBe('b.yaml');
  });

  it("in the user's checkout with nothing for `git commit` to honour, writes the commit `git commit` would, by plumbing", async () => {
    // the same change in two clones: one as before (no config read: `git commit`), one
    // with the checkout's config read at start, as the CLI does (the plumbing)
    const made: Array<{ tree: string; parent: string; message: string; author: string; reflog: string }> = [];
    for (const [name, config] of [['plain', false], ['plumbing', true]] as const) {
      const dir = await remote.clone(path.join(work, name));
      await git(dir, 'config', 'user.name', 'Dana Dev');
      await git(dir, 'config', 'user.email', 'dana@example.com');
      const ws = await Workspace.local(dir, { userConfig: true, ...(config ? { config: await readCheckoutConfig(dir) } : {}) });
      await ws.sync();
      expect(gitCommitNeeded(await ws.gitDir(), config ? await readCheckoutConfig(dir) : undefined)).toBe(config ? undefined : 'config not read');
      await ws.writeFile('a.yaml', 'tag: 2\n');
      await ws.removeFile('b.yaml');
      const sha = await ws.commit({ subject: 'Set tag 2', body: '# kept as written\n\ntwo  spaces', trailers: { App: 'x' }, files: ['a.yaml', 'b.yaml'] });
      expect(sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
      const [tree, parent, author, message] = (await git(dir, 'log', '-1', '--format=%T%x00%P%x00%an <%ae> / %cn <%ce>%x00%B')).split('\0');
      made.push({ tree, parent, message, author, reflog: (await git(dir, 'reflog', '-1', '--format=%gs', 'main')).trim() });
      expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
      expect(await ws.commit({ subject: 'Again', trailers: { App: 'x' }, files: ['a.yaml'] })).toBeNull();
    }
    expect(made[1]).toEqual(made[0]);
    expect(made[0].author).toBe('Dana Dev <dana@example.com> / Dana Dev <dana@example.com>');
    expect(made[0].reflog).toBe('commit: Set tag 2');
  });

  it("in the user's checkout, asks git what is staged only when the index changed since the clean check", async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const ws = await Workspace.local(dir, { config: await readCheckoutConfig(dir) });
    const asked: string[] = [];
    const run = ws.runner.run.bind(ws.runner);
    ws.runner.run = (args, opts) => {
      asked.push(args[0]);
      return run(args, opts);
    };
    // no one staged anything since the check: HEAD and our file alone are committed
    await ws.sync();
    await ws.writeFile('a.yaml', 'tag: 2\n');
    await ws.commit({ subject: 'Set tag', trailers: { App: 'x' }, files: ['a.yaml'] });
    expect(asked).not.toContain('diff-index');
    expect(await changed(dir)).toEqual(['M\ta.yaml']);
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
    await git(dir, 'push', '-q', 'origin', 'main');
    // their `git add` after the check: asked, and theirs stays staged and out of the commit
    await ws.sync();
    await writeFile(path.join(dir, 'notes.txt'), 'theirs\n');
    await git(dir, 'add', 'notes.txt');
    await ws.writeFile('a.yaml', 'tag: 3\n');
    await ws.commit({ subject: 'Set tag 3', trailers: { App: 'x' }, files: ['a.yaml'] });
    expect(asked).toContain('diff-index');
    expect(await changed(dir)).toEqual(['M\ta.yaml']);
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('M  notes.txt');
  });

  it('keeps `git commit` where a hook, signing, a hooks directory or an operation in progress is there', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const gitDir = path.join(dir, '.git');
    const needed = async () => gitCommitNeeded(gitDir, await readCheckoutConfig(dir));
    expect(await needed()).toBeUndefined();
    // sample hooks, as `git init` writes them, run nothing
    expect(readdirSync(path.join(gitDir, 'hooks')).some((f) => f.endsWith('.sample'))).toBe(true);
    for (const hook of ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit']) {
      writeFileSync(path.join(gitDir, 'hooks', hook), '#!/bin/sh\n', { mode: 0o755 });
      expect(await needed()).toBe(`a ${hook} hook is there`);
      unlinkSync(path.join(gitDir, 'hooks', hook));
    }
    for (const state of ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD']) {
      writeFileSync(path.join(gitDir, state), `${'0'.repeat(40)}\n`);
      expect(await needed()).toBe(`${state} is there`);
      unlinkSync(path.join(gitDir, state));
    }
    await git(dir, 'config', 'commit.gpgSign', 'true');
    expect(await needed()).toBe('commits are signed');
    await git(dir, 'config', 'commit.gpgSign', 'false');
    expect(await needed()).toBeUndefined();
    await git(dir, 'config', 'core.hooksPath', '.githooks');
    expect(await needed()).toBe('core.hooksPath is set');
    await git(dir, 'config', '--unset', 'core.hooksPath');
    // a worktree: its hooks are the repository's
    const tree = path.join(work, 'tree');
    await git(dir, 'worktree', 'add', '-q', '-b', 'side', tree);
    const treeGitDir = (await git(tree, 'rev-parse', '--absolute-git-dir')).trim();
    expect(gitCommitNeeded(treeGitDir, await readCheckoutConfig(tree))).toBeUndefined();
    writeFileSync(path.join(gitDir, 'hooks', 'commit-msg'), '#!/bin/sh\n', { mode: 0o755 });
    expect(gitCommitNeeded(treeGitDir, await readCheckoutConfig(tree))).toBe('a commit-msg hook is there');
    // and, read by the CLI's checkout, the hook runs
    const ran = path.join(work, 'hook-ran');
    writeFileSync(path.join(gitDir, 'hooks', 'post-commit'), `#!/bin/sh\ntouch "${ran}"\n`, { mode: 0o755 });
    const ws = await Workspace.local(dir, { config: await readCheckoutConfig(dir) });
    await ws.sync();
    await ws.writeFile('b.yaml', 'tag: 3\n');
    await ws.commit({ subject: 'Set tag', trailers: { App: 'x' }, files: ['b.yaml'] });
    expect(existsSync(ran)).toBe(true);
  });

  it("in the bot's own clone, writes the commit from the index: parent, message, reflog and branch as `git commit` leaves them", async () => {
    const dir = path.join(work, 'bot');
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    // the bot's clones have no hooks to run; one put there must not run either
    const marker = path.join(work, 'hook-ran');
    writeFileSync(path.join(dir, '.git', 'hooks', 'pre-commit'), `#!/bin/sh\ntouch "${marker}"\nexit 1\n`, { mode: 0o755 });
    const before = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await ws.writeFile('a.yaml', 'tag: 2\n');
    await ws.removeFile('b.yaml');
    const sha = await ws.commit({ subject: 'Set tag 2', body: '# kept as written\n\ntwo  spaces', trailers: { App: 'x' }, files: ['a.yaml', 'b.yaml'] });
    expect(sha).toBe((await git(dir, 'rev-parse', 'refs/heads/main')).trim());
    expect((await git(dir, 'rev-parse', 'HEAD^')).trim()).toBe(before);
    expect(await changed(dir)).toEqual(['D\tb.yaml', 'M\ta.yaml']);
    const message = await git(dir, 'log', '-1', '--format=%B');
    expect(message.startsWith('Set tag 2\n\n# kept as written\n\ntwo  spaces\n\n')).toBe(true);
    expect(message).toMatch(/^Gitops-Canary-App: x$/m);
    expect((await git(dir, 'reflog', '-1', '--format=%gs', 'main')).trim()).toBe('commit: Set tag 2');
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
    expect(existsSync(marker)).toBe(false);
    expect(await ws.commit({ subject: 'Again', trailers: { App: 'x' }, files: ['a.yaml'] })).toBeNull();
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(sha);
  });
});
