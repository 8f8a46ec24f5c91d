// Local mode: a config repo on this machine, seeded with the podinfo example. It is a
// bare repository: the bot's clones push to it as to any remote, git moves its branch
// atomically (a losing push is rejected and re-planned, never half applied), and there
// is no work tree that could fall out of step with HEAD. People look at it with
// `git -C <dir> log -p` or a clone of their own.
import { chmod, cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.ts';
import { GitRunner } from '../git/exec.ts';
import { bareCopyOf, initRepository } from '../git/init.ts';
import { acquireLock } from '../git/lock.ts';
import { finishMigration, migrateWorkTree, stderrLog, type Migrated, type SeedLog } from './migrate.ts';

export const EXAMPLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/local-config-repo');

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** A bare repository with at least one commit (a staged one is complete only then). */
async function isBareRepo(dir: string): Promise<boolean> {
  if (!(await exists(path.join(dir, 'HEAD'))) || (await exists(path.join(dir, '.git')))) return false;
  const r = await new GitRunner({ cwd: dir, hermetic: true }).run(['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { ok: [0, 1, 128] });
  return r.code === 0;
}

type Layout = 'missing' | 'bare' | 'work-tree' | 'other';

async function layout(dir: string): Promise<Layout> {
  const entries = await readdir(dir).catch(() => null);
  if (entries === null || entries.length === 0) return 'missing';
  if (entries.includes('.git')) return 'work-tree';
  return (await isBareRepo(dir)) ? 'bare' : 'other';
}

async function seed(dir: string, staged: string): Promise<void> {
  const work = `${dir}.seed`;
  await rm(work, { recursive: true, force: true });
  await cp(EXAMPLE_DIR, work, { recursive: true });
  // cp keeps modes: from a read-only installation (chmod a-w, a Nix store) the copy would be
  // read-only too, and git could not write its .git into it
  for (const rel of ['', ...(await readdir(work, { recursive: true }))]) {
    const p = path.join(work, rel);
    await chmod(p, (await stat(p)).mode | 0o200);
  }
  await initRepository(work, { message: 'Seed the podinfo example config repo' });
  await bareCopyOf(work, staged);
  await rm(work, { recursive: true, force: true });
  // whole or not at all: a start that stops halfway leaves no half repo at `dir`
  await rename(staged, dir);
}

/** Creates the local config repo when it is missing, converts one made by older versions
 *  (a checkout that took pushes with updateInstead) into a bare repo, and leaves a bare
 *  one alone. Processes starting together take turns (a lock file beside `dir`). */
export async function ensureLocalConfigRepo(dir: string, opts: { log?: SeedLog } = {}): Promise<{ created: boolean; migrated?: Migrated }> {
  const log = opts.log ?? stderrLog;
  dir = path.resolve(dir);
  await mkdir(path.dirname(dir), { recursive: true });
  const lock = await acquireLock(`${dir}.lock`, { what: 'gitops-canary preparing the local config repo', timeoutMs: 120_000 });
  try {
    const staged = `${dir}.new`;
    // moved aside by a start that stopped before moving the new repo into place
    if (!(await exists(dir)) && (await isBareRepo(staged))) await rename(staged, dir);
    await rm(staged, { recursive: true, force: true });
    let created = false;
    const found = await layout(dir);
    if (found === 'missing') {
      await seed(dir, staged);
      created = true;
    } else if (found === 'work-tree') {
      await migrateWorkTree(dir, staged);
    } else if (found === 'other') {
      throw new ConfigError('LOCAL_CONFIG_REPO_NOT_GIT', `${dir} is neither a git repository nor empty; point LOCAL_CONFIG_REPO at a repository or at a path that does not exist yet`, { field: 'LOCAL_CONFIG_REPO' });
    }
    const migrated = await finishMigration(dir, log);
    return migrated ? { created, migrated } : { created };
  } finally {
    await lock.release();
  }
}
