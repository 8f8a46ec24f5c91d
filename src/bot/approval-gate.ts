// Before the bot merges its PR: whose approvals count (src/bot/approvals.ts decides).
// Permissions are looked up afresh for every review event, never cached, so a writer
// whose access was revoked stops counting at once. The answer is reported on the PR: a
// `gitops-canary/approvals` check run every time, and a comment when the review that
// triggered this did not count, so the reviewer learns why nothing happened.
import { BotError } from '../errors.ts';
import { repoName, type Permission, type PullRequest } from '../forge/types.ts';
import { approvalsCheck, countApprovals, ignoredComment, needsPermission, type Tally } from './approvals.ts';
import type { ConfigRepo, Scope } from './types.ts';

export async function tallyApprovals(scope: Scope, repo: ConfigRepo, pr: PullRequest, required: number, reviewer?: string): Promise<Tally> {
  const reviews = await scope.forge.reviews(repo.id, pr.number);
  const permissions = new Map<string, Permission>();
  for (const login of new Set(needsPermission(reviews))) permissions.set(login, await scope.forge.permission(repo.id, login));
  const tally = countApprovals(reviews, (login) => permissions.get(login), repoName(repo.id));
  scope.log.info({ pr: pr.number, required, counted: tally.counted, ignored: tally.ignored, withdrawn: tally.withdrawn }, 'approvals counted');
  try {
    await scope.forge.reportCheck(repo.id, pr.headSha, approvalsCheck(tally, required));
  } catch (err) {
    // The tally stands whether or not the check run could be posted.
    if (!(err instanceof BotError)) throw err;
    scope.log.warn({ repo: repoName(repo.id), sha: pr.headSha, err: err.message }, 'could not post the approvals check run');
  }
  const comment = reviewer ? ignoredComment(tally, reviewer, required) : null;
  if (comment) await scope.forge.comment(repo.id, pr.number, comment);
  return tally;
}
