// The CLI's `git grep` results kept between processes: for each set of screen tokens, the
// clean tree searched and the files that hold a token. A cold run on that tree searches
// nothing; on a newer tree it re-checks only the files `git diff` names between the two
// (src/git/screen-cache.ts carries them forward), instead of reading the whole tree.
//
// A kept answer only decides which files are parsed: the edits come from parsing them and
// are confirmed by re-parsing, so a wrong file (forged, or left by a bug) can at worst
// miss a file, and only until that file changes or the next full search (MAX_CARRIED).
// A file that does not match this version, these tokens or the shape is ignored.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { deserialize } from 'node:v8';
import { carriedToMade, screenRecord, seedScreen, type ScreenRecord } from '../git/screen-cache.ts';
import { packageVersion } from '../version.ts';
import type { RepoFiles } from './files.ts';
import { storeDirOf, writeStoreFile } from './store-dir.ts';

/** Bump when the shape or the meaning of a kept search changes. */
const FORMAT = 1;
/** Token sets kept per repo (an image's tokens each, and the Flux policy kinds). */
const KEEP = 64;
const NAME = /^screen-[0-9a-f]{32}\.v8$/;
const TREE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Trees kept per token set: the one a run searched and the one its commit made, and a
 *  run that goes back (a reset, a revert, a bench) finds the tree it left. */
const TREES = 4;

interface Stored {
  format: number;
  version: string;
  tokens: string[];
  /** The latest. */
  record: ScreenRecord;
  /** Other trees', latest first. */
  others?: ScreenRecord[];
}

interface Pending {
  tokens: string[];
  /** What the file held when this process first searched these tokens, latest first. */
  kept: ScreenRecord[];
  /** What this process found last. */
  latest?: ScreenRecord;
}

// per store directory: what this process searched, by file
const pending = new Map<string, Map<string, Pending>>();

function fileOf(dir: string, tokens: readonly string[]): string {
  return path.join(dir, `screen-${createHash('sha256').update(tokens.join('\0')).digest('hex').slice(0, 32)}.v8`);
}

function repoPath(p: unknown): boolean {
  return typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.includes('\0') && !p.split('/').some((s) => s === '' || s === '.' || s === '..');
}

function valid(x: unknown, tokens: readonly string[]): x is Stored {
  const s = x as Partial<Stored> | undefined;
  return (
    !!s &&
    s.format === FORMAT &&
    s.version === packageVersion() &&
    Array.isArray(s.tokens) &&
    s.tokens.length === tokens.length &&
    s.tokens.every((t, i) => t === tokens[i]) &&
    validRecord(s.record) &&
    (s.others === undefined || (Array.isArray(s.others) && s.others.every(validRecord)))
  );
}

function validRecord(x: unknown): x is ScreenRecord {
  const r = x as Partial<ScreenRecord> | undefined;
  return (
    !!r &&
    typeof r.tree === 'string' &&
    TREE.test(r.tree) &&
    Number.isSafeInteger(r.carried) &&
    (r.carried as number) >= 0 &&
    Array.isArray(r.hits) &&
    r.hits.every(repoPath) &&
    (r.step === undefined || (typeof r.step.from === 'string' && TREE.test(r.step.from) && Array.isArray(r.step.changed) && r.step.changed.every(repoPath)))
  );
}

function read(file: string, tokens: readonly string[]): ScreenRecord[] {
  try {
    const x: unknown = deserialize(readFileSync(file));
    return valid(x, tokens) ? [x.record, ...(x.others ?? [])] : [];
  } catch {
    // missing or unreadable: searched afresh and written again
    return [];
  }
}

function sameRecord(a: ScreenRecord | undefined, b: ScreenRecord): boolean {
  return !!a && a.tree === b.tree && a.carried === b.carried && a.hits.length === b.hits.length && a.hits.every((h, i) => h === b.hits[i]);
}

/** `repo.grep`, starting from the search kept for the same tokens: only for a clean
 *  tree whose id is known (`repo.version`), and a repo with a git directory. */
export function keptGrep(repo: RepoFiles): RepoFiles['grep'] {
  return async (tokens) => {
    const tree = tokens.length === 0 || tokens.includes('') ? undefined : await repo.version?.();
    const dir = tree === undefined ? undefined : storeDirOf(repo.root);
    if (!dir) return repo.grep(tokens);
    const set = [...new Set(tokens)].sort();
    const file = fileOf(dir, set);
    const mine = pending.get(dir) ?? new Map<string, Pending>();
    pending.set(dir, mine);
    let p = mine.get(file);
    if (!p) {
      p = { tokens: set, kept: read(file, set) };
      mine.set(file, p);
      // this tree's, else the latest to carry from
      const seed = p.kept.find((r) => r.tree === tree) ?? p.kept[0];
      if (seed) seedScreen(repo.root, set, seed);
    }
    const hits = await repo.grep(tokens);
    const found = screenRecord(repo.root, set);
    if (found?.tree === tree) p.latest = found;
    return hits;
  };
}

/** Writes the searches this process made in the checkout at `root` (atomically: a
 *  reader sees the old file or the new one), each carried to the tree this process
 *  committed when it did (carriedToMade): the next run starts on that tree. A repo that
 *  cannot be written stays uncached. */
export async function flushScreens(root: string): Promise<void> {
  const dir = storeDirOf(root);
  const mine = dir && pending.get(dir);
  if (!dir || !mine || mine.size === 0) return;
  pending.delete(dir);
  const now = new Date();
  for (const [file, p] of mine) {
    if (!p.latest) continue;
    const made = carriedToMade(p.latest, p.tokens);
    const records: ScreenRecord[] = [];
    for (const r of [made, p.latest, ...p.kept]) if (r && !records.some((k) => k.tree === r.tree)) records.push(r);
    const [record, ...others] = records.slice(0, TREES);
    if (records.length === p.kept.length && records.every((r, i) => sameRecord(p.kept[i], r))) {
      // used as it was: kept among the latest
      await utimes(file, now, now).catch(() => undefined);
      continue;
    }
    const stored: Stored = { format: FORMAT, version: packageVersion(), tokens: p.tokens, record, ...(others.length ? { others } : {}) };
    await writeStoreFile(dir, file, stored);
  }
  await prune(dir).catch(() => undefined);
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => NAME.test(n));
  if (names.length <= KEEP) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.t - a.t);
  await Promise.all(dated.slice(KEEP).map(({ n }) => rm(path.join(dir, n), { force: true })));
}

/** Forgets what this process searched and has not written (tests run several
 *  "processes" in one). */
export function closeScreens(): void {
  pending.clear();
}
