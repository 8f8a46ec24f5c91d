// The CLI begins the clean check a change starts with while its code compiles
// (Workspace.checkCleanSoon): the sync takes that answer, dirty or clean, unless a command
// that may change the checkout started after it began; then it asks git again.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitError } from '../../src/errors.ts';
import type { GitRunner } from '../../src/git/exec.ts';
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
