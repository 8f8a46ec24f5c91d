import type { Context } from 'probot';
import { handleComment } from '../bot/commands.ts';
import type { Runtime } from './runtime.ts';

/** `issue_comment` created: `/canary …` on a bot PR or an issue in the config repo. */
export function onComment(rt: Runtime) {
  return async (context: Context<'issue_comment.created'>) => {
    const { comment, issue, repository, sender } = context.payload;
    if (sender.type === 'Bot') {
      context.log.debug({ user: sender.login }, 'ignoring a comment by a bot');
      return;
    }
    if (!/^\s*\/canary(\s|$)/m.test(comment.body)) {
      context.log.debug({ issue: issue.number }, 'ignoring a comment without a /canary command');
      return;
    }
    const scope = rt.scopeFor(context);
    const repo = await scope.configRepoFor(repository);
    if (!repo) {
      context.log.info({ repo: repository.full_name }, '/canary command in a repository that is not a config repo');
      return;
    }
    await handleComment(rt.deps, scope, { repo, issue: issue.number, user: sender.login, body: comment.body });
  };
}
