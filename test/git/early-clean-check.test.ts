// The CLI begins the clean check a change starts with while its code compiles
// (Workspace.checkCleanSoon): the sync takes that answer, dirty or clean, unless a command
// that may change the checkout started after it began; then it asks git again.
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitError } from '../../src/errors.ts';
import { guessGitDir, type EarlyStatus } from '../../src/git/early-status.ts';
import type { GitRunner } from '../../src/git/exec.ts';
import { indexStamp, sameIndex } from '../../src/git/index-stamp.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({ files: { 'a.yaml': 'tag: 1\n', 'b.yaml': 'tag: 1\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-early-check-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

/** The `git status` commands `runner` runs from now on. */
function countStatus(runner: GitRunner): { count: number } {
  const seen = { count: 0 };
  const run = runner.run.bind(runner);
  runner.run = (args, opts) => {
    if (args[0] === 'status') seen.count++;
    return run(args, opts);
  };
  return seen;
}

const change = (ws: Workspace, text: string) =>
  ws.commitAndPush({
    apply: async () => {
      await ws.writeFile('a.yaml', text);
      return { subject: 'Set tag', trailers: { App: 'x' }, files: ['a.yaml'] };
    },
  });

describe('the clean check begun early', { timeout: 90_000 }, () => {
  it('is the one the commit takes: one git status for the whole change', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const ws = await Workspace.local(dir);
    const status = countStatus(ws.runner);
    ws.checkCleanSoon();
    const made = await change(ws, 'tag: 2\n');
    expect(made?.sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    expect(status.count).toBe(1);
    // taken once: the next change checks again
    await change(ws, 'tag: 3\n');
    expect(status.count).toBe(2);
  });

  it('refuses the change when it found the files dirty', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    await writeFile(path.join(dir, 'b.yaml'), 'tag: local edit\n');
    const ws = await Workspace.local(dir);
    ws.checkCleanSoon();
    const err = await change(ws, 'tag: 2\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).code).toBe('GIT_DIRTY');
    expect((err as GitError).message).toContain('b.yaml');
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe((await git(dir, 'rev-parse', 'origin/main')).trim());
  });

  it('is asked again once a command that may change the checkout ran after it began', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const ws = await Workspace.local(dir);
    const status = countStatus(ws.runner);
    ws.checkCleanSoon();
    // a command of ours that may move things (counted by the runner), then a local edit
    // the early answer could not have seen
    await ws.runner.run(['update-ref', 'refs/gcb/test', 'HEAD']);
    await writeFile(path.join(dir, 'b.yaml'), 'tag: local edit\n');
    const err = await change(ws, 'tag: 2\n').catch((e: unknown) => e);
    expect((err as GitError).code).toBe('GIT_DIRTY');
    expect(status.count).toBe(2);
  });
});

// The CLI begins that check before it takes the checkout's lock (early-status.ts), while
// it opens the checkout: what it found counts only when no run of ours can have changed
// the checkout meanwhile (the lock was free at once, the index file is as it was) and it
// found the checkout clean; else git is asked again under the lock.
describe('the clean check begun before the lock', { timeout: 90_000 }, () => {
  const begin = async (dir: string) => {
    const early = Workspace.beginCleanCheck(dir);
    expect(early).toBeDefined();
    await early!.found;
    return early;
  };
  /** This run's change after the lock is taken (`lockedAtOnce`: at the first try), and the
   *  `git status` commands it ran under the lock. */
  const changeLocked = async (dir: string, early: EarlyStatus | undefined, lockedAtOnce: boolean) => {
    const ws = await Workspace.local(dir);
    const status = countStatus(ws.runner);
    ws.checkCleanSoon({ status: early, lockedAtOnce });
    const made = await change(ws, 'tag: 2\n');
    return { made, statuses: status.count };
  };

  it('is taken when the lock was free at once and the index is as it was: no status under the lock', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const early = await begin(path.join(dir, '.'));
    const { made, statuses } = await changeLocked(dir, early, true);
    expect(made?.sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    expect(statuses).toBe(0);
  });

  it('is asked again when the lock had to be waited for', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const early = await begin(dir);
    const { statuses } = await changeLocked(dir, early, false);
    expect(statuses).toBe(1);
  });

  it('is asked again when the index changed after it began: another run committed meanwhile', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    await git(dir, 'branch', '-q', '--unset-upstream');
    const early = await begin(dir);
    // the other run's commit, made after git looked and before this run took the lock
    await writeFile(path.join(dir, 'b.yaml'), 'tag: theirs\n');
    await git(dir, 'add', 'b.yaml');
    await git(dir, 'commit', '-q', '-m', 'theirs');
    const theirs = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const { made, statuses } = await changeLocked(dir, early, true);
    expect(statuses).toBe(1);
    expect((await git(dir, 'rev-parse', `${made!.sha}^`)).trim()).toBe(theirs);
  });

  it('never refuses on what it found: a file another run had written and put back is asked about again', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    await writeFile(path.join(dir, 'b.yaml'), 'tag: half a change\n');
    const early = await begin(dir);
    await writeFile(path.join(dir, 'b.yaml'), 'tag: 1\n');
    const { made, statuses } = await changeLocked(dir, early, true);
    expect(made?.sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    expect(statuses).toBe(1);
  });

  it('leaves the index file as it was, even where git would refresh it', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    // files newer than the index: git rewrites the index whenever it compares them
    const later = new Date(Date.now() + 3_600_000);
    for (const f of ['a.yaml', 'b.yaml']) await utimes(path.join(dir, f), later, later);
    const gitDir = path.join(dir, '.git');
    const before = indexStamp(gitDir);
    await git(dir, 'status', '--porcelain');
    expect(sameIndex(before, indexStamp(gitDir))).toBe(false);
    const stamp = indexStamp(gitDir);
    const early = await begin(dir);
    expect(sameIndex(stamp, indexStamp(gitDir))).toBe(true);
    const { statuses } = await changeLocked(dir, early, true);
    expect(statuses).toBe(0);
  });

  it('finds the git directory git finds: from a subdirectory, through a worktree\'s .git file, none outside a repository', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    await mkdir(path.join(dir, 'sub/deeper'), { recursive: true });
    expect(guessGitDir(path.join(dir, 'sub/deeper'))).toBe(realpathSync(path.join(dir, '.git')));
    const wt = path.join(work, 'wt');
    await git(dir, 'worktree', 'add', '-q', '-b', 'other', wt);
    const named = (await git(wt, 'rev-parse', '--absolute-git-dir')).trim();
    expect(guessGitDir(wt)).toBe(realpathSync(named));
    expect(guessGitDir(path.parse(work).root)).toBeUndefined();
  });
});
