// A fresh clone appears at its path whole or not at all. git clone into the final directory
// leaves a repository without its remote's refs when the process is killed mid-way (the
// `rm` after a failed clone never runs on kill -9), and every later open found `.git`,
// reused it, and failed each pass on `remote set-head` ("Not a valid ref") for good. So the
// clone is made in a sibling directory and renamed into place; what a killed process left
// there is removed by the next one to clone.
import { randomUUID } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { GitRunner } from './exec.ts';
import { pidAlive } from './lock.ts';

/** Directories this process is cloning into right now. */
const inFlight = new Set<string>();

const partialPrefix = (dir: string) => `.${path.basename(dir)}.cloning-`;

/** Partial clones of `dir` whose process is gone (or is this one, which is not using them). */
async function removeLeftovers(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  const prefix = partialPrefix(dir);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const full = path.join(parent, name);
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (inFlight.has(full) || (pid !== process.pid && Number.isInteger(pid) && pidAlive(pid))) continue;
    await rm(full, { recursive: true, force: true });
  }
}

/**
 * Clones `url` with `args` (everything before `--`) and puts the clone at `dir`, which must
 * be absent or an empty directory. Returns false when another process put its own clone
 * there first (it is then used, and this one dropped).
 */
export async function cloneInPlace(runner: GitRunner, url: string, dir: string, args: string[], what: string): Promise<boolean> {
  await removeLeftovers(dir);
  const partial = path.join(path.dirname(dir), `${partialPrefix(dir)}${process.pid}-${randomUUID().slice(0, 8)}`);
  inFlight.add(partial);
  try {
    await runner.run([...args, '--', url, partial], { code: 'GIT_CLONE_FAILED', what });
    try {
      // replaces an empty directory; fails when another clone is already there
      await rename(partial, dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    inFlight.delete(partial);
    await rm(partial, { recursive: true, force: true });
  }
}
