// What "promote" means for a person (`/canary promote`, `gitops-canary promote`): the next
// step of the canary now, skipping the rest of the bake once; at the last step, promotion.
import { rolloutStepList, type AppConfig } from '../config/index.ts';
import type { Workspace } from '../git/workspace.ts';
import { appCommits } from '../rollout/landed.ts';
import { rolloutStateFromHistory } from '../rollout/state.ts';
import { planPromotion } from './promote.ts';
import { workspaceFiles, type Prepare } from './run.ts';
import { HISTORY_DEPTH, rolloutLog } from './history.ts';
import { planStep } from './step.ts';
import { loadTraffic } from './weights.ts';

/** The next step of the canary; at the last step, promotion. `user` is named in the
 *  Promoted-By trailer. Reads the working copy as it is: sync it first. */
export async function promotePrepare(ws: Workspace, app: string, cfg: AppConfig, user: string): Promise<Prepare> {
  const { file, editor, spec } = await loadTraffic(workspaceFiles(ws), app, cfg);
  const w = editor.read(file, spec);
  // The scheduler's steps and its reading of where the rollout stands (the Step trailer,
  // else the weights), so a manual promote and a scheduled tick agree on what is next; an
  // A/B or mirror step has canary weight 0, so the weight alone cannot tell.
  const steps = rolloutStepList(cfg);
  const log = await rolloutLog(await ws.log({ max: HISTORY_DEPTH }), app, w);
  const state = rolloutStateFromHistory(appCommits(log, app), { stable: w.stable, canary: w.canary }, steps, { app });
  // no rollout on record (ended, or weights edited by hand): the first weight step above
  // the canary, as the weights alone say; a canary at 0 starts at the first step
  const above = steps.findIndex((s) => !s.extras && s.weight > w.canary);
  const next = state.stepIndex >= 0 ? state.stepIndex + 1 : w.canary === 0 ? 0 : above < 0 ? steps.length : above;
  const extra = { 'Promoted-By': user };
  if (next >= steps.length) return (repo) => planPromotion(repo, app, cfg, extra);
  return async (repo) => {
    const p = await planStep(repo, app, cfg, steps, next);
    Object.assign(p.plan.trailers, extra);
    return p;
  };
}
