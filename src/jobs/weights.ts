// Planning traffic changes: the app's traffic file holds one routing object (Istio
// VirtualService or Gateway API HTTPRoute); its editor reads and sets the split.
import { rolloutStepList, type AppConfig } from '../config/index.ts';
import { BotError, ConfigError, EditError, UsageError, type Location } from '../errors.ts';
import type { Edit, Plan, Skipped, Trailers } from '../plan.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { applyAndConfirmAsync, parseManifestAsync } from '../manifests/parse.ts';
import { TRAFFIC_EDITORS } from '../manifests/registry.ts';
import { findTrafficOwners, ownedError, ownedRoutesIn, type OwnerHit } from '../manifests/traffic-owners.ts';
import type { Backend, ManifestFile, TrafficEditor, TrafficExtras, TrafficSpec, TrafficState } from '../manifests/types.ts';
import { extrasOf, stepNumber, trafficTrailer, weightStepIndex } from '../rollout/steps.ts';
import type { Prepared } from './prepared.ts';

export interface WeightChanges {
  edits: Edit[];
  skipped: Skipped[];
  writes: Map<string, string>;
  trailers: Trailers;
  before: TrafficState;
}

function backendOf(b: { subset?: string; host?: string; port?: number }): Backend {
  return b.subset !== undefined ? { subset: b.subset, host: b.host } : { host: b.host ?? '', port: b.port };
}

function specOf(config: AppConfig): TrafficSpec {
  const t = config.traffic;
  if (!t) throw new ConfigError('CONFIG_NO_TRAFFIC', 'app has no traffic section', { field: 'traffic' });
  return { route: t.route, stable: backendOf(t.stable), canary: backendOf(t.canary) };
}

export async function loadTraffic(repo: RepoFiles, app: string, config: AppConfig): Promise<{ file: ManifestFile; editor: TrafficEditor; spec: TrafficSpec }> {
  const spec: TrafficSpec = { ...specOf(config), app };
  const rel = config.traffic!.file;
  let text: string;
  try {
    text = await repo.read(rel);
  } catch (err) {
    // a refused file (a symlink, over the size limit) says why, not "does not exist"
    if (err instanceof BotError && !err.code.endsWith('FILE_NOT_FOUND')) throw err;
    throw new ConfigError('CONFIG_TRAFFIC_FILE_MISSING', `traffic file does not exist`, { file: rel, field: `apps.${app}.traffic.file` });
  }
  const file = await parseManifestAsync(rel, text);
  const editor = TRAFFIC_EDITORS.find((e) => file.docs.some((d) => d.object && e.handles(d.object)));
  if (!editor) {
    throw new EditError('EDIT_NO_ROUTE_OBJECT', 'file holds no Istio VirtualService or Gateway API HTTPRoute', { file: rel, field: `apps.${app}.traffic.file` });
  }
  return { file, editor, spec };
}

/** The Argo Rollout or Flagger Canary that sets the weights of the route the app's
 *  traffic section picks, if any. When the route cannot be read (a controller may leave
 *  weights the bot would refuse), any owned route of the file answers. */
export async function trafficOwner(repo: RepoFiles, t: Awaited<ReturnType<typeof loadTraffic>>): Promise<{ hit: OwnerHit; where: Location } | undefined> {
  const { controllers } = await findTrafficOwners(repo);
  if (controllers.length === 0) return undefined;
  const owned = ownedRoutesIn(controllers, t.file).filter((o) => t.editor.handles(o.hit.object));
  if (owned.length === 0) return undefined;
  let picked;
  try {
    picked = t.editor.read(t.file, t.spec).object;
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    return owned[0];
  }
  return owned.find((o) => o.hit.object.kind === picked.kind && o.hit.object.name === picked.name && o.hit.object.namespace === picked.namespace);
}

/** For a release: the weight step it leaves to the controller that owns the route, as a
 *  skip, so the image still moves. Undefined when the bot may set the weights (or the
 *  traffic file has a problem, which planning the weights then reports). */
export async function trafficOwnedSkip(repo: RepoFiles, app: string, config: AppConfig): Promise<Skipped | undefined> {
  let owner;
  try {
    owner = await trafficOwner(repo, await loadTraffic(repo, app, config));
  } catch (err) {
    if (err instanceof BotError) return undefined;
    throw err;
  }
  if (!owner) return undefined;
  const err = ownedError(owner.hit, owner.where);
  return { file: owner.where.file ?? config.traffic!.file, object: owner.hit.object, code: err.code, reason: err.message };
}

/** The `Step` trailer (`2/3`) when the weight is one of the app's weight steps (an A/B or
 *  mirror step is never named by its weight, 0). */
export function stepTrailer(config: AppConfig, canary: number): string | undefined {
  const steps = rolloutStepList(config);
  const i = weightStepIndex(steps, canary);
  return i >= 0 ? stepNumber(i, steps) : undefined;
}

/** What a weight change does to the bot's A/B route and mirror: the extras to have
 *  afterwards, or `keep` what the route has now. Absent = none (what was inserted goes). */
export type ExtrasChange = TrafficExtras | 'keep' | undefined;

export async function planWeightChanges(repo: RepoFiles, app: string, config: AppConfig, canary: number, extras?: ExtrasChange): Promise<WeightChanges> {
  if (!Number.isInteger(canary) || canary < 0 || canary > 100) {
    throw new UsageError('USAGE_BAD_WEIGHT', `canary weight must be an integer from 0 to 100, got ${canary}`);
  }
  const traffic = await loadTraffic(repo, app, config);
  // before reading the weights: what a controller left there is its business, not an error
  const owner = await trafficOwner(repo, traffic);
  if (owner) throw ownedError(owner.hit, owner.where);
  const { file, editor, spec } = traffic;
  const before = editor.read(file, spec);
  const after = extras === 'keep' ? extrasOf(before) : extras;
  const result = editor.set(file, spec, canary, after);
  const writes = new Map<string, string>();
  if (result.changes.length) writes.set(file.path, await applyAndConfirmAsync(file, result.changes));
  // Read back rather than computed: a rule rescaled to 100 rounds the other backends,
  // so 100 - others - canary can be a point off what was written.
  const written = writes.get(file.path);
  const stable = written === undefined ? before.stable : editor.read(await parseManifestAsync(file.path, written), spec).stable;
  const trailers: Trailers = {
    Weights: `stable=${stable},canary=${canary}`,
    'Old-Weights': `stable=${before.stable},canary=${before.canary}`,
  };
  const added = trafficTrailer(after);
  const had = trafficTrailer(extrasOf(before));
  if (added) trailers.Traffic = added;
  if (had) trailers['Old-Traffic'] = had;
  return { edits: result.changes.map((c) => c.edit), skipped: result.skipped, writes, trailers, before };
}

export async function planSetWeight(repo: RepoFiles, app: string, config: AppConfig, canary: number, action: Plan['action'] = 'set-weight', extras?: ExtrasChange): Promise<Prepared> {
  const w = await planWeightChanges(repo, app, config, canary, extras);
  const step = stepTrailer(config, canary);
  const plan: Plan = {
    action,
    app,
    track: 'canary',
    title: `${app}: canary weight ${w.before.canary}% → ${canary}%`,
    edits: w.edits,
    skipped: w.skipped,
    trailers: { App: app, Action: action, ...w.trailers, ...(step ? { Step: step } : {}) },
  };
  return { plan, writes: w.writes };
}
