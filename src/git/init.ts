// Creating repositories from a directory of files (local mode's seeded config repo).
import { GitRunner } from './exec.ts';

export async function initRepository(dir: string, opts: { message: string; branch?: string }): Promise<string> {
  const git = new GitRunner({ cwd: dir, hermetic: true });
  await git.run(['init', '-q', `--initial-branch=${opts.branch ?? 'main'}`]);
  await git.run(['config', 'core.autocrlf', 'false']);
  await git.run(['add', '-A']);
  await git.run(['commit', '-q', '-m', opts.message]);
  return (await git.run(['rev-parse', 'HEAD'])).stdout.trim();
}

/** A bare repository at `dir` (which must not exist yet) holding the history of the
 *  repository at `from`: every branch and tag. */
export async function bareCopyOf(from: string, dir: string): Promise<void> {
  const git = new GitRunner({ cwd: from, hermetic: true });
  await git.run(['clone', '-q', '--mirror', '--no-hardlinks', '--', from, dir], { code: 'GIT_CLONE_FAILED' });
  const bare = new GitRunner({ cwd: dir, hermetic: true });
  // a mirror remembers where it came from; this one is a remote of its own now (the
  // section only: `remote remove` would also prune the refs its refspec names, all of them)
  await bare.run(['config', '--remove-section', 'remote.origin']);
  await bare.run(['config', 'core.logAllRefUpdates', 'true']);
  // a detached HEAD there would leave the bot no default branch to work on
  if ((await bare.run(['symbolic-ref', '-q', 'HEAD'], { ok: [0, 1] })).code !== 0) {
    const main = await bare.run(['rev-parse', '-q', '--verify', 'refs/heads/main'], { ok: [0, 1] });
    if (main.code === 0) await bare.run(['symbolic-ref', 'HEAD', 'refs/heads/main']);
  }
}
