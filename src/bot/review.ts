// A review was submitted on a bot PR. With `merge: on-approval` (or `auto`) and enough
// approvals, the bot merges it; a refusal (branch protection, conflicts) becomes a PR
// comment, never a crash.
import type { AppConfig } from '../config/index.ts';
import { loadConfig } from '../config/index.ts';
import type { PullRequest } from '../forge/types.ts';
import { repoName } from '../forge/types.ts';
import { formatMessage, TRAILER_PREFIX } from '../git/trailers.ts';
import { commitParts } from '../jobs/render.ts';
import type { Trailers } from '../plan.ts';
import { tallyApprovals } from './approval-gate.ts';
import type { Delivered } from './deliver.ts';
import { reportMerged } from './report.ts';
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

export type MergeResult = 'merged' | 'waiting' | 'refused' | 'ignored';

interface Head {
  message: string;
  trailers: Trailers;
}

function weightsOf(s: string | undefined): { stable: number; canary: number } | undefined {
  const m = s ? /stable=(\d+),canary=(\d+)/.exec(s) : null;
  return m ? { stable: Number(m[1]), canary: Number(m[2]) } : undefined;
}

/** The app's config and the PR's head commit, read from the config repo. */
async function lookup(deps: BotDeps, scope: Scope, repo: ConfigRepo, app: string, pr: PullRequest): Promise<{ config?: AppConfig; head?: Head }> {
  return deps.workspaces.with(repo, await scope.token(), async (ws) => {
    await ws.sync();
    const config = loadConfig(ws.dir)?.config.apps[app];
    const [entry] = (await ws.resolve(pr.headSha)) ? await ws.log({ ref: pr.headSha, max: 1 }) : [];
    return { config, head: entry && { message: entry.message, trailers: entry.trailers } };
  });
}

function mergeMessage(method: AppConfig['mergeMethod'], head: Head | undefined, approvers: string[]): string | undefined {
  if (method === 'rebase') return undefined;
  const approved = approvers.length ? `${TRAILER_PREFIX}Approved-By: ${approvers.join(', ')}` : undefined;
  if (method === 'merge') return approved;
  const body = head ? head.message.split('\n').slice(1).join('\n').trim() : '';
  // The trailers close the body, so the approvers join that last paragraph.
  return [body, approved].filter(Boolean).join('\n') || undefined;
}

/** Merges a bot PR when the app's policy allows it now; used on approvals and, for
 *  `merge: auto`, right after the PR is opened. `reviewer`: whose review event this is,
 *  told on the PR when their approval does not count. */
export async function mergeIfAllowed(deps: BotDeps, scope: Scope, repo: ConfigRepo, app: string, config: AppConfig, pr: PullRequest, head?: Head, reviewer?: string): Promise<MergeResult> {
  const log = { app, pr: pr.number, repo: repoName(repo.id) };
  if (config.merge === 'manual') {
    scope.log.info(log, 'merge: manual; leaving the merge to people');
    return 'ignored';
  }
  if (pr.state !== 'open' || pr.merged) {
    scope.log.info(log, 'pull request is no longer open; nothing to merge');
    return 'ignored';
  }
  // 1. Enough approvals from people who may change the config repo? (`auto` with
  //    approvals: 0 merges without any.)
  const approvers = config.approvals > 0 ? (await tallyApprovals(scope, repo, pr, config.approvals, reviewer)).counted : [];
  if (approvers.length < config.approvals) {
    scope.log.info({ ...log, approvals: approvers.length, needed: config.approvals }, 'waiting for more approvals');
    return 'waiting';
  }
  // 2. Merge exactly the head that was approved; squash keeps the bot's trailers, and the
  //    merge records who approved, so git history alone tells who let each change in.
  const message = mergeMessage(config.mergeMethod, head, approvers);
  const outcome = await scope.forge.merge(repo.id, pr.number, {
    method: config.mergeMethod,
    sha: pr.headSha,
    ...(message ? { message, ...(config.mergeMethod === 'squash' ? { title: `${pr.title} (#${pr.number})` } : {}) } : {}),
  });
  if (!outcome.merged) {
    scope.log.warn({ ...log, reason: outcome.message }, 'merge refused');
    await scope.forge.comment(repo.id, pr.number, `:warning: gitops-canary could not merge this pull request: ${outcome.message}\n\nMerge it yourself once that is resolved, or approve again to let the bot retry.`);
    deps.notify({ kind: 'failed', app, error: `merge of #${pr.number} refused: ${outcome.message}`, repo: repoName(repo.id), link: { url: pr.url, label: `#${pr.number}` } }, config.notify);
    return 'refused';
  }
  // 3. Tell people, and the app repo.
  scope.log.info({ ...log, sha: outcome.sha }, 'merged');
  notifyMerged(deps, repo, app, config, pr, head?.trailers ?? {}, approvers.join(', ') || undefined);
  if (head) await reportMerged(scope, head.trailers, pr);
  return 'merged';
}

