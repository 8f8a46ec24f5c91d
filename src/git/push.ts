// Pushing, with `--porcelain` so the outcome per ref is read from a stable format rather
// than from (possibly translated) human messages.
import { GitError } from '../errors.ts';
import { countPush } from '../metrics/record.ts';
import type { GitRunner } from './exec.ts';

export const BOT_BRANCH_PREFIX = 'gitops-canary/';

export function isBotBranch(branch: string): boolean {
  return branch.startsWith(BOT_BRANCH_PREFIX) && branch.length > BOT_BRANCH_PREFIX.length && !branch.includes('..');
}

// Remote-side ref update races (GitHub answers a concurrent push this way sometimes)
// are as retryable as a plain non-fast-forward.
const RACE_RE = /cannot lock ref|failed to update ref|incorrect old value|reference already exists|stale info/i;

export async function pushBranch(runner: GitRunner, remote: string, src: string, dst: string, force: boolean): Promise<void> {
  const shortDst = dst.replace(/^refs\/heads\//, '');
  const args = ['push', '--porcelain', ...(force ? ['--force'] : []), remote, `${src}:${dst}`];
  const r = await runner.tryRun(args);
  const line = r.stdout.split('\n').find((l) => l.startsWith('!\t'));
  if (r.code === 0 && !line) return countPush('ok');
  if (line) {
    // `!\t<src>:<dst>\t[rejected] (non-fast-forward)` or `[remote rejected] (reason)`
    const summary = line.split('\t')[2] ?? '';
    const reason = /\(([^)]*)\)\s*$/.exec(summary)?.[1] ?? summary;
    if (summary.startsWith('[rejected]') || RACE_RE.test(reason)) {
      countPush('rejected');
      throw new GitError('GIT_PUSH_REJECTED', runner.redact(`git push to ${remote} ${shortDst} rejected (${reason || 'non-fast-forward'})`), {}, { transient: true });
    }
    if (summary.startsWith('[remote rejected]')) {
      // protected branches, required reviews, pre-receive hooks: retrying will not help
      countPush('denied');
      throw new GitError('GIT_PUSH_DENIED', runner.redact(`git push to ${remote} ${shortDst} denied by the remote (${reason})${hint(r.stderr)}`));
    }
  }
  countPush('failed');
  throw runner.toError(new Error(r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`), args, {
    code: 'GIT_PUSH_FAILED',
    what: `git push to ${remote} ${shortDst}`,
  });
}

function hint(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^remote:\s*/, '').trim())
    .filter((l) => l && !/^(to |error: failed to push)/i.test(l));
  return lines.length ? `: ${lines.slice(0, 3).join('; ')}` : '';
}
