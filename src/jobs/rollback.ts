// Rollback is `git revert` of the bot's last change for an app that is still in effect:
// git restores the previous bytes exactly. The reverted tag is held (a trailer), so the
// same tag is not re-applied until a newer one arrives.
import { GitError } from '../errors.ts';
import type { LogEntry, Workspace } from '../git/workspace.ts';
import type { Plan, Result, Trailers } from '../plan.ts';
import { parseEditLines } from './render.ts';

/** Actions whose commits change manifests and can be undone. */
export const REVERTIBLE = ['release', 'set-image', 'set-weight', 'promote', 'abort', 'step'] as const;

export function rollbackPlan(app: string, target: LogEntry): Plan {
  const t = target.trailers;
  const trailers: Trailers = { App: app, Action: 'rollback', ...(t.Track ? { Track: t.Track } : {}) };
  // Rolling back a release holds its tag; rolling back weights restores the old split.
  if (t.Tag && (t.Action === 'release' || t.Action === 'set-image' || t.Action === 'promote')) trailers.Hold = t.Tag;
  if (t['Old-Tag']) trailers.Tag = t['Old-Tag'];
  if (t['Old-Weights']) trailers.Weights = t['Old-Weights'];
  if (t.Weights) trailers['Old-Weights'] = t.Weights;
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

export async function findRollbackTarget(ws: Workspace, app: string): Promise<LogEntry> {
  const target = await ws.findLastBotCommit({ app, actions: REVERTIBLE });
  if (!target) throw new GitError('ROLLBACK_NOTHING', `no change by the bot for app "${app}" is left to roll back`);
  return target;
}

/** Reverts on the current branch and pushes; a lost push race starts over on the fresh tree. */
export async function rollbackApp(ws: Workspace, app: string, opts: { dryRun?: boolean; branch?: string; attempts?: number } = {}): Promise<Result> {
  if (opts.dryRun) {
    const plan = rollbackPlan(app, await findRollbackTarget(ws, app));
    return { plan, status: 'dry-run', message: `${plan.title}\nwould revert; nothing changed` };
  }
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    // 1. Fresh tree.
    await ws.sync(opts.branch);
    // 2. The newest change still in effect.
    const target = await findRollbackTarget(ws, app);
    const plan = rollbackPlan(app, target);
    // 3. Revert it as one bot commit.
    const branch = await ws.currentBranch();
    const before = await ws.head();
    const sha = await ws.revert(target.sha, { subject: plan.title, trailers: plan.trailers });
    if (!sha) return { plan, status: 'unchanged', message: `${plan.title}\nnothing to revert: the files already match` };
    // 4. Push (fast-forward only); a rejection means someone moved the branch: redo.
    try {
      // a checkout without an upstream only commits, as commitPlan does
      if (ws.remote) await ws.pushCurrent();
      return { plan, status: 'committed', commit: sha, message: `${plan.title}\nreverted ${target.sha.slice(0, 12)} in ${sha.slice(0, 12)}` };
    } catch (err) {
      // Drop the unpushed revert: in a user's checkout the next sync refuses unpushed
      // commits, and a failed rollback must not leave a stray commit behind either.
      if (branch) await ws.createBranchFrom(before, branch).catch(() => undefined);
      if (!(err instanceof GitError) || err.code !== 'GIT_PUSH_REJECTED' || attempt >= attempts) throw err;
    }
  }
}
