// Locks between processes: a lock file that names its holder (pid, host, start time,
// what it is doing). It appears whole or not at all (written aside, then link(2)ed into
// place, which fails when the name exists), so a waiter never reads half a holder. A
// waiter polls until the file is gone or its holder is dead, then takes it over.
import { createHash, randomUUID } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, readlink, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { GitError } from '../errors.ts';

export interface LockHolder {
  token: string;
  pid: number;
  host: string;
  /** Linux boot id: after a reboot every pid of the old boot is dead. */
  boot?: string;
  /** Linux pid namespace: a pid means nothing to a process in another container. */
  pidns?: string;
  /** Linux start time of the process (clock ticks since boot): tells a reused pid apart. */
  procStart?: string;
  /** When the holding process started, and when it took the lock (ISO times). */
  started: string;
  since: string;
  what: string;
}

export interface HeldLock {
  file: string;
  holder: LockHolder;
  /** The dead holder whose lock this one replaced, if any. */
  tookOver?: LockHolder;
  /** Taken at the first try: no one held it then. */
  atOnce: boolean;
  release(): Promise<void>;
}

export interface LockOptions {
  /** What the holder does, shown to whoever waits for it. */
  what: string;
  timeoutMs: number;
  /** Called once, when the lock is busy and waiting starts. */
  onWait?: (holder: LockHolder | null) => void;
  /** How often a holder touches its lock file, and how long a holder whose liveness this
   *  machine cannot check (another host or container) may go untouched before it counts
   *  as dead. */
  heartbeatMs?: number;
  staleMs?: number;
}

const HEARTBEAT_MS = 5_000;
const STALE_MS = 60_000;
/** A breaker is held for the few milliseconds it takes to remove a dead holder's lock. */
const BREAKER_STALE_MS = 10_000;

function readOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name before it may hold spaces and parens. */
function procStartOf(pid: number | 'self'): string | undefined {
  const text = readOr(`/proc/${pid}/stat`);
  return text?.slice(text.lastIndexOf(')') + 2).split(' ')[19];
}

const self = {
  host: hostname(),
  boot: readOr('/proc/sys/kernel/random/boot_id'),
  pidns: undefined as string | undefined,
  procStart: procStartOf('self'),
  started: new Date(Date.now() - process.uptime() * 1000).toISOString(),
};
const pidnsReady = readlink('/proc/self/ns/pid').then(
  (ns) => void (self.pidns = ns),
  () => undefined,
);

/** Locks this process holds (file → content), and their tokens: a lock naming our own
 *  pid whose token is not here was left by an earlier process that had the same pid
 *  (pid 1 in a restarted container). */
const heldHere = new Map<string, string>();
const heldTokens = new Set<string>();
// a CLI that exits without releasing (process.exit) leaves no lock behind
process.once('exit', () => {
  for (const [file, raw] of heldHere) if (readOr(file) === raw.trim()) rmSync(file, { force: true });
});

