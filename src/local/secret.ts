// Local mode's generated webhook secret, kept beside the local config repo (mode 0600) so
// that a restart does not invalidate every webhook a developer has set up with it.
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';

/** The secret in `file`, or `fresh` written there when there is none. */
export function keepSecret(file: string, fresh: string = randomBytes(20).toString('hex')): { secret: string; created: boolean } {
  const existing = read(file);
  if (existing) return { secret: existing, created: false };
  // Written whole under another name, then linked into place: two processes starting at
  // once agree on one secret, and a crash never leaves a half-written file behind.
  const tmp = `${file}.${process.pid}.tmp`;
  let linked: boolean;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, `${fresh}\n`, { mode: 0o600 });
    linked = tryLink(tmp, file);
  } catch (err) {
    throw new ConfigError('LOCAL_SECRET_UNWRITABLE', `cannot keep the webhook secret in ${file}: ${(err as Error).message}`, { file }, { cause: err });
  } finally {
    rmSync(tmp, { force: true });
  }
  if (linked) return { secret: fresh, created: true };
  const theirs = read(file);
  if (theirs) return { secret: theirs, created: false };
  throw new ConfigError('LOCAL_SECRET_EMPTY', `${file} is empty; delete it to have a new secret made`, { file });
}

/** False when `file` exists already (another process made it first). */
function tryLink(from: string, file: string): boolean {
  try {
    linkSync(from, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function read(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    // a copy made by hand or with a permissive umask: it is a credential
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return text.trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('LOCAL_SECRET_UNREADABLE', `cannot read the webhook secret in ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
}
