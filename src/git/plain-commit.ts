// In the user's checkout a change is committed with `git commit`, which runs their hooks,
// signs when they sign, and finishes a merge or cherry-pick in progress. Where none of that
// applies, the same commit is written by the plumbing the bot's clones use (write-tree,
// commit-tree, update-ref with the old HEAD): `git commit` first compares every file of the
// tree with the index, ~25 ms of a 10k-file checkout and most of its time. Anything
// unclear (a key the snapshot does not hold, a hooks directory of their own, a file that
// might be a hook) keeps `git commit`.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigSnapshot } from './config-snapshot.ts';

/** What `git commit` runs around a commit that the plumbing would not. */
const COMMIT_HOOKS = ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit'];
/** A merge, cherry-pick, revert or rebase in progress: `git commit` would record it. */
const IN_PROGRESS = ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'rebase-merge', 'rebase-apply', 'sequencer'];

/** Why `git commit` must make the commit in the checkout whose git directory is `gitDir`
 *  (config as the CLI read it at start), or undefined when the plumbing writes the same. */
export function gitCommitNeeded(gitDir: string, config: ConfigSnapshot | undefined): string | undefined {
  if (!config?.covers('core.hooksPath') || !config.covers('commit.gpgSign')) return 'config not read';
  if (config.get('core.hooksPath') !== null) return 'core.hooksPath is set';
  const sign = config.get('commit.gpgSign');
  if (sign !== null && !/^(false|no|off|0)$/i.test(sign.trim())) return 'commits are signed';
  const progress = IN_PROGRESS.find((f) => existsSync(path.join(gitDir, f)));
  if (progress) return `${progress} is there`;
  const hooks = path.join(commonDir(gitDir), 'hooks');
  const hook = COMMIT_HOOKS.find((h) => existsSync(path.join(hooks, h)));
  return hook ? `a ${hook} hook is there` : undefined;
}

/** The repository's shared git directory (a worktree's names it in `commondir`). */
function commonDir(gitDir: string): string {
  try {
    return path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    return gitDir;
  }
}
