// Where the CLI keeps what it derived from a repo between processes: a directory in the
// repository's (shared) git directory, so every worktree of it finds the same answers.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { serialize } from 'node:v8';

const DIR = 'gitops-canary';

/** The store directory of the checkout at `root`; undefined without a git directory. */
export function storeDirOf(root: string): string | undefined {
  const gitDir = commonGitDir(root);
  return gitDir && path.join(gitDir, DIR);
}

/** Writes `value` to `file` in the store directory `dir` atomically (a reader sees the
 *  old file or the new one); false when it could not be written: a repo that cannot be
 *  written just stays uncached. */
export function writeStoreFile(dir: string, file: string, value: unknown): Promise<boolean> {
  let bytes;
  try {
    bytes = serialize(value);
  } catch {
    return Promise.resolve(false);
  }
  return writeStoreBytes(dir, file, bytes);
}

/** Writes `bytes`, encoded by the store itself, as writeStoreFile does: one array, or
 *  the parts of the file in order, written as they are (the kept facts' 64 files, joined
 *  into one buffer each, were 4 MB copied at the end of a sidecar's run). */
export async function writeStoreBytes(dir: string, file: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
  try {
    // the directory is there but for a store's first file: a flush writes up to 64 files
    const fh = await open(tmp, 'wx').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true });
      return open(tmp, 'wx');
    });
    try {
      const { bytesWritten } = await fh.writev(parts as Uint8Array[]);
      if (bytesWritten !== parts.reduce((n, p) => n + p.length, 0)) throw new Error(`${tmp}: short write`);
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    return true;
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
    return false;
  }
}

// `.git` is a directory, or (a worktree, a submodule) a file naming one whose
// `commondir` leads to the repository's shared one. Read here rather than asking git:
// a process less on every run.
function commonGitDir(root: string): string | undefined {
  const dotGit = path.join(root, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    if (!m) return undefined;
    const gitDir = path.resolve(root, m[1].trim());
    const common = path.join(gitDir, 'commondir');
    return existsSync(common) ? path.resolve(gitDir, readFileSync(common, 'utf8').trim()) : gitDir;
  } catch {
    return undefined;
  }
}
