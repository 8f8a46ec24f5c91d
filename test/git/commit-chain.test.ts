// A commit of the index as one sh script (write-tree, commit-tree, update-ref) writes what
// the three commands one by one write: the same tree, the message byte for byte, HEAD
// moved only from the commit it builds on, and a failure that names the command.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitChain } from '../../src/git/commit-chain.ts';
import { GitRunner } from '../../src/git/exec.ts';
import { generation, WatchedRunner } from '../../src/git/watched-runner.ts';
import { git } from '../helpers/git-remote.ts';

let dir: string;
let runner: GitRunner;
let head: string;
let tree: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gcb-commit-chain-'));
  await git(dir, 'init', '-q', '-b', 'main');
  await writeFile(path.join(dir, 'a.yaml'), 'a: 1\n');
  await git(dir, 'add', 'a.yaml');
  await git(dir, 'commit', '-q', '-m', 'seed');
  head = (await git(dir, 'rev-parse', 'HEAD')).trim();
  tree = (await git(dir, 'rev-parse', 'HEAD^{tree}')).trim();
  runner = new WatchedRunner({ cwd: dir, hermetic: true });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('commitChain', () => {
  it('commits the index on HEAD with the message as it is, as the bot identity, and moves HEAD there', async () => {
    await writeFile(path.join(dir, 'a.yaml'), 'a: 2\n');
    await git(dir, 'add', 'a.yaml');
    const message = "Bump a to 2\n\n  kept  as written, $(not run) `nor this` 'quoted' \"too\"\n\nApp: a\nStep: 2\n";
    const before = generation(dir);
    const made = await commitChain(runner, head, tree, message);
    expect(made).not.toBeNull();
    expect(generation(dir)).toBe(before + 2);
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(made!.sha);
    expect((await git(dir, 'rev-parse', 'HEAD^{tree}')).trim()).toBe(made!.tree);
    expect((await git(dir, 'write-tree')).trim()).toBe(made!.tree);
    expect((await git(dir, 'rev-parse', 'HEAD^')).trim()).toBe(head);
    expect(await git(dir, 'cat-file', '-p', 'HEAD')).toContain(`\n\n${message}`);
    expect((await git(dir, 'log', '-1', '--format=%an <%ae>')).trim()).toBe('gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>');
    expect((await git(dir, 'reflog', '-1', '--format=%gs')).trim()).toBe('commit: Bump a to 2');
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
  });

  it('commits nothing when the index holds HEAD\'s tree', async () => {
    expect(await commitChain(runner, head, tree, 'nothing\n')).toBeNull();
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(head);
  });

  it('moves HEAD only from the commit it builds on, and says which command failed', async () => {
    await writeFile(path.join(dir, 'a.yaml'), 'a: 3\n');
    await git(dir, 'add', 'a.yaml');
    await git(dir, 'commit', '-q', '-m', 'someone else');
    const theirs = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await writeFile(path.join(dir, 'a.yaml'), 'a: 4\n');
    await git(dir, 'add', 'a.yaml');
    // HEAD remembered wrongly: the commit is written, HEAD stays where it is
    await expect(commitChain(runner, head, tree, 'Bump a to 4\n')).rejects.toMatchObject({ code: 'GIT_COMMIT_FAILED', message: expect.stringMatching(/^git update-ref failed: .*cannot lock ref 'HEAD'/) });
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(theirs);
    // a parent that is not a commit: commit-tree refuses
    await expect(commitChain(runner, tree, 'f'.repeat(40), 'x\n')).rejects.toMatchObject({ code: 'GIT_COMMIT_FAILED', message: expect.stringMatching(/^git commit-tree failed: /) });
  });
});
