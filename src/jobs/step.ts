// One rollout step as a plan: the step's canary weight and, for an A/B or mirror step, its
// route or mirror; for a weight step none, so whatever an earlier step inserted goes. The
// scheduler and `/canary promote` both step through here, so they change the same bytes.
import type { AppConfig } from '../config/index.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { stepLabel } from '../rollout/decide.ts';
import { stepNumber, type RolloutStep } from '../rollout/steps.ts';
import type { Prepared } from './prepared.ts';
import { planSetWeight } from './weights.ts';

export async function planStep(repo: RepoFiles, app: string, config: AppConfig, steps: readonly RolloutStep[], index: number): Promise<Prepared> {
  const step = steps[index];
  const prepared = await planSetWeight(repo, app, config, step.weight, 'set-weight', step.extras);
  // the trailer names the step: an A/B or mirror step's weight, 0, names none
  prepared.plan.trailers.Step = stepNumber(index, steps);
  if (step.extras) prepared.plan.title = `${app}: ${stepLabel(index, steps)}`;
  return prepared;
}
