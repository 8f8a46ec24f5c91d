// A clean check begun before the checkout's lock is taken, so that git compares every
// tracked file while the CLI opens the checkout and compiles the command's code, instead
// of after. What it found counts only if nothing of ours can have changed the checkout
// since it began, which Workspace.checkCleanSoon judges once the lock is held: the lock
// was free at the first try (a run holding it now would have had it while git looked),
// and the index file is as it was before git began. Every run of ours that changes the
// checkout rewrites the index (it stages what it commits; a failed one resets what it
// staged) before it lets the lock go, and one that died holding it leaves the lock behind.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_ARGS, OPEN_ARGS } from './first-questions.ts';
import { indexStamp, type IndexStamp } from './index-stamp.ts';
import { spawnGit, type SpawnResult } from './spawn.ts';
import { parseStatusV2, statusArgs } from './status-v2.ts';

export interface EarlyStatus {
  /** The git directory it was found in (real path), which git must confirm. */
  gitDir: string;
  /** The index file before git began. */
  before: IndexStamp;
  /** What git found, and the index file as git left it; undefined when git failed. */
  found: Promise<(ReturnType<typeof parseStatusV2> & { index?: IndexStamp }) | undefined>;
}

/** The git directory git will find from `dir`: the nearest `.git` above it, a directory
 *  or a `gitdir:` file (a worktree's, a submodule's). A guess that git's own answer
 *  (`rev-parse --absolute-git-dir`) confirms or not; undefined where there is none. */
export function guessGitDir(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const dotGit = path.join(d, '.git');
    const s = statSync(dotGit, { throwIfNoEntry: false });
    if (s?.isDirectory()) return realpathSync.native(dotGit);
    if (s?.isFile()) {
      const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
      return m ? realpathSync.native(path.resolve(d, m[1].trim())) : undefined;
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** Starts `git status` in `dir` (the checkout's clean check), run as the person's checkout
 *  runs git (their config); undefined where the index cannot be found. */
export function beginEarlyStatus(dir: string): EarlyStatus | undefined {
  let gitDir: string | undefined;
  try {
    gitDir = guessGitDir(dir);
  } catch {
    return undefined;
  }
  const before = indexStamp(gitDir);
  if (!gitDir || !before) return undefined;
  // Git refreshes the index as it compares when it can take the index's lock, and writes
  // it when an entry is as new as the index file itself (the files of the last commit, as
  // a rule): the rewrite would look like someone else's. Not asked to, it compares those
  // few files' bytes and writes nothing.
  const found = spawnGit({ cwd: path.resolve(dir), userConfig: true }, ['--no-optional-locks', ...statusArgs(false)]).then(
    (r) => (r.code === 0 ? { ...parseStatusV2(r.stdout), index: indexStamp(gitDir) } : undefined),
    () => undefined,
  );
  return { gitDir, before, found };
}

/** What a run that commits asks git first, begun together before the CLI loads: the
 *  clean check, and the two questions of first-questions.ts. Those two are what the
 *  checkout's opening asks before it takes the lock in any case (config keys, HEAD seen
 *  as of then, which the clean check later confirms): asked 100-150 ms sooner, they
 *  answer while the code compiles instead of one after the other once it has. */
export interface EarlyCheckout {
  /** The checkout's directory, resolved: the answers hold for it alone. */
  dir: string;
  status: EarlyStatus;
  /** `git config` of the snapshot's keys (CONFIG_ARGS); undefined when git could not start. */
  config: Promise<SpawnResult | undefined>;
  /** `git rev-parse` of OPEN_ARGS; undefined when git could not start. */
  opened: Promise<SpawnResult | undefined>;
}

/** Begins the clean check and the first questions in `dir`; undefined where there is no
 *  index to check (git is asked nothing then). */
export function beginEarlyCheckout(dir: string): EarlyCheckout | undefined {
  const status = beginEarlyStatus(dir);
  if (!status) return undefined;
  const cwd = path.resolve(dir);
  const ask = (args: readonly string[]) => spawnGit({ cwd, userConfig: true }, [...args]).catch(() => undefined);
  return { dir: cwd, status, config: ask(CONFIG_ARGS), opened: ask(OPEN_ARGS) };
}
