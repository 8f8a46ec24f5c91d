import type { Context } from 'probot';
import { handleApproval } from '../bot/review.ts';
import type { Runtime } from './runtime.ts';

/** `pull_request_review` submitted: an approval may let the bot merge its PR. */
export function onReview(rt: Runtime) {
  return async (context: Context<'pull_request_review.submitted'>) => {
    const { review, pull_request, repository } = context.payload;
    if (review.state.toLowerCase() !== 'approved') {
      context.log.debug({ state: review.state, pr: pull_request.number }, 'ignoring a review that is not an approval');
      return;
    }
    const scope = rt.scopeFor(context);
    const repo = await scope.configRepoFor(repository);
    if (!repo) {
      context.log.info({ repo: repository.full_name }, 'review in a repository that is not a config repo');
      return;
    }
    await handleApproval(rt.deps, scope, { repo, number: pull_request.number, headRef: pull_request.head.ref, reviewer: review.user?.login ?? 'unknown' });
  };
}
