// Issue 9, "safe concurrency", for the CLI: runs on one checkout share its index, work
// tree and branch, so they take turns through .git/gitops-canary.lock. Every commit's
// subject and trailers must describe the change it makes, whoever ran at the same time.
import { execFile, spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/git/lock.ts';
import { configRepo, type ConfigRepo } from '../helpers/cli.ts';
import { git, gitEnv } from '../helpers/git-remote.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/gitops-canary.mjs');
const IMAGE = 'ghcr.io/example/podinfo';
const LOCKED = /gitops-canary\.lock is held by pid \d+ on .+; gave up after waiting \d+s\. If that process is gone, delete /;

function runBin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: gitEnv(), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** Tags a commit's diff moves the image from and to, from its `-` and `+` lines. */
function tagsInDiff(diff: string): { from: Set<string>; to: Set<string> } {
  const from = new Set<string>();
  const to = new Set<string>();
  for (const m of diff.matchAll(/^([-+]) .*ghcr\.io\/example\/podinfo:([\w.-]+)/gm)) (m[1] === '-' ? from : to).add(m[2]);
  return { from, to };
}

let repo: ConfigRepo;

beforeEach(async () => {
  repo = await configRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

describe('concurrent CLI runs on one checkout', { timeout: 60_000 }, () => {
  it('six set-image runs at once: each waits its turn, and every commit says what it changes', async () => {
    const tags = ['0.3.1', '0.3.2', '0.3.3', '0.3.4', '0.3.5', '0.3.6'];
    const started = Date.now();
    const runs = await Promise.all(tags.map((t) => runBin(['set-image', `${IMAGE}:${t}`, '--repo', repo.dir])));
    const ms = Date.now() - started;
    for (const r of runs) {
      if (r.code !== 0) expect(r.stderr).toMatch(LOCKED);
      // set-image never downgrades: a run that comes after a newer tag changes nothing
      else expect(r.stdout).toMatch(/committed [0-9a-f]{12}|never downgrading/);
    }
    const reported = runs.flatMap((r) => [...r.stdout.matchAll(/committed ([0-9a-f]{12})/g)].map((m) => m[1]));
    expect(reported.length).toBeGreaterThan(0);
    console.log(`6 concurrent set-image runs: exit codes ${runs.map((r) => r.code).join(',')}, ${reported.length} committed, the rest newer-tag-first no-ops, in ${ms} ms`);

    const log = (await repo.remoteLog()).filter((c) => c.trailers.App);
    // every commit a run reported is on the remote, and the remote has no other
    expect(log.map((c) => c.sha.slice(0, 12)).sort()).toEqual([...reported].sort());
    let previous = new Set(['0.1.0', '0.2.0']);
    for (const c of [...log].reverse()) {
      const tag = c.trailers.Tag;
      expect(c.subject).toBe(`podinfo: set ${IMAGE}:${tag}`);
      const { from, to } = tagsInDiff(await git(repo.remote.bare, 'show', '--format=', c.sha));
      expect([...to]).toEqual([tag]);
      expect(from).toEqual(previous);
      previous = to;
    }
    expect([...previous]).toEqual([tags.at(-1)]);
    // the checkout ends on the remote's head, clean, with nothing of the runs left in .git
    expect(await git(repo.dir, 'rev-parse', 'HEAD')).toBe(await git(repo.remote.bare, 'rev-parse', 'main'));
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
    expect((await readdir(path.join(repo.dir, '.git'))).filter((f) => /lock|GITOPS_CANARY_MSG|\.break$|\.tmp$/.test(f))).toEqual([]);
  });

  it('a run that finds the lock held by a live process gives up after --lock-timeout, naming the holder', async () => {
    const file = path.join(repo.dir, '.git', 'gitops-canary.lock');
    const held = await acquireLock(file, { what: 'gitops-canary set-image (the test holds it)', timeoutMs: 0 });
    try {
      const started = Date.now();
      const r = await runBin(['set-image', `${IMAGE}:0.3.9`, '--repo', repo.dir, '--lock-timeout', '1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(LOCKED);
      expect(r.stderr).toContain(`held by pid ${process.pid} on ${hostname()} (gitops-canary set-image (the test holds it);`);
      expect(r.stderr).toContain('waiting up to 1s');
      // one second of waiting plus the start of a process, not the default minute
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await held.release();
    }
    expect((await repo.remoteLog()).filter((c) => c.trailers.App)).toHaveLength(0);
  });

  it('a lock left by a process that died is taken over', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const file = path.join(repo.dir, '.git', 'gitops-canary.lock');
    const stale = { token: 'left-behind', pid: dead, host: hostname(), started: '2020-01-01T00:00:00.000Z', since: '2020-01-01T00:00:01.000Z', what: 'gitops-canary set-image (killed)' };
    await writeFile(file, `${JSON.stringify(stale)}\n`);
    const r = await runBin(['set-image', `${IMAGE}:0.3.7`, '--repo', repo.dir, '--lock-timeout', '5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`took over ${file} from pid ${dead} on ${hostname()}, which is no longer running`);
    expect((await repo.remoteLog())[0].trailers.Tag).toBe('0.3.7');
    expect((await readdir(path.join(repo.dir, '.git'))).filter((f) => f.includes('gitops-canary.lock'))).toEqual([]);
  });
});
