// Older versions made the local config repo a checkout that took pushes into its
// checked-out branch (receive.denyCurrentBranch=updateInstead). A push that lost the ref
// race there had already rewritten the index and files, and every later push was then
// refused. Such a repo becomes bare: its whole history is copied into a new bare repo at
// the same path, and the old checkout moves beside it, as an ordinary clone of it.
import { rename, stat } from 'node:fs/promises';
import { GitRunner } from '../git/exec.ts';
import { bareCopyOf } from '../git/init.ts';

export interface SeedLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface Migrated {
  /** Where the old checkout is now: a clone of the bare repo. */
  workTree: string;
  /** Tracked files that differ from the checkout's HEAD there (left as they are). */
  dirty: string[];
}

/** Until the caller passes its logger, migration notes go to stderr: never silent. */
export const stderrLog: SeedLog = {
  info: (_obj, msg) => void process.stderr.write(`gitops-canary: ${msg}\n`),
  warn: (_obj, msg) => void process.stderr.write(`gitops-canary: warning: ${msg}\n`),
};

const KEY = 'gitops-canary.oldWorkTree';

async function freeName(base: string): Promise<string> {
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    if (!(await stat(name).then(() => true, () => false))) return name;
  }
}

/** Copies the history of the checkout at `dir` into a bare repo, and swaps the two: the
 *  bare repo ends at `dir`, the checkout at `<dir>-checkout`. The bare repo remembers the
 *  checkout until finishMigration has made it a clone, so a stop in between is resumed. */
export async function migrateWorkTree(dir: string, staged: string): Promise<void> {
  const workTree = await freeName(`${dir}-checkout`);
  await bareCopyOf(dir, staged);
  await new GitRunner({ cwd: staged, hermetic: true }).run(['config', KEY, workTree]);
  await rename(dir, workTree);
  await rename(staged, dir);
}

/** Turns the moved checkout into a clone of the bare repo at `dir`, if a migration left
 *  one to do. Its files and index stay exactly as they were. */
export async function finishMigration(dir: string, log: SeedLog): Promise<Migrated | undefined> {
  const bare = new GitRunner({ cwd: dir, hermetic: true });
  const r = await bare.run(['config', '--get', KEY], { ok: [0, 1] });
  const workTree = r.stdout.trim();
  if (r.code !== 0 || !workTree) return undefined;
  let dirty: string[] = [];
  if (await stat(workTree).then(() => true, () => false)) {
    const wt = new GitRunner({ cwd: workTree, hermetic: true });
    await wt.run(['config', '--unset-all', 'receive.denyCurrentBranch'], { ok: [0, 5] });
    const remote = await remoteFor(wt, dir);
    await wt.run(['fetch', '-q', remote]);
    const branch = await wt.run(['symbolic-ref', '-q', '--short', 'HEAD'], { ok: [0, 1] });
    const b = branch.stdout.trim();
    if (branch.code === 0 && (await wt.run(['rev-parse', '-q', '--verify', `refs/remotes/${remote}/${b}`], { ok: [0, 1] })).code === 0) {
      await wt.run(['branch', '-q', `--set-upstream-to=${remote}/${b}`, b]);
    }
    const status = await wt.run(['status', '--porcelain=v1', '-z', '--untracked-files=no']);
    dirty = status.stdout.split('\0').filter((e) => e.length > 3).map((e) => e.slice(3));
  }
  await bare.run(['config', '--unset', KEY]);
  await bare.run(['config', 'gitops-canary.oldWorkTreeMovedTo', workTree]);
  log.info(
    { repo: dir, workTree },
    `the local config repo ${dir} is now a bare repository with all of its history; the old checkout moved to ${workTree} and is a clone of it (git -C ${workTree} pull)`,
  );
  if (dirty.length) {
    log.warn(
      { workTree, dirty },
      `${workTree} has uncommitted changes in ${dirty.join(', ')} (an older version may have left them after a lost push); they are not in the config repo. Look with git -C ${workTree} diff HEAD; drop them with git -C ${workTree} reset --hard @{upstream}`,
    );
  }
  return { workTree, dirty };
}

async function remoteFor(wt: GitRunner, url: string): Promise<string> {
  for (const name of ['origin', 'config-repo']) {
    const r = await wt.run(['config', '--get', `remote.${name}.url`], { ok: [0, 1] });
    if (r.code !== 0) {
      await wt.run(['remote', 'add', name, url]);
      return name;
    }
    if (r.stdout.trim() === url) return name;
  }
  const name = `config-repo-${Date.now()}`;
  await wt.run(['remote', 'add', name, url]);
  return name;
}
