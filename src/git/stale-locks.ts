// Git's own lock files (index.lock, HEAD.lock, refs/.../x.lock) outlive a git process that
// was killed mid-write, and every later git write in that clone then fails with "Unable
// to create '.../index.lock': File exists". A clone the bot owns is worked on only by the
// holder of its gitops-canary lock, so when a new holder takes it over, any git lock file
// inside is left by a process that is gone and is safe to remove.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** Where git writes lock files (not objects/: pack writes use tmp_ files, not locks). */
const LOCK_DIRS = ['', 'refs', 'logs'];

/** Removes every git lock file in the clone at `dir`; returns the removed paths relative
 *  to `dir`. Only call this while holding the clone's own lock. */
export async function removeStaleGitLocks(dir: string): Promise<string[]> {
  const gitDir = path.join(dir, '.git');
  const removed: string[] = [];
  const walk = async (d: string, deep: boolean): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (deep) await walk(p, true);
      } else if (e.name.endsWith('.lock')) {
        await rm(p, { force: true });
        removed.push(path.relative(dir, p));
      }
    }
  };
  for (const sub of LOCK_DIRS) await walk(path.join(gitDir, sub), sub !== '');
  return removed.sort();
}
