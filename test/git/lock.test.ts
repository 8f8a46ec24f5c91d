// Locks between processes (src/git/lock.ts): one holder at a time, a live holder is
// waited for and named when waiting times out, a dead one is taken over, and of several
// waiters that find the same dead holder only one takes its place.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, holderDead, type LockHolder } from '../../src/git/lock.ts';

const execFileP = promisify(execFile);
const CHILD = path.resolve(import.meta.dirname, '../helpers/lock-child.mjs');
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gcb-lock-'));
  file = path.join(dir, 'x.lock');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function holder(fields: Record<string, unknown>): string {
  return `${JSON.stringify({ token: 'other', pid: 1, host: os.hostname(), started: '2020-01-01T00:00:00Z', since: '2020-01-01T00:00:01Z', what: 'gitops-canary set-image', ...fields })}\n`;
}

const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

async function ageBy(ms: number): Promise<void> {
  const then = new Date(Date.now() - ms);
  await utimes(file, then, then);
}

describe('acquireLock', { timeout: 30_000 }, () => {
  it('names its holder in the file and removes it on release', async () => {
    const lock = await acquireLock(file, { what: 'gitops-canary status', timeoutMs: 0 });
    const h = JSON.parse(await readFile(file, 'utf8'));
    expect(h).toMatchObject({ pid: process.pid, host: os.hostname(), what: 'gitops-canary status' });
    expect(Date.parse(h.started)).toBeLessThanOrEqual(Date.parse(h.since));
    expect(lock.atOnce).toBe(true);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('waits for a live holder in this process, then takes the lock', async () => {
    const first = await acquireLock(file, { what: 'first', timeoutMs: 0 });
    const order: string[] = [];
    const second = acquireLock(file, { what: 'second', timeoutMs: 5_000, onWait: (h) => order.push(`waiting for ${h?.what}`) }).then((l) => (order.push('second'), l));
    await new Promise((r) => setTimeout(r, 50));
    order.push('release first');
    await first.release();
    // waited for: someone may have changed what it guards meanwhile
    expect((await second).atOnce).toBe(false);
    await (await second).release();
    expect(order).toEqual(['waiting for first', 'release first', 'second']);
  });

  it('is held, for a waiter in this process, until its release has removed the file', async () => {
    // a waiter that judged it dead while the release was reading the file back would
    // remove it and take the lock, and the release would then remove the waiter's lock:
    // two holders at once (seen with two bot pools sharing a WORK_DIR)
    const first = await acquireLock(file, { what: 'first', timeoutMs: 1000 });
    const held = JSON.parse(await readFile(file, 'utf8')) as LockHolder;
    const releasing = first.release();
    expect(holderDead(held, 0)).toBe(false);
    await releasing;
    expect(existsSync(file)).toBe(false);
    // gone: a lock left with its token would now be an earlier process's with our pid
    expect(holderDead(held, 0)).toBe(true);
  });

  it('gives up on a live holder after the timeout with GIT_LOCKED naming it', async () => {
    const first = await acquireLock(file, { what: 'gitops-canary release x:1', timeoutMs: 0 });
    const err = await acquireLock(file, { what: 'second', timeoutMs: 100 }).catch((e: Error & { code: string }) => e);
    await first.release();
    expect(err).toMatchObject({ code: 'GIT_LOCKED' });
    expect((err as Error).message).toMatch(new RegExp(`^${file} is held by pid ${process.pid} on ${os.hostname()} \\(gitops-canary release x:1; process started .*, holding since .*\\); gave up after waiting 0\\.1s\\. If that process is gone, delete ${file}$`));
  });

  it('takes over from a dead pid, and from an earlier process that had our own pid', async () => {
    for (const stale of [holder({ pid: deadPid() }), holder({ pid: process.pid, token: 'an earlier life' })]) {
      await writeFile(file, stale);
      const lock = await acquireLock(file, { what: 'next', timeoutMs: 0 });
      expect(lock.tookOver?.token).toBe(JSON.parse(stale).token);
      expect(lock.atOnce).toBe(false);
      await lock.release();
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over from a holder of an earlier boot of this machine', async () => {
    const boot = (() => {
      try {
        return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      } catch {
        return undefined;
      }
    })();
    if (!boot) return;
    await writeFile(file, holder({ pid: process.ppid, boot: 'an-earlier-boot' }));
    const lock = await acquireLock(file, { what: 'next', timeoutMs: 0 });
    expect(lock.tookOver?.boot).toBe('an-earlier-boot');
    await lock.release();
  });

  it('judges a holder on another host (or an unreadable lock) by its heartbeat', async () => {
    for (const text of [holder({ host: 'elsewhere', pid: 4242 }), 'not json']) {
      await writeFile(file, text);
      const fresh = await acquireLock(file, { what: 'w', timeoutMs: 50, staleMs: 60_000 }).catch((e: Error) => e);
      expect((fresh as Error).message).toContain(text === 'not json' ? `held by an unreadable lock ${file}` : 'held by pid 4242 on elsewhere');
      await ageBy(61_000);
      const lock = await acquireLock(file, { what: 'w', timeoutMs: 0, staleMs: 60_000 });
      await lock.release();
    }
  });

  it('keeps its own lock fresh for waiters elsewhere, and never removes a lock it no longer holds', async () => {
    const lock = await acquireLock(file, { what: 'w', timeoutMs: 0, heartbeatMs: 20 });
    await ageBy(120_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(5_000);
    // someone judged it dead and replaced it: releasing leaves theirs alone
    await writeFile(file, holder({ host: 'elsewhere' }));
    await lock.release();
    expect(await readFile(file, 'utf8')).toBe(holder({ host: 'elsewhere' }));
  });

  it('real processes racing over one dead holder\'s lock: one holder at a time', async () => {
    await writeFile(file, holder({ pid: deadPid() }));
    const log = path.join(dir, 'log');
    await writeFile(log, '');
    await Promise.all(Array.from({ length: 4 }, () => execFileP(process.execPath, [CHILD, file, log, '5'], { cwd: path.resolve(import.meta.dirname, '../..') })));
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(40);
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]).toMatch(/^in \d+$/);
      expect(lines[i + 1]).toBe(lines[i].replace('in', 'out'));
    }
    expect((await readdir(dir)).sort()).toEqual(['log']);
  });
});
