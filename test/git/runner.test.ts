// GitRunner marks stdout drained at its end so that simple-git does not sleep after
// quiet commands; these check that nothing is lost or misreported because of it. Also the
// one-call HEAD lookup the warm delivery path uses.
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitError } from '../../src/errors.ts';
import { GitRunner } from '../../src/git/exec.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { git } from '../helpers/git-remote.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gcb-runner-'));
  await git(dir, 'init', '-q', '-b', 'main');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('GitRunner', { timeout: 60_000 }, () => {
  it('returns every byte of a large output, in order', async () => {
    const runner = new GitRunner({ cwd: dir, hermetic: true });
    // ~4 MiB of distinct lines: a blob written and read back
    const lines = Array.from({ length: 120_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`).join('\n');
    const file = path.join(dir, 'big.txt');
    await writeFile(file, lines);
    const sha = (await runner.run(['hash-object', '-w', 'big.txt'])).stdout.trim();
    const out = await runner.run(['cat-file', 'blob', sha]);
    expect(out.stdout.length).toBe(lines.length);
    expect(out.stdout).toBe(lines);
  });

  it('completes quiet commands with their effect visible and exit code 0', async () => {
    const runner = new GitRunner({ cwd: dir, hermetic: true });
    await writeFile(path.join(dir, 'a.txt'), 'a\n');
    const add = await runner.run(['add', '-A', '--', 'a.txt']);
    expect(add).toEqual({ stdout: '', stderr: '', code: 0 });
    await runner.run(['commit', '-q', '-m', 'first']);
    expect((await git(dir, 'log', '--format=%s')).trim()).toBe('first');
  });

  it('gives a command its input through a pipe or, fed while this process is busy, a file it removes after', async () => {
    const runner = new GitRunner({ cwd: dir, hermetic: true });
    const input = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i}`).join('\n'));
    const leftovers = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith(`gitops-canary-input-${process.pid}-`));
    const shas: string[] = [];
    for (const fromFile of [false, true]) {
      const pending = runner.runInput(['hash-object', '-w', '--stdin'], input, { fromFile });
      // the main thread held well past the time git needs: only a file lets it read meanwhile
      const until = Date.now() + 150;
      while (Date.now() < until);
      shas.push((await pending).stdout.trim());
      expect(leftovers()).toEqual([]);
    }
    expect(shas[1]).toBe(shas[0]);
    expect((await git(dir, 'cat-file', '-s', shas[0])).trim()).toBe(String(input.length));
    // a command that fails reading it: its exit code and stderr, and no file left
    const bad = await runner.runInput(['fast-import', '--quiet'], Buffer.from('not a stream\n'), { fromFile: true, ok: [0, 1, 128] });
    expect(bad.code).not.toBe(0);
    expect(leftovers()).toEqual([]);
  });

  it('keeps the exit code and stderr of a failing command', async () => {
    const runner = new GitRunner({ cwd: dir, hermetic: true });
    const miss = await runner.run(['rev-parse', '-q', '--verify', 'nope^{commit}'], { ok: [0, 1] });
    expect(miss.code).toBe(1);
    const err = await runner.run(['checkout', 'no-such-branch']).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toMatch(/git checkout no-such-branch failed: error: pathspec 'no-such-branch' did not match/);
  });
});

describe('WorkingCopy.headState', { timeout: 60_000 }, () => {
  it('names sha and branch in one call, and copes with an unborn or detached HEAD', async () => {
    const ws = await Workspace.local(dir);
    expect(await ws.headState()).toEqual({ sha: null, branch: 'main' });
    await git(dir, 'commit', '-q', '--allow-empty', '-m', 'first');
    const sha = (await git(dir, 'rev-parse', 'HEAD')).trim();
    expect(await ws.headState()).toEqual({ sha, branch: 'main' });
    await git(dir, 'checkout', '-q', '--detach');
    expect(await ws.headState()).toEqual({ sha, branch: null });
  });
});
