// Routes whose weights a controller sets in the cluster: an Argo Rollout names them in
// `spec.strategy.canary.trafficRouting` (Istio VirtualServices, the Gateway API plugin's
// HTTPRoutes), a Flagger Canary generates one named after its service. A weight the bot
// wrote there would fight the controller (or be overwritten by it), so such routes are
// found once per state of the repo and refused by name.
import { EditError, type Location } from '../errors.ts';
import { objectLabel, type ObjectRef, type Skipped } from '../plan.ts';
import { flaggerAnalysis, rolloutSteps } from './controller-steps.ts';
import { YAML_FILE, type RepoFiles } from './files.ts';
import { parseManifestAsync } from './parse.ts';
import { loadFiles } from './scan.ts';
import { treeStoreOf } from './tree-store.ts';
import type { ManifestDoc, ManifestFile } from './types.ts';

export type RouteKind = 'VirtualService' | 'HTTPRoute';

export interface OwnedRoute {
  kind: RouteKind;
  /** Undefined when neither the reference nor the controller names one: any namespace. */
  namespace?: string;
  /** Undefined for a label selector (the Gateway API plugin's `httpRouteSelector`). */
  name?: string;
  matchLabels?: Record<string, string>;
  /** Where the controller names the route, e.g. `trafficRouting.istio.virtualService`. */
  field: string;
  /** The http routes of a VirtualService the Rollout names, when it names them. */
  routes?: string[];
}

export interface TrafficController {
  kind: 'Rollout' | 'Canary';
  /** `Argo Rollout` or `Flagger Canary`, for messages. */
  title: string;
  namespace?: string;
  name: string;
  file: string;
  line: number;
  routes: OwnedRoute[];
  /** The workloads whose pods it rolls out: the Rollout itself (or its workloadRef), the
   *  Canary's targetRef. An app whose images live there is managed by it. */
  workloads: ObjectRef[];
  /** Its own plan, one readable line each: Rollout steps, Canary analysis. */
  steps: string[];
}

export interface TrafficOwners {
  controllers: TrafficController[];
  /** Files that mention a controller kind but could not be read or parsed. */
  skipped: Skipped[];
}

export interface OwnerHit {
  controller: TrafficController;
  route: OwnedRoute;
  /** The routing object it owns, as the repo names it. */
  object: ObjectRef;
}

/** The README section these refusals point to. */
export const OWNER_HELP = 'README: "Argo Rollouts and Flagger"';

type Data = Record<string, unknown>;
const rec = (v: unknown): Data => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => list(v).map(str).filter((s): s is string => s !== undefined);

function labelsOf(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(rec(v)).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
}

/** Argo Rollouts reads `name.namespace` (the first two dot-separated fields); a bare
 *  name resolves in the Rollout's namespace. */
function istioRef(ref: string, ns: string | undefined): { name: string; namespace?: string } {
  const [name, qualified] = ref.split('.');
  return { name, namespace: qualified || ns };
}

function istioRoutes(istio: Data, ns: string | undefined): OwnedRoute[] {
  const out: OwnedRoute[] = [];
  const add = (v: unknown, field: string) => {
    const ref = str(rec(v).name);
    if (!ref) return;
    const routes = strings(rec(v).routes);
    out.push({ kind: 'VirtualService', ...istioRef(ref, ns), field, ...(routes.length ? { routes } : {}) });
  };
  if (istio.virtualService !== undefined) add(istio.virtualService, 'trafficRouting.istio.virtualService');
  list(istio.virtualServices).forEach((v, i) => add(v, `trafficRouting.istio.virtualServices[${i}]`));
  return out;
}

/** Any traffic-router plugin configured like `argoproj-labs/gatewayAPI`: the plugin's
 *  name is chosen in the controller's ConfigMap, so it is recognised by its fields. */
function pluginRoutes(plugins: Data, ns: string | undefined): OwnedRoute[] {
  const out: OwnedRoute[] = [];
  for (const [key, raw] of Object.entries(plugins)) {
    const p = rec(raw);
    const at = `trafficRouting.plugins[${JSON.stringify(key)}]`;
    const namespace = str(p.namespace) ?? ns;
    const single = str(p.httpRoute);
    if (single) out.push({ kind: 'HTTPRoute', name: single, namespace, field: `${at}.httpRoute` });
    list(p.httpRoutes).forEach((r, i) => {
      const name = str(rec(r).name);
      if (name) out.push({ kind: 'HTTPRoute', name, namespace, field: `${at}.httpRoutes[${i}]` });
    });
    const selector = labelsOf(rec(p.httpRouteSelector).matchLabels);
    if (Object.keys(selector).length) out.push({ kind: 'HTTPRoute', matchLabels: selector, namespace, field: `${at}.httpRouteSelector` });
  }
  return out;
}

