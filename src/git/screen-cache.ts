// `git grep` over a large repo costs a full read of the tree on every event, yet two
// events rarely see more than a handful of changed files between them. For a clean tree
// the hits for a set of tokens are remembered and carried forward to a newer tree by
// re-checking only the files `git diff` names between the two trees.
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GitRunner } from './exec.ts';

interface Entry {
  tree: string;
  hits: Set<string>;
}

const MAX_ENTRIES = 256;
/** Beyond this many changed files a fresh `git grep` is cheaper than re-reading them. */
const MAX_CHANGED = 500;
const entries = new Map<string, Entry>();

async function fullGrep(runner: GitRunner, tokens: string[]): Promise<Set<string>> {
  const { stdout } = await runner.run(['grep', '-l', '-I', '-F', '-z', ...tokens.flatMap((t) => ['-e', t]), '--'], { ok: [0, 1] });
  return new Set(stdout.split('\0').filter(Boolean));
}

// Several token sets move between the same two trees in one event (the image's tokens,
// then the Flux policy kinds): name the changed files once. Null when git cannot compare
// the trees (the old one was pruned): the caller searches afresh.
let lastDiff: { key: string; changed: Promise<string[] | null> } | undefined;

function changedBetween(runner: GitRunner, dir: string, from: string, to: string): Promise<string[] | null> {
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

async function carryForward(runner: GitRunner, dir: string, tokens: string[], from: Entry, tree: string): Promise<Set<string> | null> {
  const changed = await changedBetween(runner, dir, from.tree, tree);
  if (changed === null) return null;
  if (changed.length > MAX_CHANGED) return null;
  const hits = new Set(from.hits);
  for (const rel of changed) {
    const abs = path.join(dir, rel);
    // git grep reads a symlink's target path, not the file it points to; so do we.
    const st = await lstat(abs).catch(() => null);
    const text = st?.isSymbolicLink() ? null : await readFile(abs, 'utf8').catch(() => null);
    if (text !== null && tokens.some((t) => text.includes(t))) hits.add(rel);
    else hits.delete(rel);
  }
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
