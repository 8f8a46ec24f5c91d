// Creating a repository from a directory of files (local mode's seeded config repo).
import { GitRunner } from './exec.ts';

export async function initRepository(dir: string, opts: { message: string; branch?: string; acceptPushes?: boolean }): Promise<string> {
  const git = new GitRunner({ cwd: dir, hermetic: true });
  await git.run(['init', '-q', `--initial-branch=${opts.branch ?? 'main'}`]);
  await git.run(['config', 'core.autocrlf', 'false']);
  // The bot's working copy pushes here; updateInstead keeps this checkout in step.
  if (opts.acceptPushes) await git.run(['config', 'receive.denyCurrentBranch', 'updateInstead']);
  await git.run(['add', '-A']);
  await git.run(['commit', '-q', '-m', opts.message]);
  return (await git.run(['rev-parse', 'HEAD'])).stdout.trim();
}