export function notifyMerged(deps: BotDeps, repo: ConfigRepo, app: string, config: AppConfig | undefined, pr: PullRequest | { url: string; number: number }, t: Trailers, actor?: string): void {
  deps.notify(
    {
      kind: 'merged',
      app,
      track: t.Track,
      tag: t.Tag,
      oldTag: t['Old-Tag'],
      weights: weightsOf(t.Weights),
      oldWeights: weightsOf(t['Old-Weights']),
      repo: repoName(repo.id),
      link: { url: pr.url, label: `#${pr.number}` },
      actor,
    },
    config?.notify,
  );
}

export async function handleApproval(deps: BotDeps, scope: Scope, ev: ReviewEvent): Promise<MergeResult> {
  const app = appOfBranch(ev.headRef);
  if (!app) {
    scope.log.info({ ref: ev.headRef, pr: ev.number }, 'approval on a PR the bot did not open; ignoring');
    return 'ignored';
  }
  const pr = await scope.forge.getPullRequest(ev.repo.id, ev.number);
  // The app's merge policy, from the config on the default branch (not the PR's copy).
  const { config, head } = await lookup(deps, scope, ev.repo, app, pr);
  if (!config) {
    scope.log.warn({ app, pr: ev.number }, 'approved PR names an app that is not in the config; ignoring');
    return 'ignored';
  }
  return mergeIfAllowed(deps, scope, ev.repo, app, config, pr, head, ev.reviewer);
}

/** `merge: auto`: a PR the bot just opened or updated is merged right away (once its
 *  approvals, if any are required, are in). Runs outside the workspace lock. */
export async function autoMerge(deps: BotDeps, scope: Scope, repo: ConfigRepo, app: string, config: AppConfig, result: Delivered): Promise<MergeResult> {
  if (config.merge !== 'auto' || result.status !== 'pull-request' || !result.pr) return 'ignored';
  const { plan } = result;
  const message = formatMessage({ ...commitParts(plan, config.commitMessage), trailers: plan.trailers });
  const pr = await scope.forge.getPullRequest(repo.id, result.pr.number);
  return mergeIfAllowed(deps, scope, repo, app, config, pr, { message, trailers: plan.trailers });
}

/** A bot PR was merged by a person: report it like a merge by the bot. */
export async function handleMergedByPerson(deps: BotDeps, scope: Scope, ev: { repo: ConfigRepo; pr: PullRequest; actor: string }): Promise<void> {
  const app = appOfBranch(ev.pr.head);
  if (!app) return;
  const { config, head } = await lookup(deps, scope, ev.repo, app, ev.pr);
  notifyMerged(deps, ev.repo, app, config, ev.pr, head?.trailers ?? {}, ev.actor);
  if (head) await reportMerged(scope, head.trailers, ev.pr);
}
