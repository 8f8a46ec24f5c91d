// An A/B match set or removed by hand (`/canary ab`, `gitops-canary ab`): the bot's A/B
// route to the canary changes and nothing else; the canary weight and a mirror stay as the
// route has them. The commit is `Action: ab`, which the scheduler does not take for a step,
// so a rollout in progress keeps its step and bake.
import type { AppConfig } from '../config/index.ts';
import type { RepoFiles } from '../manifests/files.ts';
import type { AbMatch, TrafficExtras } from '../manifests/types.ts';
import type { Plan } from '../plan.ts';
import { extrasOf, hasExtras, stepText } from '../rollout/steps.ts';
import type { Prepared } from './prepared.ts';
import { loadTraffic, planWeightChanges } from './weights.ts';

/** `match` null removes the bot's A/B route. */
export async function planAb(repo: RepoFiles, app: string, config: AppConfig, match: AbMatch | null): Promise<Prepared> {
  const { file, editor, spec } = await loadTraffic(repo, app, config);
  const before = editor.read(file, spec);
  const mirror = extrasOf(before)?.mirror;
  const extras: TrafficExtras = { ...(match ? { ab: match } : {}), ...(mirror !== undefined ? { mirror } : {}) };
  const w = await planWeightChanges(repo, app, config, before.canary, hasExtras(extras) ? extras : undefined);
  const title = match
    ? `${app}: ${stepText({ weight: before.canary, extras: { ab: match } })} to the canary`
    : before.ab
      ? `${app}: A/B route off (was ${stepText({ weight: before.canary, extras: { ab: before.ab } })})`
      : `${app}: no A/B route to remove`;
  const plan: Plan = {
    action: 'ab',
    app,
    track: 'canary',
    title,
    edits: w.edits,
    skipped: w.skipped,
    trailers: { App: app, Action: 'ab', Track: 'canary', ...w.trailers },
  };
  return { plan, writes: w.writes };
}
