// Has the previous step's change merged? With PR delivery the scheduler's proposal lives
// on the app's traffic branch until someone merges it; while it is there and not in
// effect on the target branch, the rollout waits for it instead of proposing again.
import type { AppConfig } from '../../config/index.ts';
import type { Forge } from '../../forge/types.ts';
import type { RolloutSnapshot } from '../../jobs/status.ts';
import type { RolloutState } from '../../rollout/decide.ts';
import { botBranch } from '../deliver.ts';
import type { ConfigRepo } from '../types.ts';
import type { BranchView } from './view.ts';

/** The lane the scheduler and the `/canary weight|promote` commands share, so a step is
 *  only ever proposed in one pull request. */
export const ROLLOUT_LANE = 'traffic';

export async function pendingChange(view: BranchView, forge: Forge, repo: ConfigRepo, app: string, config: AppConfig, snap: RolloutSnapshot): Promise<RolloutState['pendingChange']> {
  const { state, steps } = snap;
  if (config.delivery !== 'pull-request' || state.stepIndex < 0) return undefined;
  const branch = botBranch(app, ROLLOUT_LANE);
  const t = (await view.proposal(branch))?.trailers;
  if (!t || t.App !== app) return undefined;
  // A proposal for another tag belongs to an earlier rollout.
  if (t.Tag && state.tag && t.Tag !== state.tag) return undefined;
  const proposed = t.Action === 'promote' ? steps.length : stepIndexOf(t.Step);
  // Already in effect (merged, squashed or rebased) or overtaken by a later step.
  if (proposed === undefined || proposed <= state.stepIndex) return undefined;
  const pr = await forge.findPullRequest(repo.id, branch);
  return { sinceStep: Math.min(proposed, steps.length - 1), url: pr ? pr.url : `branch ${branch}: its pull request was closed without merging; \`/canary promote ${app}\` proposes it again` };
}

function stepIndexOf(step: string | undefined): number | undefined {
  const m = step ? /^\s*(\d+)\s*\//.exec(step) : null;
  return m && Number(m[1]) >= 1 ? Number(m[1]) - 1 : undefined;
}
