// Tags of a repository on this machine, for local mode's app sources: each tag is a
// candidate release; an annotated tag's message stands in for the release notes, and a
// `Prerelease: true` line in it marks a prerelease, as GitHub's checkbox would.
import { stat } from 'node:fs/promises';
import { GitRunner } from './exec.ts';

export interface RepoTag {
  name: string;
  /** Annotated (a tag object with a message), as `git tag -a` makes. */
  annotated: boolean;
  prerelease: boolean;
}

/** The tags of the repository at `dir` (bare or not), newest first; null when there is
 *  no repository there. */
export async function listTags(dir: string): Promise<RepoTag[] | null> {
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) return null;
  const runner = new GitRunner({ cwd: dir, hermetic: true });
  const probe = await runner.run(['rev-parse', '--git-dir'], { ok: [0, 128] });
  if (probe.code !== 0) return null;
  // %01 closes each record: a tag message may hold anything but a control character
  const { stdout } = await runner.run(['for-each-ref', '--sort=-creatordate', '--format=%(refname:strip=2)%00%(objecttype)%00%(contents)%01', 'refs/tags']);
  const out: RepoTag[] = [];
  for (const record of stdout.split('\x01')) {
    const [name, type, message = ''] = record.replace(/^\n/, '').split('\0');
    if (!name) continue;
    out.push({ name, annotated: type === 'tag', prerelease: /^prerelease:\s*true\s*$/im.test(message) });
  }
  return out;
}
