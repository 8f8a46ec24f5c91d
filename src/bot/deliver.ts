// Delivery: a prepared plan becomes a commit on the target branch, or a push to the
// bot's own branch plus one pull request per app and track.
import type { AppConfig } from '../config/index.ts';
import { BotError, GitError } from '../errors.ts';
import { repoName, type PullRequest } from '../forge/types.ts';
import type { Workspace } from '../git/workspace.ts';
import type { Result } from '../plan.ts';
import { deriveWrittenFacts } from '../jobs/images.ts';
import { commitPlan, workspaceFiles, type Prepare } from '../jobs/run.ts';
import { checkOutput, commitParts, planText, prBody } from '../jobs/render.ts';
import type { Plan } from '../plan.ts';
import type { ConfigRepo, Scope } from './types.ts';
import { analyzed, analysisMode } from '../analysis/gate.ts';
import { countChange } from '../metrics/record.ts';

export interface DeliveryTarget {
  repo: ConfigRepo;
  app: string;
  /** Names the PR branch: `gitops-canary/<app>/<lane>` (a track, or `traffic`). */
  lane: string;
  config: AppConfig;
}

/** `error` is set when the change could not be made (the plan is then a placeholder). */
export type Delivered = Result & { pr?: PullRequest; created?: boolean; error?: string };

export function botBranch(app: string, lane: string): string {
  return `gitops-canary/${app}/${lane}`;
}

/** `synced`: the caller has just synced the working copy to the default branch and made
 *  no commit since, so a commit delivery may plan on it as it is instead of fetching and
 *  resetting once more (that second sync was a third of the webhook-to-push time). */
export type DeliveryScope = Pick<Scope, 'forge' | 'log'>;

export async function deliver(ws: Workspace, scope: DeliveryScope, target: DeliveryTarget, planned: Prepare, opts: { synced?: boolean } = {}): Promise<Delivered> {
  // every delivery path below plans through this: an analysis error stops it before a write
  const prepare = analyzed(planned, analysisMode(target.config), { repoChecks: true });
  let delivered: Delivered;
  if (target.config.delivery !== 'commit') delivered = await deliverPullRequest(ws, scope, target, prepare);
  else if (opts.synced && !target.config.branch) delivered = await commitOnSynced(ws, prepare, target.config.commitMessage);
  else delivered = await commitPlan(ws, prepare, { branch: target.config.branch, template: target.config.commitMessage, beside: deriveWrittenFacts });
  countChange(delivered, target.app, target.lane);
  return delivered;
}

async function commitOnSynced(ws: Workspace, prepare: Prepare, template: string | undefined): Promise<Result> {
  const { plan, writes } = await prepare(workspaceFiles(ws, undefined, { writing: true }));
  if (writes.size === 0) return { plan, status: 'unchanged', message: `${planText(plan)}\nnothing needed changing` };
  await ws.writeFiles(writes);
  return besideWrittenFacts(async () => {
    const sha = await ws.commit({ ...commitParts(plan, template), trailers: plan.trailers, files: [...writes.keys()] });
    if (!sha) return { plan, status: 'unchanged', message: `${planText(plan)}\nnothing needed changing` };
    try {
      await ws.pushCurrent();
    } catch (err) {
      // Someone pushed meanwhile: the full loop resets to their head and plans again.
      if (err instanceof GitError && err.code === 'GIT_PUSH_REJECTED') return commitPlan(ws, prepare, { template, beside: deriveWrittenFacts });
      await ws.sync().catch(() => undefined);
      throw err;
    }
    return { plan, status: 'committed', commit: sha, message: `${planText(plan)}\ncommitted ${sha.slice(0, 12)}` };
  });
}

/** Runs `work` (a change's commit, push and forge calls, begun once its files are
 *  written) while what the next plan needs of the texts written is derived beside it
 *  (deriveWrittenFacts; commitPlan does the same through its `beside`). */
async function besideWrittenFacts<T>(work: () => Promise<T>): Promise<T> {
  const derived = deriveWrittenFacts();
  try {
    return await work();
  } finally {
    await derived;
  }
}

async function sameTreeOnRemote(ws: Workspace, branch: string): Promise<boolean> {
  const remote = await ws.remoteHead(branch);
  if (!remote) return false;
  const [ours, theirs] = await Promise.all([ws.tree('HEAD'), ws.tree(remote)]);
  return ours === theirs;
}

export async function deliverPullRequest(ws: Workspace, scope: DeliveryScope, target: DeliveryTarget, planned: Prepare): Promise<Delivered> {
  const prepare = analyzed(planned, analysisMode(target.config), { repoChecks: true });
  const { forge } = scope;
  const base = target.config.branch ?? (await ws.defaultBranch());
  const branch = botBranch(target.app, target.lane);
  // 1. Plan against the base branch as it is now.
  await ws.sync(base);
  const prepared = await prepare(workspaceFiles(ws, undefined, { writing: true }));
  const { plan } = prepared;
  if (prepared.writes.size === 0) return { plan, status: 'unchanged', message: `${planText(plan)}\nnothing needed changing` };
  // 2. Build the bot branch from the base with the change.
  await ws.createBranchFrom(base, branch);
  await ws.writeFiles(prepared.writes);
  return besideWrittenFacts(async () => {
    const sha = await ws.commit({ ...commitParts(plan, target.config.commitMessage), trailers: plan.trailers, files: [...prepared.writes.keys()] });
    // 3. The same change is already proposed (a redelivered webhook, another replica).
    const existing = await forge.findPullRequest(target.repo.id, branch);
    if (existing && (await sameTreeOnRemote(ws, branch))) {
      return { plan, status: 'unchanged', branch, url: existing.url, pr: existing, message: `${planText(plan)}\nalready proposed in ${existing.url}` };
    }
    // 4. Force-update the bot's own branch and open or edit the one PR for it.
    await ws.push(branch, { force: true });
    const { pr, created } = await forge.openOrUpdatePullRequest(target.repo.id, { head: branch, base, title: plan.title, body: prBody(plan, { app: target.app }) });
    // 5. A check run on the head commit: what was applied there and confirmed.
    await postPlanCheck(scope, target.repo, sha ?? pr.headSha, plan);
    return { plan, status: 'pull-request', commit: sha ?? undefined, branch, url: pr.url, pr, created, message: `${planText(plan)}\n${created ? 'opened' : 'updated'} ${pr.url}` };
  });
}

/** Posts the plan's check run on a bot PR's head commit; a refusal is logged, since the
 *  pull request stands either way. */
export async function postPlanCheck(scope: DeliveryScope, repo: ConfigRepo, sha: string, plan: Plan): Promise<void> {
  try {
    await scope.forge.reportCheck(repo.id, sha, checkOutput(plan));
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    scope.log.warn({ repo: repoName(repo.id), sha, err: err.message }, 'could not post the check run on the bot PR');
  }
}
