import type { Context } from 'probot';
import { checkPullRequest } from '../bot/pr-check.ts';
import { appOfBranch } from '../bot/review.ts';
import type { Runtime } from './runtime.ts';

/** `pull_request` opened, synchronize, reopened: a person's change to watched files gets
 *  a `gitops-canary` check run on its head. */
export function onPullRequestHead(rt: Runtime) {
  return async (context: Context<'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened'>) => {
    const { pull_request: pr, repository } = context.payload;
    if (appOfBranch(pr.head.ref)) {
      // Delivery already reported its own analysis on the bot's PR.
      context.log.debug({ ref: pr.head.ref, pr: pr.number }, 'ignoring a PR the bot opened');
      return;
    }
    const scope = rt.scopeFor(context);
    if (scope.forge.name === 'local') {
      // a local config repo has no pull requests to fetch; `gitops-canary validate` is the check there
      context.log.info({ pr: pr.number }, 'ignoring a pull request event in local mode');
      return;
    }
    const repo = await scope.configRepoFor(repository);
    if (!repo) {
      context.log.debug({ repo: repository.full_name }, 'pull request in a repository that is not a config repo');
      return;
    }
    await checkPullRequest(rt.deps, scope, { repo, number: pr.number, base: pr.base.ref });
  };
}
