// Trees the bot made itself, and from what: a commit of its own clone writes the tree of
// its parent with a few files staged, so "these files are all that can differ between
// the two trees" is known without asking git. Whoever carries an answer from one tree to
// the next (file texts, a loaded config) asks here before running `git diff-tree`. A
// tree id names its content, so a step holds in every clone.

interface Step {
  from: string;
  /** A superset of the paths that differ: each file the step wrote, changed or not. */
  changed: readonly string[];
}

const steps = new Map<string, Step>();
const MAX_STEPS = 4096;
/** Chains longer than this are not followed: a diff of the two trees is cheaper then. */
const MAX_CHAIN = 64;

/** Records that tree `to` is tree `from` with only `changed` written. */
export function recordTreeStep(from: string, to: string, changed: readonly string[]): void {
  if (from === to) return;
  steps.delete(to);
  if (steps.size >= MAX_STEPS) steps.delete(steps.keys().next().value!);
  steps.set(to, { from, changed: [...changed] });
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

/** Paths that can differ between trees `from` and `to` when `to` was made from `from` by
 *  recorded steps; undefined when the record does not tell. */
export function changedSince(from: string, to: string): string[] | undefined {
  return madeFrom(to, (t) => t === from)?.changed;
}
