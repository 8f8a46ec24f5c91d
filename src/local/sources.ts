// Local mode's app sources: git repositories on this machine whose tags stand in for the
// releases of `owner/name` (an annotated tag is a release). The embedded example gets one
// for example/podinfo, tagged as the example config repo runs it, so the reconcile loop
// has something to read: tag it again and the next pass rolls the new tag out.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GitRunner } from '../git/exec.ts';

export const EXAMPLE_SOURCE = 'example/podinfo';
const EXAMPLE_TAGS = ['v0.1.0', 'v0.2.0'];

/** Creates `<dir>/example/podinfo` when missing; leaves an existing one alone. */
export async function ensureLocalSources(dir: string): Promise<{ created: boolean; repo: string }> {
  const repo = path.join(dir, ...EXAMPLE_SOURCE.split('/'));
  if (await stat(path.join(repo, '.git')).then(() => true, () => false)) return { created: false, repo };
  await mkdir(repo, { recursive: true });
  await writeFile(path.join(repo, 'README.md'), '# podinfo (local stand-in)\n\nTag a release here (`git tag -a v0.2.1 -m "v0.2.1"`) and the bot rolls it out on its next reconcile pass.\n');
  const git = new GitRunner({ cwd: repo, hermetic: true });
  await git.run(['init', '-q', '--initial-branch=main']);
  await git.run(['add', '-A']);
  await git.run(['commit', '-q', '-m', 'podinfo stand-in for local mode']);
  for (const tag of EXAMPLE_TAGS) await git.run(['tag', '-a', tag, '-m', `Release ${tag}`]);
  return { created: true, repo };
}
