// Trees the bot made itself, and from what: a commit of its own clone writes the tree of
// its parent with a few files staged, so "these files are all that can differ between
// the two trees" is known without asking git. Whoever carries an answer from one tree to
// the next (file texts, a loaded config) asks here before running `git diff-tree`. A
// tree id names its content, so a step holds in every clone.

interface Step {
  from: string;
  /** A superset of the paths that differ: each file the step wrote, changed or not. */
  changed: ReadonlySet<string>;
  /** The texts the step wrote, as the tree holds them, while they are kept. */
  texts?: ReadonlyMap<string, string>;
}

const steps = new Map<string, Step>();
const MAX_STEPS = 4096;
/** Characters of written texts kept over all steps; the oldest steps' texts go first. */
const MAX_TEXT_CHARS = 32 * 1024 * 1024;
let textChars = 0;
/** Chains longer than this are not followed: a diff of the two trees is cheaper then. */
const MAX_CHAIN = 64;

/** Records that tree `to` is tree `from` with only `changed` written. `texts`: what was
 *  written to those files, exactly as `to` holds them (a later search of `to` then reads
 *  them here instead of from disk). */
export function recordTreeStep(from: string, to: string, changed: readonly string[], texts?: ReadonlyMap<string, string>): void {
  if (from === to) return;
  forget(to);
  if (steps.size >= MAX_STEPS) forget(steps.keys().next().value!);
  steps.set(to, { from, changed: new Set(changed), ...(texts?.size ? { texts } : {}) });
  if (texts) textChars += charsOf(texts);
  for (const step of steps.values()) {
    if (textChars <= MAX_TEXT_CHARS) break;
    if (step.texts) dropTexts(step);
  }
}

/** The text of `rel` in tree `to` when the recorded step that last wrote it kept it:
 *  undefined when no such step is on record or its texts are no longer kept. */
export function writtenText(to: string, rel: string): string | undefined {
  let tree = to;
  for (let i = 0; i <= MAX_CHAIN; i++) {
    const step = steps.get(tree);
    if (!step) return undefined;
    if (step.changed.has(rel)) return step.texts?.get(rel);
    tree = step.from;
  }
  return undefined;
}

function forget(tree: string): void {
  const step = steps.get(tree);
  if (step?.texts) dropTexts(step);
  steps.delete(tree);
}

function dropTexts(step: Step): void {
  textChars -= charsOf(step.texts!);
  delete step.texts;
}

function charsOf(texts: ReadonlyMap<string, string>): number {
  let n = 0;
  for (const text of texts.values()) n += text.length;
  return n;
}

/** The nearest tree `to` was made from by recorded steps that `accept` takes (`to` itself
 *  first), with every path written on the way: none of the others can differ. Undefined
 *  when no tree on the recorded line is accepted. */
export function madeFrom(to: string, accept: (tree: string) => boolean): { tree: string; changed: string[] } | undefined {
  const changed = new Set<string>();
  let tree = to;
  for (let i = 0; i <= MAX_CHAIN; i++) {
    if (accept(tree)) return { tree, changed: [...changed] };
    const step = steps.get(tree);
    if (!step) return undefined;
    for (const rel of step.changed) changed.add(rel);
    tree = step.from;
  }
  return undefined;
}

/** The tree last recorded as made from `from` in one step, if any. */
export function madeAfter(from: string): string | undefined {
  let found: string | undefined;
  for (const [to, step] of steps) if (step.from === from) found = to;
  return found;
}

/** Paths that can differ between trees `from` and `to` when `to` was made from `from` by
 *  recorded steps; undefined when the record does not tell. */
export function changedSince(from: string, to: string): string[] | undefined {
  return madeFrom(to, (t) => t === from)?.changed;
}
