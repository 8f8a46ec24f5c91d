// Rollback is `git revert` of the bot's last change for an app that is still in effect:
// git restores the previous bytes exactly. The reverted tag is held (a trailer), so the
// same tag is not re-applied until a newer one arrives. Like every change, a rollback is
// analyzed before it is committed, on the files as the revert would leave them; it is
// refused only for errors the revert itself brings (src/analysis/revert.ts).
import { analysisMode, type AnalysisMode } from '../analysis/gate.ts';
import { revertGate } from '../analysis/revert.ts';
import { findingLine, type Finding } from '../analysis/types.ts';
import { loadConfig } from '../config/index.ts';
import { GitError } from '../errors.ts';
import { previewRevert } from '../git/revert-preview.ts';
import type { LogEntry, Workspace } from '../git/workspace.ts';
import type { Plan, Result, Trailers } from '../plan.ts';
import { commitBody, parseEditLines } from './render.ts';
import { workspaceFiles } from './run.ts';

/** Actions whose commits change manifests and can be undone. */
export const REVERTIBLE = ['release', 'set-image', 'set-weight', 'promote', 'abort', 'step', 'ab'] as const;

export function rollbackPlan(app: string, target: LogEntry): Plan {
  const t = target.trailers;
  const trailers: Trailers = { App: app, Action: 'rollback', ...(t.Track ? { Track: t.Track } : {}) };
  // Rolling back a release holds its tag; rolling back weights restores the old split.
  if (t.Tag && (t.Action === 'release' || t.Action === 'set-image' || t.Action === 'promote')) trailers.Hold = t.Tag;
  if (t['Old-Tag']) trailers.Tag = t['Old-Tag'];
  if (t['Old-Weights']) trailers.Weights = t['Old-Weights'];
  if (t.Weights) trailers['Old-Weights'] = t.Weights;
  // the A/B route and mirror come back (or go) with the bytes git restores
  if (t['Old-Traffic']) trailers.Traffic = t['Old-Traffic'];
  if (t.Traffic) trailers['Old-Traffic'] = t.Traffic;
  const edits = parseEditLines(target.message).map((e) => ({ ...e, old: e.new, new: e.old }));
  return {
    action: 'rollback',
    app,
    track: t.Track,
    title: `${app}: roll back "${target.subject}"`,
    edits,
    skipped: [],
    trailers,
  };
}

/** Analysis of the repo as reverting `targets` (newest first) would leave it: throws
 *  AnalysisError on an error the revert brings (strict), else returns `plan` with the
 *  warnings. A revert git cannot merge is left to fail as it will, with the files named. */
export async function analyzeRollback(ws: Workspace, targets: readonly LogEntry[], plan: Plan, mode: AnalysisMode): Promise<Plan> {
  const preview = await previewRevert(ws, targets.map((t) => t.sha));
  if (!preview || (preview.writes.size === 0 && preview.deleted.length === 0)) return plan;
  // the objects the reverted commits name: what analysis checks, as for any change
  const edits = targets.flatMap((t) => parseEditLines(t.message));
  const checked = await revertGate(workspaceFiles(ws), { plan: { ...plan, edits }, writes: preview.writes }, preview.deleted, mode);
  return checked.plan.warnings?.length ? { ...plan, warnings: checked.plan.warnings } : plan;
}

/** The reverts of a rollout the scheduler undoes (no Plan of their own): their warnings. */
export async function rollbackWarnings(ws: Workspace, targets: readonly LogEntry[], app: string, mode: AnalysisMode): Promise<Finding[]> {
  const plan: Plan = { action: 'rollback', app, title: `${app}: roll back`, edits: [], skipped: [], trailers: {} };
  return (await analyzeRollback(ws, targets, plan, mode)).warnings ?? [];
}

/** Analysis warnings for a commit body, as commitBody writes them, so they read alike in
 *  every bot commit ('' when there are none). */
export function warningSection(warnings: readonly Finding[]): string {
  return warnings.length ? commitBody({ action: 'rollback', title: '', edits: [], skipped: [], trailers: {}, warnings: [...warnings] }) : '';
}

/** The revert commit's body: git's own line, then the analysis warnings. */
export function revertBody(sha: string, plan: Plan): string | undefined {
  if (!plan.warnings?.length) return undefined;
  return `This reverts commit ${sha}.\n\n${warningSection(plan.warnings)}`;
}

/** `message` with the plan's warnings, one a line, as planText prints them. */
export function withWarnings(message: string, plan: Plan): string {
  return [message, ...(plan.warnings ?? []).map(findingLine)].join('\n');
}

/** The app's `analysis` mode in the checkout's config. A config that does not load must
 *  not stand in the way of a rollback: the default (strict) applies then. */
function configuredMode(dir: string, app: string): AnalysisMode {
  try {
    return analysisMode(loadConfig(dir)?.config.apps[app]);
  } catch {
    return 'strict';
  }
}

export async function findRollbackTarget(ws: Workspace, app: string): Promise<LogEntry> {
  const target = await ws.findLastBotCommit({ app, actions: REVERTIBLE });
  if (!target) throw new GitError('ROLLBACK_NOTHING', `no change by the bot for app "${app}" is left to roll back`);
  return target;
}

/** Reverts on the current branch and pushes; a lost push race starts over on the fresh tree.
 *  `analysis`: the app's mode (default: read from the checkout's config). */
export async function rollbackApp(ws: Workspace, app: string, opts: { dryRun?: boolean; branch?: string; attempts?: number; analysis?: AnalysisMode } = {}): Promise<Result> {
  const mode = () => opts.analysis ?? configuredMode(ws.dir, app);
  if (opts.dryRun) {
    const target = await findRollbackTarget(ws, app);
    const plan = await analyzeRollback(ws, [target], rollbackPlan(app, target), mode());
    return { plan, status: 'dry-run', message: withWarnings(`${plan.title}\nwould revert; nothing changed`, plan) };
  }
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    // 1. Fresh tree.
    await ws.sync(opts.branch);
    // 2. The newest change still in effect, analyzed as its revert would leave the repo.
    const target = await findRollbackTarget(ws, app);
    const plan = await analyzeRollback(ws, [target], rollbackPlan(app, target), mode());
    // 3. Revert it as one bot commit.
    const branch = await ws.currentBranch();
    const before = await ws.head();
    const body = revertBody(target.sha, plan);
    const sha = await ws.revert(target.sha, { subject: plan.title, trailers: plan.trailers, ...(body ? { body } : {}) });
    if (!sha) return { plan, status: 'unchanged', message: `${plan.title}\nnothing to revert: the files already match` };
    // 4. Push (fast-forward only); a rejection means someone moved the branch: redo.
    try {
      // a checkout without an upstream only commits, as commitPlan does
      if (ws.remote) await ws.pushCurrent();
      return { plan, status: 'committed', commit: sha, message: withWarnings(`${plan.title}\nreverted ${target.sha.slice(0, 12)} in ${sha.slice(0, 12)}`, plan) };
    } catch (err) {
      // Drop the unpushed revert: in a user's checkout the next sync refuses unpushed
      // commits, and a failed rollback must not leave a stray commit behind either.
      if (branch) await ws.createBranchFrom(before, branch).catch(() => undefined);
      if (!(err instanceof GitError) || err.code !== 'GIT_PUSH_REJECTED' || attempt >= attempts) throw err;
    }
  }
}
