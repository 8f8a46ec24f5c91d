// Planning traffic changes: the app's traffic file holds one routing object (Istio
// VirtualService or Gateway API HTTPRoute); its editor reads and sets the split.
import { rolloutSteps, type AppConfig } from '../config/index.ts';
import { BotError, ConfigError, EditError, UsageError } from '../errors.ts';
import type { Edit, Plan, Skipped, Trailers } from '../plan.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { applyAndConfirmAsync, parseManifestAsync } from '../manifests/parse.ts';
import { TRAFFIC_EDITORS } from '../manifests/registry.ts';
import type { Backend, ManifestFile, TrafficEditor, TrafficSpec, TrafficState } from '../manifests/types.ts';
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
  const spec = specOf(config);
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

/** The `Step` trailer (`2/3`) when the weight is one of the app's steps. */
export function stepTrailer(config: AppConfig, canary: number): string | undefined {
  const steps = rolloutSteps(config);
  const i = steps.indexOf(canary);
  return i >= 0 ? `${i + 1}/${steps.length}` : undefined;
}

export async function planWeightChanges(repo: RepoFiles, app: string, config: AppConfig, canary: number): Promise<WeightChanges> {
  if (!Number.isInteger(canary) || canary < 0 || canary > 100) {
    throw new UsageError('USAGE_BAD_WEIGHT', `canary weight must be an integer from 0 to 100, got ${canary}`);
  }
  const { file, editor, spec } = await loadTraffic(repo, app, config);
  const before = editor.read(file, spec);
  const result = editor.set(file, spec, canary);
  const writes = new Map<string, string>();
  if (result.changes.length) writes.set(file.path, await applyAndConfirmAsync(file, result.changes));
  const stable = 100 - before.others - canary;
  const trailers: Trailers = {
    Weights: `stable=${stable},canary=${canary}`,
    'Old-Weights': `stable=${before.stable},canary=${before.canary}`,
  };
  return { edits: result.changes.map((c) => c.edit), skipped: result.skipped, writes, trailers, before };
}

export async function planSetWeight(repo: RepoFiles, app: string, config: AppConfig, canary: number, action: Plan['action'] = 'set-weight'): Promise<Prepared> {
  const w = await planWeightChanges(repo, app, config, canary);
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
