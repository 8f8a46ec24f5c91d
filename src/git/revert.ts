// Rollback is `git revert`: git restores the exact previous blobs, so CRLF files and
// files without a final newline come back byte for byte, which no re-rendering would.
import { GitError } from '../errors.ts';
import type { Trailers } from '../plan.ts';
import { formatMessage } from './trailers.ts';
import type { Workspace } from './workspace.ts';

export async function revertCommit(
  ws: Workspace,
  sha: string,
  opts: { trailers: Trailers; subject?: string; body?: string },
): Promise<string | null> {
  const full = await ws.resolve(sha);
  if (!full) throw new GitError('GIT_BAD_REF', `cannot revert ${sha}: no such commit`);
  const { stdout } = await ws.runner.run(['log', '-1', '--format=%P%x00%s', full]);
  const [parents, origSubject = ''] = stdout.replace(/\n$/, '').split('\0');
  // a merged PR: undo what the merge brought into the mainline
  const mainline = parents.trim().split(' ').length > 1 ? ['-m', '1'] : [];

  const r = await ws.runner.tryRun(['revert', '--no-edit', '--no-commit', ...mainline, full]);
  if (r.code !== 0) {
    const conflicted = (await ws.runner.run(['diff', '--name-only', '-z', '--diff-filter=U'])).stdout.split('\0').filter(Boolean);
    await ws.runner.tryRun(['revert', '--abort']);
    // --abort can leave the index touched when there was no sequencer state
    await ws.runner.run(['reset', '-q', '--hard', 'HEAD']);
    const short = full.slice(0, 12);
    if (conflicted.length) {
      throw new GitError(
        'GIT_REVERT_CONFLICT',
        `cannot revert ${short} "${origSubject}": later commits changed the same lines in ${conflicted.join(', ')}`,
        { file: conflicted[0] },
      );
    }
    throw ws.runner.toError(new Error(r.stderr || r.stdout), ['revert', full], { code: 'GIT_REVERT_FAILED', what: `git revert ${short}` });
  }

  const staged = (await ws.runner.run(['diff', '--cached', '--name-only', '-z'])).stdout.split('\0').filter(Boolean);
  if (staged.length === 0) {
    await ws.runner.tryRun(['revert', '--quit']);
    return null;
  }
  const message = formatMessage({
    subject: opts.subject ?? `Revert "${origSubject}"`,
    body: opts.body ?? `This reverts commit ${full}.`,
    trailers: { ...opts.trailers, Reverts: full },
  });
  const result = await ws.commitMessage(message);
  // git leaves sequencer state behind after `--no-commit`; clear it so the next revert starts clean
  await ws.runner.tryRun(['revert', '--quit']);
  return result;
}