function parseHolder(raw: string): LockHolder | null {
  try {
    const h = JSON.parse(raw) as LockHolder;
    return typeof h.token === 'string' && Number.isInteger(h.pid) && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid runs on this host (one owned by another user counts). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the holder is gone. `ageMs`: time since the lock file was last touched. */
export function holderDead(h: LockHolder | null, ageMs: number, staleMs = STALE_MS): boolean {
  if (!h) return ageMs > staleMs;
  if (h.host !== self.host) return ageMs > staleMs;
  if (h.boot && self.boot && h.boot !== self.boot) return true;
  if (h.pidns && self.pidns && h.pidns !== self.pidns) return ageMs > staleMs;
  if (h.pid === process.pid) return !heldTokens.has(h.token);
  if (!pidAlive(h.pid)) return true;
  const now = h.procStart && self.procStart ? procStartOf(h.pid) : undefined;
  return now !== undefined && now !== h.procStart;
}

function describe(h: LockHolder | null, file: string): string {
  if (!h) return `an unreadable lock ${file}`;
  return `pid ${h.pid} on ${h.host} (${h.what}; process started ${h.started}, holding since ${h.since})`;
}

// Synchronous: a few calls on a local file, and a CLI that is loading its code meanwhile
// would otherwise take the lock only between the modules it compiles (36 ms later).
function tryCreate(file: string, raw: string, token: string): boolean {
  const aside = `${file}.${token}.tmp`;
  writeFileSync(aside, raw, { flag: 'wx' });
  try {
    linkSync(aside, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // file systems without hard links: exclusive create; a reader may then see the file
    // empty for a moment, which counts as a live holder until STALE_MS
    try {
      writeFileSync(file, raw, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Removes `file` if it still holds `raw`. Waiters that judged the same dead holder race
 *  here; a breaker file named after that holder lets exactly one of them remove it, and
 *  that one re-reads the lock first, so a fresh lock taken meanwhile is never removed.
 *  'again': try to take the lock now; 'wait': another waiter is breaking it, or it
 *  cannot be removed. */
async function breakLock(file: string, raw: string, token: string): Promise<'removed' | 'again' | 'wait'> {
  const breaker = `${file}.${createHash('sha256').update(raw).digest('hex').slice(0, 16)}.break`;
  try {
    await writeFile(breaker, token, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return 'wait';
    const s = await stat(breaker).catch(() => null);
    if (!s || Date.now() - s.mtimeMs <= BREAKER_STALE_MS) return 'wait';
    // its breaker died while breaking; the next waiter's turn
    await rm(breaker, { force: true });
    return 'again';
  }
  try {
    if ((await readFile(file, 'utf8').catch(() => null)) !== raw) return 'again';
    await rm(file);
    return 'removed';
  } catch {
    return 'wait';
  } finally {
    await rm(breaker, { force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the lock at `file` (its directory must exist), waiting for a live holder up to
 *  `timeoutMs` and taking over from a dead one. Throws GIT_LOCKED naming the holder. */
export async function acquireLock(file: string, opts: LockOptions): Promise<HeldLock> {
  await pidnsReady;
  const token = randomUUID();
  const holder: LockHolder = { token, pid: process.pid, ...self, since: '', what: opts.what.slice(0, 200) };
  const deadline = Date.now() + opts.timeoutMs;
  let tookOver: LockHolder | undefined;
  let waiting = false;
  let tries = 0;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    tries++;
    holder.since = new Date().toISOString();
    const raw = `${JSON.stringify(holder)}\n`;
    let created: boolean;
    try {
      created = tryCreate(file, raw, token);
    } catch (err) {
      throw new GitError('GIT_LOCK_FAILED', `cannot create the lock ${file}: ${(err as Error).message}`, {}, { cause: err });
    }
    if (created) {
      heldHere.set(file, raw);
      heldTokens.add(token);
      return held(file, raw, holder, tookOver, tries === 1, opts.heartbeatMs ?? HEARTBEAT_MS);
    }
    const [current, s] = await Promise.all([readFile(file, 'utf8').catch(() => null), stat(file).catch(() => null)]);
    if (!s) continue; // released meanwhile
    const other = current === null ? null : parseHolder(current);
    // a lock that cannot be read or removed is waited for like a live one, never spun on
    if (current !== null && holderDead(other, Date.now() - s.mtimeMs, opts.staleMs)) {
      const broke = await breakLock(file, current, token);
      if (broke === 'removed') tookOver = other ?? undefined;
      if (broke !== 'wait') continue;
    }
    if (Date.now() >= deadline) {
      const waited = Number((opts.timeoutMs / 1000).toFixed(1));
      throw new GitError('GIT_LOCKED', `${file} is held by ${describe(other, file)}; gave up after waiting ${waited}s. If that process is gone, delete ${file}`);
    }
    if (!waiting) opts.onWait?.(other);
    waiting = true;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}

function held(file: string, raw: string, holder: LockHolder, tookOver: LockHolder | undefined, atOnce: boolean, heartbeatMs: number): HeldLock {
  // Keeps the lock fresh for waiters on other hosts, which can only judge it by its age.
  const beat = setInterval(() => {
    const now = new Date();
    void utimes(file, now, now).catch(() => undefined);
  }, heartbeatMs);
  beat.unref();
  let released = false;
  return {
    file,
    holder,
    tookOver,
    atOnce,
    async release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      // never remove a lock someone else holds now (ours was taken over as stale)
      if ((await readFile(file, 'utf8').catch(() => null)) === raw) await rm(file, { force: true });
      // known as held until the file is gone: a waiter in this process that judged it dead
      // meanwhile would remove it and take the lock, and the rm above would then remove
      // the waiter's (two holders at once, seen with two bot pools on one WORK_DIR)
      if (heldHere.get(file) === raw) heldHere.delete(file);
      heldTokens.delete(holder.token);
    },
  };
}
