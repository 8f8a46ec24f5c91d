// Reading the bot's own history back. Git is the only state, so "what is the current
// canary step" and "what would a rollback undo" are answered from commit trailers.
import { GitError } from '../errors.ts';
import type { Trailers } from '../plan.ts';
import type { GitRunner } from './exec.ts';
import { getTrailer, parseTrailers, TRAILER_PREFIX } from './trailers.ts';

export interface LogEntry {
  sha: string;
  parents: string[];
  subject: string;
  message: string;
  trailers: Trailers;
  /** Strict ISO 8601. */
  authorDate: string;
  committerDate: string;
  /** `Name <email>` */
  author: string;
}

export interface LogOptions {
  /** Defaults to HEAD. */
  ref?: string;
  paths?: string[];
  max?: number;
  /** Only commits carrying this trailer (key without prefix, value exact). */
  grepTrailer?: { key: string; value: string };
}

const FIELDS = 6;
const FORMAT = '--format=%H%x00%P%x00%an <%ae>%x00%aI%x00%cI%x00%B';

export async function readLog(runner: GitRunner, opts: LogOptions = {}): Promise<LogEntry[]> {
  const ref = opts.ref ?? 'HEAD';
  if (ref.startsWith('-')) throw new GitError('GIT_BAD_REF', `invalid ref ${ref}`);
  const args = ['log', '-z', '--date-order', FORMAT];
  if (opts.max !== undefined) args.push(`--max-count=${Math.max(0, Math.floor(opts.max))}`);
  if (opts.grepTrailer) args.push('--regexp-ignore-case', `--grep=${trailerGrep(opts.grepTrailer.key, opts.grepTrailer.value)}`);
  args.push(ref, '--', ...(opts.paths ?? []));
  const { stdout } = await runner.run(args);
  const entries = parseLog(stdout);
  // as many commits as asked for: older ones exist that this read left out
  if (opts.max !== undefined && !opts.grepTrailer && !opts.paths?.length && entries.length > 0 && entries.length >= opts.max) markWindow(entries, { runner, head: entries[0].sha, max: opts.max });
  if (!opts.grepTrailer) return entries;
  const { key, value } = opts.grepTrailer;
  return entries.filter((e) => getTrailer(e.trailers, key) === value);
}

/** readLog of `ref` with `max`, given `known`: that read of an older head, as the tick's
 *  own pushes leave it behind. When every commit since descends from that head (commits
 *  made on top of it), git's date order lists them all before it, so only they are read
 *  and put in front; otherwise (someone rewrote the branch, merged an older line) the
 *  log is read afresh. */
export async function readLogSince(runner: GitRunner, known: readonly LogEntry[], max: number, ref = 'HEAD'): Promise<readonly LogEntry[]> {
  const base = known[0];
  if (!base || known.length > max || ref.startsWith('-')) return readLog(runner, { ref, max });
  // the head's commits down to `base`, which is listed last when all descend from it
  const { stdout } = await runner.run(['log', '-z', '--date-order', FORMAT, `--max-count=${max + 1}`, ref, '--not', `${base.sha}^@`, '--']);
  const since = parseLog(stdout);
  const shas = new Set(since.map((c) => c.sha));
  const newer = since.slice(0, -1);
  if (since.at(-1)?.sha !== base.sha || !newer.every((c) => c.parents.length > 0 && c.parents.every((p) => shas.has(p)))) return readLog(runner, { ref, max });
  // nothing new: the same array, so what was derived from it (per app) still serves
  if (newer.length === 0) return known;
  const entries = [...newer, ...known].slice(0, max);
  if (entries.length >= max) markWindow(entries, { runner, head: entries[0].sha, max });
  return entries;
}

/** A log read that stopped at its `max` with older commits left out: the runner and the
 *  head it was read from, so that whoever reads one app's state from it can read that
 *  app's older commits from the same head (src/jobs/history.ts). */
export interface LogWindow {
  runner: GitRunner;
  head: string;
  max: number;
}

// Keyed by the array a read returned: nobody changes a log after reading it.
const windows = new WeakMap<readonly unknown[], LogWindow>();

export function logWindow(log: readonly unknown[]): LogWindow | undefined {
  return windows.get(log);
}

export function markWindow(log: readonly unknown[], window: LogWindow): void {
  windows.set(log, window);
}

export function parseLog(stdout: string): LogEntry[] {
  const parts = stdout.split('\0');
  const out: LogEntry[] = [];
  for (let i = 0; i + FIELDS <= parts.length; i += FIELDS) {
    // `-z` puts a NUL between commits, which shows up as a leading empty field
    const [sha, parents, author, authorDate, committerDate, message] = parts.slice(i, i + FIELDS).map((p, j) => (j === 0 ? p.replace(/^\n/, '') : p));
    if (!/^[0-9a-f]{40,64}$/.test(sha)) break;
    out.push({
      sha,
      parents: parents ? parents.split(' ') : [],
      subject: message.split('\n', 1)[0],
      message,
      trailers: parseTrailers(message),
      authorDate,
      committerDate,
      author,
    });
  }
  return out;
}

export interface FindBotCommitOptions {
  app: string;
  ref?: string;
  /** Only commits whose Action trailer is one of these. */
  actions?: readonly string[];
  /** Only commits for this Track. */
  track?: string;
}

/** Newest commit for `app` that is still in effect: commits undone by a later
 *  `Reverts: <sha>` commit are skipped, and a revert that was itself reverted no longer
 *  counts. Walks newest first, so a revert is always seen before what it reverts. */
export async function findLastBotCommit(runner: GitRunner, opts: FindBotCommitOptions): Promise<LogEntry | null> {
  const ref = opts.ref ?? 'HEAD';
  if (ref.startsWith('-')) throw new GitError('GIT_BAD_REF', `invalid ref ${ref}`);
  const { stdout } = await runner.run([
    'log', '-z', '--date-order', FORMAT, '--regexp-ignore-case',
    `--grep=${trailerGrep('App', opts.app)}`,
    `--grep=^${TRAILER_PREFIX}Reverts:`,
    ref, '--',
  ]);
  const reverted: string[] = [];
  const isReverted = (sha: string) => reverted.some((r) => sha.startsWith(r));
  for (const entry of parseLog(stdout)) {
    if (isReverted(entry.sha)) continue;
    const target = getTrailer(entry.trailers, 'Reverts');
    if (target && /^[0-9a-f]{7,64}$/i.test(target)) reverted.push(target.toLowerCase());
    if (getTrailer(entry.trailers, 'App') !== opts.app) continue;
    if (opts.track !== undefined && getTrailer(entry.trailers, 'Track') !== opts.track) continue;
    if (opts.actions && !opts.actions.includes(getTrailer(entry.trailers, 'Action') ?? '')) continue;
    return entry;
  }
  return null;
}

function trailerGrep(key: string, value: string): string {
  return `^${escapeBre(TRAILER_PREFIX + key)}:[[:space:]]*${escapeBre(value)}[[:space:]]*$`;
}

function escapeBre(s: string): string {
  return s.replace(/[.[\]*^$\\]/g, '\\$&');
}
