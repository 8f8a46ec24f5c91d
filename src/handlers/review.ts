import type { Context } from 'probot';
import { appOfBranch, handleApproval, handleMergedByPerson } from '../bot/review.ts';
import type { Runtime } from './runtime.ts';

/** `pull_request_review` submitted: an approval may let the bot merge its PR. */
export function onReview(rt: Runtime) {
  return async (context: Context<'pull_request_review.submitted'>) => {
    const { review, pull_request, repository } = context.payload;
    if (review.state.toLowerCase() !== 'approved') {
      context.log.debug({ state: review.state, pr: pull_request.number }, 'ignoring a review that is not an approval');
      return;
    }
    if (!appOfBranch(pull_request.head.ref)) {
      context.log.debug({ ref: pull_request.head.ref, pr: pull_request.number }, 'ignoring an approval of a PR the bot did not open');
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

/** `pull_request` closed: a bot PR merged by a person is reported like one the bot merged. */
export function onPullRequestClosed(rt: Runtime) {
  return async (context: Context<'pull_request.closed'>) => {
    const { pull_request: pr, repository, sender } = context.payload;
    if (!pr.merged) {
      context.log.debug({ pr: pr.number }, 'ignoring a pull request closed without merging');
      return;
    }
    if (!appOfBranch(pr.head.ref)) {
      context.log.debug({ ref: pr.head.ref }, 'ignoring a merged PR the bot did not open');
      return;
    }
    if (sender.type === 'Bot') {
      // The bot's own merges were reported when it made them.
      context.log.debug({ pr: pr.number, user: sender.login }, 'ignoring a merge made by a bot');
      return;
    }
    const scope = rt.scopeFor(context);
    const repo = await scope.configRepoFor(repository);
    if (!repo) {
      context.log.info({ repo: repository.full_name }, 'merged PR in a repository that is not a config repo');
      return;
    }
    await handleMergedByPerson(rt.deps, scope, {
      repo,
      actor: sender.login,
      pr: { number: pr.number, url: pr.html_url, head: pr.head.ref, headSha: pr.head.sha, base: pr.base.ref, title: pr.title, body: pr.body ?? '', state: 'closed', merged: true },
    });
  };
}
