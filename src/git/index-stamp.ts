// The index file as git last left it. Git writes the index aside and renames it into
// place on every change (its lockfile), so a new inode, size or time tells that someone
// changed it since: a `git add` in the user's checkout while the CLI runs, say.
import { statSync } from 'node:fs';
import path from 'node:path';

export interface IndexStamp {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The stamp of the index in `gitDir` (a worktree's own git directory holds its index);
 *  undefined when there is none, or when GIT_INDEX_FILE names another one. */
export function indexStamp(gitDir: string | undefined): IndexStamp | undefined {
  if (!gitDir || process.env.GIT_INDEX_FILE) return undefined;
  try {
    const s = statSync(path.join(gitDir, 'index'), { bigint: true });
    return { ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
  } catch {
    return undefined;
  }
}

export function sameIndex(a: IndexStamp | undefined, b: IndexStamp | undefined): boolean {
  return !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}
