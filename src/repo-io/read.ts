// The one way to read a file of a config repo. Its content is chosen by whoever can push
// there: a committed symlink to /dev/zero, a FIFO or a 50 MB manifest must cost one
// refusal naming the file, not the process. Type and size are judged from lstat before
// anything is opened; the open refuses to follow a symlink swapped in since, the fd is
// judged again, and the read stops one byte past the limit, so a file growing under us
// is still bounded.
//
// A manifest is read with synchronous calls: seven thread-pool round trips per file (the
// parent's realpath, lstat, open, fstat, read, read, close) cost several times the
// calls themselves, and a plan reads hundreds of files (801 manifests: 70–110 ms async
// in batches of 32, 16–40 ms so). Only a file over SYNC_MAX bytes is read
// asynchronously, so the event loop is never held for long.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BotError, ConfigError } from '../errors.ts';
import { normalizeRepoPath, realRootOf } from '../git/paths.ts';
import { decodeText, type RepoText } from './encoding.ts';

/** Refusals carry FILE_NOT_FOUND, FILE_NOT_REGULAR, FILE_TOO_LARGE, FILE_OUTSIDE_REPO or
 *  FILE_READ_FAILED, and the repo-relative file. */
export class RepoFileError extends BotError {}

export const DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024;

let limit = DEFAULT_MAX_FILE_SIZE;

/** Set once at start by each entry point (MAX_FILE_SIZE); the default is 4 MB. */
export function setMaxFileSize(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`max file size must be a positive integer, got ${bytes}`);
  limit = bytes;
}

export function maxFileSize(): number {
  return limit;
}

/** MAX_FILE_SIZE as bytes; unset or empty is the default. */
export function parseMaxFileSize(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_FILE_SIZE;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError('SETTINGS_BAD_MAX_FILE_SIZE', `MAX_FILE_SIZE must be a positive number of bytes, got "${raw}"`, { field: 'MAX_FILE_SIZE' });
  }
  return n;
}

// O_NONBLOCK: should a FIFO appear between lstat and open, opening it must not hang.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const CHUNK = 64 * 1024;
const SYNC_MAX = 256 * 1024;

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function tooLarge(file: string, max: number, size?: number): RepoFileError {
  const what = size === undefined ? `grew past ${max} bytes while being read` : `is ${size} bytes`;
  return new RepoFileError('FILE_TOO_LARGE', `file ${what}, over the limit of ${max} bytes (MAX_FILE_SIZE); not read`, { file });
}

function judge(st: Stats, file: string, max: number): void {
  if (!st.isFile()) throw new RepoFileError('FILE_NOT_REGULAR', `file is ${kindOf(st)}; only regular files in the repository are read`, { file });
  if (st.size > max) throw tooLarge(file, max, st.size);
}

function failed(err: unknown, file: string): BotError {
  if (err instanceof BotError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new RepoFileError('FILE_NOT_FOUND', 'no such file in the repository', { file }, { cause: err });
  // O_NOFOLLOW met a symlink that replaced the file after lstat
  if (code === 'ELOOP') return new RepoFileError('FILE_NOT_REGULAR', 'file is a symbolic link; only regular files in the repository are read', { file }, { cause: err });
  return new RepoFileError('FILE_READ_FAILED', `cannot read file: ${(err as Error).message}`, { file }, { cause: err });
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root + path.sep);
}

/** The path to open: the target under its real parent, which must be inside the root. */
function located(realRoot: string, realParent: string, abs: string, file: string): string {
  if (!inside(realRoot, realParent)) {
    throw new RepoFileError('FILE_OUTSIDE_REPO', 'a parent directory is a symbolic link leading outside the repository', { file });
  }
  return path.join(realParent, path.basename(abs));
}

async function readBounded(fh: FileHandle, size: number, max: number, file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (let want = Math.min(size, max) + 1; ; want = CHUNK) {
    const buf = Buffer.allocUnsafe(Math.min(want, max + 1 - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    if (total > max) throw tooLarge(file, max);
    // a regular file (judged so once open) reads short only at its end: no further read,
    // and no 64 KB buffer allocated per file just to hear that
    if (bytesRead < buf.length) break;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

function readBoundedSync(fd: number, size: number, max: number, file: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (let want = Math.min(size, max) + 1; ; want = CHUNK) {
    const buf = Buffer.allocUnsafe(Math.min(want, max + 1 - total));
    const bytesRead = readSync(fd, buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    if (total > max) throw tooLarge(file, max);
    if (bytesRead < buf.length) break;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/** The bytes of `rel` under `root`. Throws RepoFileError (or GitError GIT_UNSAFE_PATH for
 *  `..`, absolute and `.git` paths) naming the file; never reads more than the limit + 1. */
export async function readRepoBytes(root: string, rel: string): Promise<Buffer> {
  const file = normalizeRepoPath(rel);
  const max = limit;
  try {
    const realRoot = await realRootOf(root);
    const abs = path.join(realRoot, ...file.split('/'));
    const target = located(realRoot, realpathSync.native(path.dirname(abs)), abs, file);
    const st = lstatSync(target);
    judge(st, file, max);
    return st.size <= SYNC_MAX ? openedSync(target, file, max) : await openedAsync(target, file, max);
  } catch (err) {
    throw failed(err, file);
  }
}

/** The bytes of the file `target`, judged again once open (see the top of this file). */
function openedSync(target: string, file: string, max: number): Buffer {
  const fd = openSync(target, OPEN_FLAGS);
  try {
    const st = fstatSync(fd);
    judge(st, file, max);
    return readBoundedSync(fd, st.size, max, file);
  } finally {
    closeSync(fd);
  }
}

async function openedAsync(target: string, file: string, max: number): Promise<Buffer> {
  const fh = await open(target, OPEN_FLAGS);
  try {
    const st = await fh.stat();
    judge(st, file, max);
    return await readBounded(fh, st.size, max, file);
  } finally {
    await fh.close();
  }
}

/** readRepoBytes for the synchronous config loader. */
export function readRepoBytesSync(root: string, rel: string): Buffer {
  const file = normalizeRepoPath(rel);
  const max = limit;
  try {
    const realRoot = realpathSync(root);
    const abs = path.join(realRoot, ...file.split('/'));
    const target = located(realRoot, realpathSync(path.dirname(abs)), abs, file);
    judge(lstatSync(target), file, max);
    return openedSync(target, file, max);
  } catch (err) {
    throw failed(err, file);
  }
}

/** The text of `rel`, and the encoding to write it back with (see decodeText). */
export async function readRepoText(root: string, rel: string): Promise<RepoText> {
  return decodeText(await readRepoBytes(root, rel));
}

export function readRepoTextSync(root: string, rel: string): RepoText {
  return decodeText(readRepoBytesSync(root, rel));
}
