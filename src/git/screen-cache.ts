// `git grep` over a large repo costs a full read of the tree on every event, yet two
// events rarely see more than a handful of changed files between them. For a clean tree
// the hits for a set of tokens are remembered and carried forward to a newer tree by
// re-checking only the files `git diff` names between the two trees. The CLI keeps what
// it found on disk (src/manifests/tree-store.ts) and hands it back here (seedScreen), so
// a cold process carries forward too.
import { readRepoText, RepoFileError } from '../repo-io/read.ts';
import { changedSince, madeAfter, writtenText } from '../repo-io/tree-steps.ts';
import type { GitRunner } from './exec.ts';

interface Entry {
  tree: string;
  hits: Set<string>;
  /** Trees carried forward to since the last full search. */
  carried: number;
  /** The tree the hits were carried from, and every file that can differ between the
   *  two; none after a full search. */
  step?: { from: string; changed: readonly string[] };
}

/** What a search found in a tree, as the CLI keeps it between processes. */
export interface ScreenRecord {
  tree: string;
  hits: readonly string[];
  carried: number;
  /** The tree it was carried from, and every file that can differ between the two, when
   *  the process that kept it carried it there from its own commit (carriedToMade). */
  step?: { from: string; changed: readonly string[] };
}

const MAX_ENTRIES = 256;
/** Beyond this many changed files a fresh `git grep` is cheaper than re-reading them. */
const MAX_CHANGED = 500;
/** Every so many carried trees a full search again: an answer kept on disk is only as
 *  good as the first one it was carried from, and this bounds how long a wrong one
 *  (a file from an older version, one edited by hand) can miss a file that did not
 *  change since. */
export const MAX_CARRIED = 64;
const entries = new Map<string, Entry>();

async function fullGrep(runner: GitRunner, tokens: string[], paths: string[] = []): Promise<Set<string>> {
  const { stdout } = await runner.run(['grep', '-l', '-I', '-F', '-z', ...tokens.flatMap((t) => ['-e', t]), '--', ...paths.map((p) => `:(literal)${p}`)], { ok: [0, 1], readOnly: true });
  return new Set(stdout.split('\0').filter(Boolean));
}

// Several token sets move between the same two trees in one event (the image's tokens,
// then the Flux policy kinds): name the changed files once. Null when git cannot compare
// the trees (the old one was pruned): the caller searches afresh.
let lastDiff: { key: string; changed: Promise<string[] | null> } | undefined;

export function changedBetween(runner: GitRunner, dir: string, from: string, to: string): Promise<string[] | null> {
  // a tree the bot's own commit made from `from` names its files without git
  const made = changedSince(from, to);
  if (made) return Promise.resolve(made);
  const key = `${dir}\0${from}\0${to}`;
  if (lastDiff?.key !== key) {
    const changed = runner
      .run(['diff-tree', '-r', '--name-only', '--no-renames', '-z', from, to], { ok: [0, 128] })
      .then(({ stdout, code }) => (code === 0 ? stdout.split('\0').filter(Boolean) : null));
    lastDiff = { key, changed };
    // a failed diff is not remembered
    changed.catch(() => {
      if (lastDiff?.key === key) lastDiff = undefined;
    });
  }
  return lastDiff.changed;
}

const ASK_GIT = new Set(['FILE_NOT_REGULAR', 'FILE_TOO_LARGE', 'FILE_READ_FAILED']);

const REFUSED = Symbol('refused');
type Changed = string | null | typeof REFUSED;
/** Larger texts are read again rather than held. */
const KEEP_TEXT = 64 * 1024;
// The token sets that move between the same two trees (the image's, the Flux policy
// kinds) re-check the same changed files: read each once. Texts of tree `to` only, which
// its id names.
let lastTexts: { key: string; texts: Map<string, Promise<Changed>> } | undefined;

function changedText(dir: string, from: string, to: string, rel: string): Promise<Changed> {
  const key = `${dir}\0${from}\0${to}`;
  if (lastTexts?.key !== key) lastTexts = { key, texts: new Map() };
  let text = lastTexts.texts.get(rel);
  if (!text) {
    // Files we refuse to read (symlinks, devices, files over the size limit) are left to
    // git, which screens them as a fresh search would: the two paths must agree. Missing
    // files and files below a symlinked directory are not in the tree git would search.
    const texts = lastTexts.texts;
    text = readRepoText(dir, rel).then(
      (r) => {
        if (r.text.length > KEEP_TEXT) texts.delete(rel);
        return r.text;
      },
      (err) => (err instanceof RepoFileError && ASK_GIT.has(err.code) ? REFUSED : null),
    );
    texts.set(rel, text);
  }
  return text;
}

/** A changed file is a hit when its text (undefined: gone, or left to git) holds a token. */
function recheck(hits: Set<string>, rel: string, text: string | undefined, tokens: readonly string[]): void {
  if (text !== undefined && tokens.some((t) => text.includes(t))) hits.add(rel);
  else hits.delete(rel);
}

