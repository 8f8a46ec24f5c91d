// `git grep` over a large repo costs a full read of the tree on every event, yet two
// events rarely see more than a handful of changed files between them. For a clean tree
// the hits for a set of tokens are remembered and carried forward to a newer tree by
// re-checking only the files `git diff` names between the two trees.
import { readRepoText, RepoFileError } from '../repo-io/read.ts';
import type { GitRunner } from './exec.ts';

interface Entry {
  tree: string;
  hits: Set<string>;
}

const MAX_ENTRIES = 256;
/** Beyond this many changed files a fresh `git grep` is cheaper than re-reading them. */
const MAX_CHANGED = 500;
const entries = new Map<string, Entry>();

async function fullGrep(runner: GitRunner, tokens: string[], paths: string[] = []): Promise<Set<string>> {
  const { stdout } = await runner.run(['grep', '-l', '-I', '-F', '-z', ...tokens.flatMap((t) => ['-e', t]), '--', ...paths.map((p) => `:(literal)${p}`)], { ok: [0, 1] });
  return new Set(stdout.split('\0').filter(Boolean));
}

// Several token sets move between the same two trees in one event (the image's tokens,
// then the Flux policy kinds): name the changed files once. Null when git cannot compare
// the trees (the old one was pruned): the caller searches afresh.
let lastDiff: { key: string; changed: Promise<string[] | null> } | undefined;

export function changedBetween(runner: GitRunner, dir: string, from: string, to: string): Promise<string[] | null> {
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

async function carryForward(runner: GitRunner, dir: string, tokens: string[], from: Entry, tree: string): Promise<Set<string> | null> {
  const changed = await changedBetween(runner, dir, from.tree, tree);
  if (changed === null) return null;
  if (changed.length > MAX_CHANGED) return null;
  const hits = new Set(from.hits);
  // Files we refuse to read (symlinks, devices, files over the size limit) are left to
  // git, which screens them as a fresh search would: the two paths must agree. Missing
  // files and files below a symlinked directory are not in the tree git would search.
  const refused: string[] = [];
  for (const rel of changed) {
    const text = await readRepoText(dir, rel).then(
      (r) => r.text,
      (err) => {
        if (err instanceof RepoFileError && ASK_GIT.has(err.code)) refused.push(rel);
        return null;
      },
    );
    if (text !== null && tokens.some((t) => text.includes(t))) hits.add(rel);
    else hits.delete(rel);
  }
  if (refused.length > 0) for (const rel of await fullGrep(runner, tokens, refused)) hits.add(rel);
  return hits;
}

/** Tracked files containing any token. `tree` is the sha of a tree the working files are
 *  known to match (see WorkingCopy.cleanTree), or undefined to always search afresh. */
export async function screenFiles(runner: GitRunner, dir: string, tokens: string[], tree: string | undefined): Promise<string[]> {
  if (tree === undefined) return [...(await fullGrep(runner, tokens))];
  const key = `${dir}\0${[...tokens].sort().join('\0')}`;
  const known = entries.get(key);
  let hits: Set<string> | null = null;
  if (known?.tree === tree) hits = known.hits;
  else if (known) hits = await carryForward(runner, dir, tokens, known, tree);
  hits ??= await fullGrep(runner, tokens);
  entries.delete(key);
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(key, { tree, hits });
  return [...hits].sort();
}