function rollout(doc: ManifestDoc, file: ManifestFile, line: number): TrafficController | undefined {
  const v = rec(doc.value);
  const meta = rec(v.metadata);
  const ns = str(meta.namespace);
  const name = str(meta.name) ?? '';
  const routing = rec(rec(rec(rec(v.spec).strategy).canary).trafficRouting);
  const routes = [...istioRoutes(rec(routing.istio), ns), ...pluginRoutes(rec(routing.plugins), ns)];
  const ref = rec(rec(v.spec).workloadRef);
  const workloads: ObjectRef[] = [{ kind: 'Rollout', namespace: ns, name }];
  if (str(ref.kind) && str(ref.name)) workloads.push({ kind: str(ref.kind)!, namespace: ns, name: str(ref.name)! });
  return { kind: 'Rollout', title: 'Argo Rollout', namespace: ns, name, file: file.path, line, routes, workloads, steps: rolloutSteps(v) };
}

/** Flagger generates the apex route of a Canary: a VirtualService for Istio, an
 *  HTTPRoute for Gateway API; without `provider` it is the mesh's default, so both. */
function generatedKinds(provider: string | undefined): RouteKind[] {
  if (provider === undefined) return ['VirtualService', 'HTTPRoute'];
  if (provider.startsWith('istio')) return ['VirtualService'];
  if (provider.startsWith('gatewayapi')) return ['HTTPRoute'];
  return [];
}

function canary(doc: ManifestDoc, file: ManifestFile, line: number): TrafficController | undefined {
  const v = rec(doc.value);
  const meta = rec(v.metadata);
  const ns = str(meta.namespace);
  const spec = rec(v.spec);
  const target = rec(spec.targetRef);
  const service = str(rec(spec.service).name);
  const routeName = service ?? str(target.name);
  const field = service ? 'spec.service.name' : 'spec.targetRef.name';
  const routes: OwnedRoute[] = routeName ? generatedKinds(str(spec.provider)).map((kind) => ({ kind, name: routeName, namespace: ns, field })) : [];
  const workloads: ObjectRef[] = str(target.name) ? [{ kind: str(target.kind) ?? 'Deployment', namespace: ns, name: str(target.name)! }] : [];
  return { kind: 'Canary', title: 'Flagger Canary', namespace: ns, name: str(meta.name) ?? '', file: file.path, line, routes, workloads, steps: flaggerAnalysis(v) };
}

/** The controllers one parsed file declares. */
export function controllersIn(file: ManifestFile): TrafficController[] {
  const out: TrafficController[] = [];
  for (const doc of file.docs) {
    const o = doc.object;
    if (!o) continue;
    const line = file.lineOf(doc.doc.contents?.range?.[0] ?? 0);
    const c =
      o.kind === 'Rollout' && (o.apiVersion ?? '').startsWith('argoproj.io/')
        ? rollout(doc, file, line)
        : o.kind === 'Canary' && (o.apiVersion ?? '').startsWith('flagger.app/')
          ? canary(doc, file, line)
          : undefined;
    if (c) out.push(c);
  }
  return out;
}

