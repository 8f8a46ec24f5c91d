// Rollback and pause/resume, delivered like the app's other changes. Pause and resume
// change no file: they are empty commits whose trailers the scheduler reads.
import { analysisMode } from '../analysis/gate.ts';
import type { AppConfig } from '../config/index.ts';
import type { Workspace } from '../git/workspace.ts';
import { prBody } from '../jobs/render.ts';
import { analyzeRollback, findRollbackTarget, revertBody, rollbackApp, rollbackPlan, withWarnings } from '../jobs/rollback.ts';
import type { Plan, Result } from '../plan.ts';
import { commitMarker } from './tick/git.ts';
import { botBranch, postPlanCheck, type Delivered, type DeliveryScope, type DeliveryTarget } from './deliver.ts';

export async function deliverRollback(ws: Workspace, scope: DeliveryScope, target: DeliveryTarget): Promise<Delivered> {
  const analysis = analysisMode(target.config);
  if (target.config.delivery === 'commit') return rollbackApp(ws, target.app, { branch: target.config.branch, analysis });
  const base = target.config.branch ?? (await ws.defaultBranch());
  const branch = botBranch(target.app, target.lane);
  // 1. The change to undo, as of the base branch now.
  await ws.sync(base);
  const reverted = await findRollbackTarget(ws, target.app);
  // analyzed as the revert would leave the base, before any branch or commit is made
  const plan = await analyzeRollback(ws, [reverted], rollbackPlan(target.app, reverted), analysis);
  // 2. The revert on the bot's rollback branch, proposed as one PR.
  await ws.createBranchFrom(base, branch);
  const body = revertBody(reverted.sha, plan);
  const sha = await ws.revert(reverted.sha, { subject: plan.title, trailers: plan.trailers, ...(body ? { body } : {}) });
  if (!sha) return { plan, status: 'unchanged', message: `${plan.title}\nnothing to revert: the files already match` };
  await ws.push(branch, { force: true });
  const { pr, created } = await scope.forge.openOrUpdatePullRequest(target.repo.id, { head: branch, base, title: plan.title, body: prBody(plan, { app: target.app }) });
  await postPlanCheck(scope, target.repo, sha, plan);
  return { plan, status: 'pull-request', commit: sha, branch, url: pr.url, pr, created, message: withWarnings(`${plan.title}\n${created ? 'opened' : 'updated'} ${pr.url}`, plan) };
}

export async function recordToggle(ws: Workspace, app: string, config: AppConfig, verb: 'pause' | 'resume', user?: string): Promise<Result> {
  const plan: Plan = {
    action: verb,
    app,
    title: `${app}: ${verb === 'pause' ? 'pause' : 'resume'} scheduled rollout steps`,
    edits: [],
    skipped: [],
    trailers: { App: app, Action: verb, ...(user ? { 'Requested-By': user } : {}) },
  };
  const pushed = await commitMarker(ws, config.branch, async () => ({ subject: plan.title, trailers: plan.trailers }));
  return pushed
    ? { plan, status: 'committed', commit: pushed.sha, message: `${plan.title}\nrecorded in ${pushed.sha.slice(0, 12)}` }
    : { plan, status: 'unchanged', message: `${plan.title}\nnothing recorded` };
}
