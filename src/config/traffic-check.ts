// The traffic section against the traffic file: the bot's own traffic editors decide
// whether the route and the stable backend are there (so this check and a real weight
// change can never disagree); the names present in the file make the did-you-mean.
import { BotError } from '../errors.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { parseManifestAsync } from '../manifests/parse.ts';
import { TRAFFIC_EDITORS } from '../manifests/registry.ts';
import { trafficFileOwners } from '../manifests/traffic-owners.ts';
import type { Backend, ManifestFile } from '../manifests/types.ts';
import type { ObjectRef } from '../plan.ts';
import type { TrafficConfig } from './schema.ts';
import { suggestKey } from './suggest.ts';

export interface TrafficProblem {
  code: string;
  /** Key under `traffic` the problem is about. */
  key: 'file' | 'route' | 'stable' | 'canary';
  message: string;
  /** Absent: an error. */
  severity?: 'warning';
}

const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** Route names, subsets and hosts the file's routing objects mention. */
function namesIn(file: ManifestFile): { routes: Set<string>; subsets: Set<string>; hosts: Set<string> } {
  const routes = new Set<string>();
  const subsets = new Set<string>();
  const hosts = new Set<string>();
  for (const d of file.docs) {
    const spec = record(record(d.value).spec);
    for (const r of [...list(spec.http), ...list(spec.rules)]) {
      const name = str(record(r).name);
      if (name) routes.add(name);
      for (const dest of list(record(r).route)) {
        const x = record(record(dest).destination);
        if (str(x.subset)) subsets.add(str(x.subset)!);
        if (str(x.host ?? x.name)) hosts.add(str(x.host ?? x.name)!);
      }
      for (const ref of list(record(r).backendRefs)) if (str(record(ref).name)) hosts.add(str(record(ref).name)!);
    }
  }
  return { routes, subsets, hosts };
}

const backendOf = (b: TrafficConfig['stable']): Backend => (b.subset !== undefined ? { subset: b.subset, host: b.host } : { host: b.host ?? '', port: b.port });

function label(b: TrafficConfig['stable']): string {
  return b.subset !== undefined ? `subset "${b.subset}"` : `host "${b.host}"`;
}

function hint(b: TrafficConfig['stable'], names: ReturnType<typeof namesIn>, exclude?: string): string {
  const [word, pool] = b.subset !== undefined ? [b.subset, names.subsets] : [b.host ?? '', names.hosts];
  const known = [...pool].filter((n) => n !== exclude && n !== word);
  const near = suggestKey(word, known);
  if (near) return ` (did you mean "${near}"?)`;
  return pool.size > 0 ? ` (the file has: ${[...pool].join(', ')})` : '';
}

/** What is wrong with `traffic` given the repo's files; empty when a weight change would work. */
export async function checkTraffic(repo: RepoFiles, traffic: TrafficConfig, files: readonly string[]): Promise<TrafficProblem[]> {
  let text: string;
  try {
    text = await repo.read(traffic.file);
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    if (!err.code.endsWith('FILE_NOT_FOUND')) return [{ code: err.code, key: 'file', message: err.detail }];
    const near = suggestKey(traffic.file, files);
    return [{ code: 'CONFIG_TRAFFIC_FILE_MISSING', key: 'file', message: `no file ${JSON.stringify(traffic.file)} in the repo${near ? ` (did you mean "${near}"?)` : ''}` }];
  }
  let file: ManifestFile;
  try {
    file = await parseManifestAsync(traffic.file, text);
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    return [{ code: err.code, key: 'file', message: err.message }];
  }
  const editor = TRAFFIC_EDITORS.find((e) => file.docs.some((d) => d.object && e.handles(d.object)));
  if (!editor) return [{ code: 'CONFIG_TRAFFIC_NO_ROUTE_OBJECT', key: 'file', message: `${traffic.file} holds no Istio VirtualService or Gateway API HTTPRoute` }];
  const names = namesIn(file);
  const spec = { route: traffic.route, stable: backendOf(traffic.stable), canary: backendOf(traffic.canary) };
  // Routes an Argo Rollout or Flagger Canary sets weights on: the bot would refuse every change.
  const owners = await trafficFileOwners(repo, file);
  const owned = (only?: ObjectRef): TrafficProblem[] =>
    owners
      .filter((o) => !only || (o.object.kind === only.kind && o.object.name === only.name && o.object.namespace === only.namespace))
      .map((o) => ({ code: 'CONFIG_TRAFFIC_OWNED', key: 'file', message: o.message, severity: 'warning' }));
  try {
    const state = editor.read(file, spec);
    const ownedHere = owned(state.object);
    if (ownedHere.length) return ownedHere;
    // A missing canary is fine while the route has one destination (the first step adds
    // it); beside others, a near miss of a name that is there is a typo.
    if (state.canary === 0) {
      const stableName = traffic.stable.subset ?? traffic.stable.host;
      const h = hint(traffic.canary, names, stableName);
      if (h.startsWith(' (did you mean')) {
        return [{ code: 'CONFIG_TRAFFIC_BACKEND_NOT_FOUND', key: 'canary', message: `canary ${label(traffic.canary)} is not a destination in ${traffic.file}${h}` }];
      }
    }
    return [];
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    if (err.code === 'TRAFFIC_ROUTE_NOT_FOUND' && traffic.route !== undefined) {
      const near = suggestKey(traffic.route, names.routes);
      const named = names.routes.size ? [...names.routes].join(', ') : 'none';
      return [{ code: 'CONFIG_TRAFFIC_ROUTE_NOT_FOUND', key: 'route', message: `no route named "${traffic.route}" in ${traffic.file}${near ? ` (did you mean "${near}"?)` : ` (named routes: ${named})`}` }];
    }
    if (err.code === 'TRAFFIC_BACKEND_NOT_FOUND' || err.code === 'TRAFFIC_NOT_FOUND') {
      return [{ code: 'CONFIG_TRAFFIC_BACKEND_NOT_FOUND', key: 'stable', message: `stable ${label(traffic.stable)} is not a destination in ${traffic.file}${hint(traffic.stable, names)}` }];
    }
    // Weights that do not add up, an owned object…: the file's problem, said by the editor.
    return [{ code: err.code, key: 'file', message: err.message }, ...owned()];
  }
}
