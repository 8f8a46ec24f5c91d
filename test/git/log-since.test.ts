// A tick reads the branch's history once, then after each of its own pushes only the
// commits since: the result must be what a fresh read of the newest commits gives, and
// a history that did not grow on top of the known head is read afresh.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GitRunner } from '../../src/git/exec.ts';
import { logWindow, readLog, readLogSince } from '../../src/git/history.ts';
import { git, gitEnv } from '../helpers/git-remote.ts';

let dir: string;
let runner: GitRunner;
let n = 0;

async function commit(message: string, file = 'f.txt', at = `2030-01-01T00:${String(n + 1).padStart(2, '0')}:00Z`): Promise<void> {
  await writeFile(path.join(dir, file), `${++n}\n`);
  await git(dir, 'add', file);
  // git orders by committer date where the graph allows
  const env = { ...gitEnv(), GIT_COMMITTER_DATE: at, GIT_AUTHOR_DATE: at };
  await promisify(execFile)('git', ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', message], { cwd: dir, env });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gcb-log-since-'));
  await git(dir, 'init', '-q', '--initial-branch=main');
  runner = new GitRunner({ cwd: dir, hermetic: true });
  for (let i = 0; i < 8; i++) await commit(`base ${i}`);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const shas = (log: readonly { sha: string }[]) => log.map((c) => c.sha);

describe('readLogSince', () => {
  it('puts the commits made on top of the known head in front, as a fresh read orders them', async () => {
    const known = await readLog(runner, { max: 5 });
    for (let i = 0; i < 3; i++) await commit(`ours ${i}`);
    const run = vi.spyOn(runner, 'run');
    const since = await readLogSince(runner, known, 5);
    // one git call, for the new commits only
    expect(run.mock.calls.map((c) => c[0].includes('--not'))).toEqual([true]);
    run.mockRestore();
    const fresh = await readLog(runner, { max: 5 });
    expect(shas(since)).toEqual(shas(fresh));
    expect(since.map((c) => c.subject)).toEqual(['ours 2', 'ours 1', 'ours 0', 'base 7', 'base 6']);
    // still a window of a longer history, read from its new head
    expect(logWindow(since)).toMatchObject({ head: fresh[0].sha, max: 5 });
  });

  it('gives the known log itself when nothing was committed since', async () => {
    const known = await readLog(runner, { max: 5 });
    expect(await readLogSince(runner, known, 5)).toBe(known);
  });

  it('reads afresh when a line older than the known head was merged in', async () => {
    await git(dir, 'branch', 'side', 'HEAD~4');
    const known = await readLog(runner, { max: 20 });
    await git(dir, 'checkout', '-q', 'side');
    // older than most of main: a fresh read lists it among them, not in front
    await commit('side work', 'side.txt', '2030-01-01T00:00:30Z');
    await git(dir, 'checkout', '-q', 'main');
    await git(dir, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const since = await readLogSince(runner, known, 20);
    expect(shas(since)).toEqual(shas(await readLog(runner, { max: 20 })));
    expect(since.map((c) => c.subject).slice(0, 3)).toEqual(['merge side', 'base 7', 'base 6']);
    expect(since.map((c) => c.subject)).toContain('side work');
  });

  it('reads afresh when the branch was moved back', async () => {
    const known = await readLog(runner, { max: 5 });
    await git(dir, 'reset', '-q', '--hard', 'HEAD~2');
    const since = await readLogSince(runner, known, 5);
    expect(shas(since)).toEqual(shas(await readLog(runner, { max: 5 })));
    expect(since[0].subject).toBe('base 5');
  });
});
