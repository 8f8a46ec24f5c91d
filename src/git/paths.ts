// Repo-relative paths come from config files and manifests, i.e. from the config repo
// itself. A symlink or `..` there must not make the bot read or write outside the
// working copy (and then commit what it read).
import { lstatSync, realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { GitError } from '../errors.ts';

/** Normalizes a repo-relative POSIX path, rejecting absolute paths, `..` escapes and
 *  anything inside `.git`. */
export function normalizeRepoPath(rel: string): string {
  // paths from git's own listings are normal already: checked in one pass
  if (typeof rel === 'string' && isNormal(rel)) return rel;
  if (typeof rel !== 'string' || rel.trim() === '') throw new GitError('GIT_UNSAFE_PATH', 'empty file path');
  if (rel.includes('\0')) throw new GitError('GIT_UNSAFE_PATH', 'file path contains a NUL byte', { file: rel.replace(/\0/g, '\\0') });
  const posix = rel.replace(/\\/g, '/');
  if (posix.startsWith('/') || /^[A-Za-z]:\//.test(posix)) {
    throw new GitError('GIT_UNSAFE_PATH', 'file path must be relative to the repository root', { file: rel });
  }
  const norm = path.posix.normalize(posix).replace(/\/+$/, '');
  if (norm === '.' || norm === '..' || norm.startsWith('../')) {
    throw new GitError('GIT_UNSAFE_PATH', 'file path points outside the repository', { file: rel });
  }
  if (norm.split('/')[0].toLowerCase() === '.git') {
    throw new GitError('GIT_UNSAFE_PATH', 'file path points into .git', { file: rel });
  }
  return norm;
}

/** Whether normalizeRepoPath would return `rel` as it is: segments neither empty nor `.`
 *  or `..`, no backslash or NUL, no drive (`C:`), not under `.git`, no space at either end. */
function isNormal(rel: string): boolean {
  let start = 0;
  for (let i = 0; i <= rel.length; i++) {
    const c = i === rel.length ? 47 : rel.charCodeAt(i);
    if (c === 0 || c === 92) return false;
    if (c !== 47) continue;
    const n = i - start;
    if (n === 0 || (n <= 2 && rel.charCodeAt(start) === 46 && (n === 1 || rel.charCodeAt(start + 1) === 46))) return false;
    if (start === 0 && ((n === 2 && rel.charCodeAt(1) === 58) || (n === 4 && rel.slice(0, 4).toLowerCase() === '.git'))) return false;
    start = i + 1;
  }
  return rel.trim() === rel;
}

// The root of a working copy does not move while the process runs; resolving it once
// saves a syscall per file on large repos.
const realRoots = new Map<string, Promise<string>>();

/** `root` with every symlink resolved (cached). */
export function realRootOf(root: string): Promise<string> {
  let pending = realRoots.get(root);
  if (!pending) {
    pending = realpath(root);
    realRoots.set(root, pending);
    pending.catch(() => realRoots.delete(root));
  }
  return pending;
}

/** Absolute path of `rel` under `root`, refusing symlinks at the target and any parent
 *  directory that resolves outside `root`. The target need not exist. */
export async function resolveInside(root: string, rel: string): Promise<string> {
  return (await resolveTarget(root, rel)).abs;
}

/** The refusal of a file that is a symbolic link (found so, or met as one on opening it). */
export function symlinkRefused(file: string, cause?: unknown): GitError {
  return new GitError('GIT_UNSAFE_PATH', 'file is a symbolic link; the bot only edits regular files', { file }, { cause });
}

/** resolveInside, also saying whether a file is there already (its directory then needs
 *  no creating). */
export async function resolveTarget(root: string, rel: string): Promise<{ abs: string; exists: boolean; executable: boolean }> {
  return resolveTargetSync(await realRootOf(root), rel);
}

/** resolveTarget once the root is resolved (`realRoot`: realRootOf(root)), in synchronous
 *  calls: for many files (Workspace.writeFiles) two thread-pool round trips a file cost
 *  more than the calls themselves. */
export function resolveTargetSync(realRoot: string, rel: string): { abs: string; exists: boolean; executable: boolean } {
  const norm = normalizeRepoPath(rel);
  const abs = path.join(realRoot, ...norm.split('/'));
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) throw symlinkRefused(norm);
  for (let dir = path.dirname(abs); ; ) {
    let real: string | undefined;
    try {
      real = realpathSync.native(dir);
    } catch {
      real = undefined;
    }
    if (real !== undefined) {
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
        throw new GitError('GIT_UNSAFE_PATH', 'a parent directory is a symbolic link leading outside the repository', { file: norm });
      }
      break;
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // (any execute bit: git stages such a file as 100755)
  return { abs, exists: st !== undefined, executable: st !== undefined && (st.mode & 0o111) !== 0 };
}
