// Local mode's app sources: git repositories on this machine whose tags stand in for the
// releases of `owner/name` (an annotated tag is a release). The embedded example gets one
// for example/podinfo, tagged as the example config repo runs it, so the reconcile loop
// has something to read: tag it again and the next pass rolls the new tag out.
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GitRunner } from '../git/exec.ts';
import { acquireLock } from '../git/lock.ts';

export const EXAMPLE_SOURCE = 'example/podinfo';
const EXAMPLE_TAGS = ['v0.1.0', 'v0.2.0'];

/** Creates `<dir>/example/podinfo` when missing; leaves an existing one alone. Built aside
 *  and renamed into place, under a lock, so processes starting together seed it once and
 *  a start that dies midway leaves nothing half made. */
export async function ensureLocalSources(dir: string): Promise<{ created: boolean; repo: string }> {
  const repo = path.join(path.resolve(dir), ...EXAMPLE_SOURCE.split('/'));
  const present = () => stat(path.join(repo, '.git')).then(() => true, () => false);
  if (await present()) return { created: false, repo };
  await mkdir(path.dirname(repo), { recursive: true });
  const lock = await acquireLock(`${repo}.lock`, { what: 'gitops-canary seeding the local example source', timeoutMs: 120_000 });
  try {
    if (await present()) return { created: false, repo };
    const staged = `${repo}.new`;
    await rm(staged, { recursive: true, force: true });
    await mkdir(staged, { recursive: true });
    await writeFile(path.join(staged, 'README.md'), '# podinfo (local stand-in)\n\nTag a release here (`git tag -a v0.2.1 -m "v0.2.1"`) and the bot rolls it out on its next reconcile pass.\n');
    const git = new GitRunner({ cwd: staged, hermetic: true });
    await git.run(['init', '-q', '--initial-branch=main']);
    await git.run(['add', '-A']);
    await git.run(['commit', '-q', '-m', 'podinfo stand-in for local mode']);
    for (const tag of EXAMPLE_TAGS) await git.run(['tag', '-a', tag, '-m', `Release ${tag}`]);
    await rm(repo, { recursive: true, force: true });
    await rename(staged, repo);
    return { created: true, repo };
  } finally {
    await lock.release();
  }
}