// A cheap test on the text before parsing: most files that mention "Rollout" or
// "Canary" (a canary Deployment, a comment) declare neither.
const KIND_LINE = /\bkind:\s*["']?(?:Rollout|Canary)["']?\s*(?:[,}#]|$)/m;

function unparsed(path: string, text: string): ManifestFile {
  return { path, text, docs: [], lineOf: () => 1 };
}

const byVersion = new Map<string, { version: string; result: TrafficOwners }>();
const CACHE_LIMIT = 100;

// One reader reads one state of the tree (see workspaceFiles): a status of many apps, or a
// validate, searches once even on a tree with no clean version to key the cache by.
const byReader = new WeakMap<RepoFiles, Promise<TrafficOwners>>();

/** Every Argo Rollout and Flagger Canary of the repo. Cached per clean tree, as the
 *  Flux policies are: on an unchanged repo a second plan searches nothing. */
export function findTrafficOwners(repo: RepoFiles): Promise<TrafficOwners> {
  let found = byReader.get(repo);
  if (!found) {
    found = searchOwners(repo);
    byReader.set(repo, found);
    // a failed search (a git error, say) is not remembered
    found.catch(() => byReader.delete(repo));
  }
  return found;
}

async function searchOwners(repo: RepoFiles): Promise<TrafficOwners> {
  const version = await repo.version?.();
  const hit = byVersion.get(repo.root);
  if (version !== undefined && hit?.version === version) return hit.result;
  const store = await treeStoreOf(repo);
  const stored = store?.get<TrafficOwners>('owners', '');
  if (stored) return stored;
  const candidates = (await repo.grep(['Rollout', 'Canary'])).filter((rel) => YAML_FILE.test(rel)).sort();
  const { files, skipped } = await loadFiles(repo, candidates, (rel, text) => (KIND_LINE.test(text) ? parseManifestAsync(rel, text) : unparsed(rel, text)));
  const result = { controllers: files.flatMap(controllersIn), skipped };
  store?.set('owners', '', result);
  if (version !== undefined) {
    if (byVersion.size >= CACHE_LIMIT) byVersion.delete(byVersion.keys().next().value as string);
    byVersion.set(repo.root, { version, result });
  }
  return result;
}

const sameNamespace = (a: string | undefined, b: string | undefined): boolean => a === undefined || b === undefined || a === b;

function owns(route: OwnedRoute, object: ObjectRef, labels: Record<string, string>): boolean {
  if (route.kind !== object.kind || !sameNamespace(route.namespace, object.namespace)) return false;
  if (route.name !== undefined) return route.name === object.name;
  return Object.entries(route.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** The controller that sets the weights of `doc`'s routing object, if any. */
export function ownerOfDoc(controllers: readonly TrafficController[], doc: ManifestDoc): OwnerHit | undefined {
  const object = doc.object;
  if (!object || (object.kind !== 'VirtualService' && object.kind !== 'HTTPRoute')) return undefined;
  const labels = labelsOf(rec(rec(doc.value).metadata).labels);
  for (const controller of controllers) {
    const route = controller.routes.find((r) => owns(r, object, labels));
    if (route) return { controller, route, object };
  }
  return undefined;
}

export function controllerLabel(c: Pick<TrafficController, 'namespace' | 'name'>): string {
  return c.namespace ? `${c.namespace}/${c.name}` : c.name;
}

/** `Argo Rollout test/podinfo (apps/podinfo/rollout.yaml:1, trafficRouting.istio.virtualService)`. */
export function describeOwner(hit: Pick<OwnerHit, 'controller' | 'route'>): string {
  const { controller: c, route } = hit;
  const routes = route.routes ? `, routes: ${route.routes.join(', ')}` : '';
  return `${c.title} ${controllerLabel(c)} (${c.file}:${c.line}, ${route.field}${routes})`;
}

/** The refusal of a weight change on an owned route. */
export function ownedError(hit: OwnerHit, where: Location): EditError {
  const c = hit.controller;
  const why =
    c.kind === 'Rollout'
      ? 'let the Rollout set them'
      : `Flagger generates this ${hit.object.kind} and overwrites it; let the Canary set them`;
  return new EditError('TRAFFIC_OWNED', `weights are managed by ${describeOwner(hit)}; ${why} (${OWNER_HELP})`, where);
}

/** The routing objects of `file` a controller owns, with where each is declared. */
export function ownedRoutesIn(controllers: readonly TrafficController[], file: ManifestFile): Array<{ hit: OwnerHit; where: Location }> {
  const out: Array<{ hit: OwnerHit; where: Location }> = [];
  for (const doc of file.docs) {
    const hit = ownerOfDoc(controllers, doc);
    if (!hit) continue;
    const line = file.lineOf(doc.doc.contents?.range?.[0] ?? 0);
    out.push({ hit, where: { file: file.path, line, object: objectLabel(hit.object) } });
  }
  return out;
}

/** The controller that rolls out one of `objects` (the workloads an app's images live in). */
export function controllerOfWorkloads(controllers: readonly TrafficController[], objects: readonly ObjectRef[]): TrafficController | undefined {
  return controllers.find((c) =>
    c.workloads.some((w) => objects.some((o) => o.kind === w.kind && o.name === w.name && sameNamespace(o.namespace, w.namespace))),
  );
}

/** The routing objects of a traffic file a controller owns, each with a warning for the
 *  config checks: the bot would refuse every weight change there. */
export async function trafficFileOwners(repo: RepoFiles, file: ManifestFile): Promise<Array<{ object: ObjectRef; message: string }>> {
  const { controllers } = await findTrafficOwners(repo);
  return ownedRoutesIn(controllers, file).map(({ hit, where }) => ({
    object: hit.object,
    message: `${where.object} in ${file.path} gets its weights from ${describeOwner(hit)}: the bot still updates the app's images, but refuses weight changes (set-weight, rollout steps, promotion); remove the traffic section (${OWNER_HELP})`,
  }));
}
