// A review was submitted on a bot PR. With `merge: on-approval` (or `auto`) and enough
// approvals, the bot merges it; a refusal (branch protection, conflicts) becomes a PR
// comment, never a crash.
import { loadConfig } from '../config/index.ts';
import { repoName } from '../forge/types.ts';
import type { BotDeps, ConfigRepo, Scope } from './types.ts';

export interface ReviewEvent {
  repo: ConfigRepo;
  number: number;
  headRef: string;
  reviewer: string;
}

export function appOfBranch(ref: string): string | null {
  const m = /^gitops-canary\/([^/]+)\/[^/]+$/.exec(ref);
  return m ? m[1] : null;
}

export async function handleApproval(deps: BotDeps, scope: Scope, ev: ReviewEvent): Promise<'merged' | 'waiting' | 'refused' | 'ignored'> {
  const app = appOfBranch(ev.headRef);
  if (!app) {
    scope.log.debug({ ref: ev.headRef }, 'review on a PR the bot did not open');
    return 'ignored';
  }
  // 1. The app's merge policy, from the config on the default branch.
  const config = await deps.workspaces.with(ev.repo, await scope.token(), async (ws) => {
    await ws.sync();
    return loadConfig(ws.dir)?.config.apps[app];
  });
  if (!config) {
    scope.log.warn({ app, pr: ev.number }, 'approved PR names an app that is not in the config');
    return 'ignored';
  }
  if (config.merge === 'manual') {
    scope.log.info({ app, pr: ev.number }, 'merge: manual; leaving the merge to people');
    return 'ignored';
  }
  // 2. Enough approvals?
  const approvers = await scope.forge.approvals(ev.repo.id, ev.number);
  if (approvers.length < config.approvals) {
    scope.log.info({ app, pr: ev.number, approvals: approvers.length, needed: config.approvals }, 'waiting for more approvals');
    return 'waiting';
  }
  // 3. Still open and mergeable at the head that was approved.
  const pr = await scope.forge.getPullRequest(ev.repo.id, ev.number);
  if (pr.state !== 'open' || pr.merged) return 'ignored';
  const outcome = await scope.forge.merge(ev.repo.id, ev.number, { method: config.mergeMethod, sha: pr.headSha });
  if (!outcome.merged) {
    await scope.forge.comment(ev.repo.id, ev.number, `:warning: gitops-canary could not merge this pull request: ${outcome.message}`);
    deps.notify({ kind: 'failed', app, error: `merge of ${pr.url} refused: ${outcome.message}`, repo: repoName(ev.repo.id), link: { url: pr.url, label: `#${pr.number}` } });
    return 'refused';
  }
  // 4. Tell people.
  deps.notify({ kind: 'merged', app, repo: repoName(ev.repo.id), link: { url: pr.url, label: `#${pr.number}` }, actor: approvers.join(', ') });
  return 'merged';
}