async function carryForward(runner: GitRunner, dir: string, tokens: string[], from: Entry, tree: string): Promise<{ hits: Set<string>; changed: string[] } | null> {
  if (from.carried >= MAX_CARRIED) return null;
  const changed = await changedBetween(runner, dir, from.tree, tree);
  if (changed === null) return null;
  // texts this process wrote into the tree itself are at hand: only the others cost a read
  const written = new Map<string, string>();
  for (const rel of changed) {
    const text = writtenText(tree, rel);
    if (text !== undefined) written.set(rel, text);
  }
  if (changed.length - written.size > MAX_CHANGED) return null;
  const hits = new Set(from.hits);
  const refused: string[] = [];
  for (const rel of changed) {
    const text = written.get(rel) ?? (await changedText(dir, from.tree, tree, rel));
    if (text === REFUSED) refused.push(rel);
    recheck(hits, rel, typeof text === 'string' ? text : undefined, tokens);
  }
  if (refused.length > 0) for (const rel of await fullGrep(runner, tokens, refused)) hits.add(rel);
  return { hits, changed };
}

/** Tracked files containing any token. `tree` is the sha of a tree the working files are
 *  known to match (see WorkingCopy.cleanTree), or undefined to always search afresh. */
export async function screenFiles(runner: GitRunner, dir: string, tokens: string[], treeOrPending: string | undefined | Promise<string | undefined>): Promise<string[]> {
  const key = keyOf(dir, tokens);
  let known = entries.get(key);
  // Nothing known of these tokens: the whole tree is searched whatever it is, so the search
  // starts while the caller still asks git which tree that is.
  const early = !known && typeof treeOrPending === 'object' ? fullGrep(runner, tokens) : undefined;
  // when asking for the tree fails, the search's own failure must not go unheard
  early?.catch(() => undefined);
  const tree = await treeOrPending;
  if (tree === undefined) return [...(await (early ?? fullGrep(runner, tokens)))];
  // what another search found meanwhile is carried only when this one had not begun
  known = early ? undefined : entries.get(key);
  let hits: Set<string> | null = null;
  let carried = 0;
  let step: Entry['step'];
  if (known?.tree === tree) {
    hits = known.hits;
    carried = known.carried;
    // (how it came to this tree, when it was carried here: for whoever kept something
    // of the tree before)
    step = known.step ?? { from: tree, changed: [] };
  } else if (known) {
    const moved = await carryForward(runner, dir, tokens, known, tree);
    hits = moved?.hits ?? null;
    carried = known.carried + 1;
    step = moved ? { from: known.tree, changed: moved.changed } : undefined;
  }
  if (!hits) {
    hits = await (early ?? fullGrep(runner, tokens));
    carried = 0;
    step = undefined;
  }
  remember(key, { tree, hits, carried, step });
  return [...hits].sort();
}

function keyOf(dir: string, tokens: readonly string[]): string {
  return `${dir}\0${[...new Set(tokens)].sort().join('\0')}`;
}

function remember(key: string, entry: Entry): void {
  entries.delete(key);
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(key, entry);
}

/** What this process last found for `tokens` in `dir`, to keep for a later process. */
export function screenRecord(dir: string, tokens: readonly string[]): ScreenRecord | undefined {
  const e = entries.get(keyOf(dir, tokens));
  return e && { tree: e.tree, hits: [...e.hits].sort(), carried: e.carried, ...(e.step && e.step.from !== e.tree ? { step: e.step } : {}) };
}

/** How the last search for `tokens` in `dir` came to its answer in tree `to`: carried
 *  from tree `from`, re-checking `changed`, the only files that can differ between the
 *  two. Whoever kept something per file of `from` re-derives only these. Undefined after
 *  a full search. */
export function screenStep(dir: string, tokens: readonly string[]): { from: string; to: string; changed: readonly string[] } | undefined {
  const e = entries.get(keyOf(dir, tokens));
  return e?.step && { from: e.step.from, to: e.tree, changed: e.step.changed };
}

/** `record` (what a search for `tokens` found) carried to the tree this process then
 *  made from its tree by a commit of its own (tree-steps.ts), from the texts it wrote:
 *  no other file can differ. What the next process finds in that tree, with no search;
 *  after a sidecar's 801 files it would search afresh (more than MAX_CHANGED to read).
 *  Undefined when no such commit is known, or not every text it wrote is at hand. */
export function carriedToMade(record: ScreenRecord, tokens: readonly string[]): ScreenRecord | undefined {
  if (record.carried >= MAX_CARRIED) return undefined;
  const to = madeAfter(record.tree);
  const changed = to && changedSince(record.tree, to);
  if (!to || !changed) return undefined;
  const hits = new Set(record.hits);
  for (const rel of changed) {
    const text = writtenText(to, rel);
    if (text === undefined) return undefined;
    recheck(hits, rel, text, tokens);
  }
  return { tree: to, hits: [...hits].sort(), carried: record.carried + 1, step: { from: record.tree, changed } };
}

/** Starts this process from what an earlier one found (screenRecord), unless it has
 *  searched itself: the next search in another tree re-checks only what changed. */
export function seedScreen(dir: string, tokens: readonly string[], record: ScreenRecord): void {
  const key = keyOf(dir, tokens);
  if (!entries.has(key)) remember(key, { tree: record.tree, hits: new Set(record.hits), carried: record.carried, ...(record.step ? { step: record.step } : {}) });
}

/** Forgets every search (tests run several "processes" in one). */
export function forgetScreens(): void {
  entries.clear();
  lastDiff = undefined;
  lastTexts = undefined;
}
