// Schema validation of manifests against the Kubernetes, Istio, Gateway API, Argo
// Rollouts and Flux schemas shipped by the kubernetes-models packages (the only module
// importing them). Models are ES modules loaded on first use of their kind: a repo of
// Deployments never pays for the Istio schemas. Kinds missing from the table (CRDs the
// bot does not know) are not checked, which is not an error.
import type { Finding } from './types.ts';

interface Model {
  validate(): void;
}
// The models type their input precisely; here any parsed YAML goes in, to be judged.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ModelClass = new (data: any) => Model;
type Loader = () => Promise<ModelClass>;

// `apiVersion kind` → loader. Literal specifiers, so bundlers and readers see every module.
const MODELS: Record<string, Loader> = {
  'v1 Pod': () => import('kubernetes-models/v1/Pod').then((m) => m.Pod),
  'v1 Service': () => import('kubernetes-models/v1/Service').then((m) => m.Service),
  'v1 ConfigMap': () => import('kubernetes-models/v1/ConfigMap').then((m) => m.ConfigMap),
  'v1 Secret': () => import('kubernetes-models/v1/Secret').then((m) => m.Secret),
  'v1 ServiceAccount': () => import('kubernetes-models/v1/ServiceAccount').then((m) => m.ServiceAccount),
  'v1 Namespace': () => import('kubernetes-models/v1/Namespace').then((m) => m.Namespace),
  'v1 ReplicationController': () => import('kubernetes-models/v1/ReplicationController').then((m) => m.ReplicationController),
  'apps/v1 Deployment': () => import('kubernetes-models/apps/v1/Deployment').then((m) => m.Deployment),
  'apps/v1 StatefulSet': () => import('kubernetes-models/apps/v1/StatefulSet').then((m) => m.StatefulSet),
  'apps/v1 DaemonSet': () => import('kubernetes-models/apps/v1/DaemonSet').then((m) => m.DaemonSet),
  'apps/v1 ReplicaSet': () => import('kubernetes-models/apps/v1/ReplicaSet').then((m) => m.ReplicaSet),
  'batch/v1 Job': () => import('kubernetes-models/batch/v1/Job').then((m) => m.Job),
  'batch/v1 CronJob': () => import('kubernetes-models/batch/v1/CronJob').then((m) => m.CronJob),
  'networking.k8s.io/v1 Ingress': () => import('kubernetes-models/networking.k8s.io/v1/Ingress').then((m) => m.Ingress),
  'autoscaling/v2 HorizontalPodAutoscaler': () => import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler').then((m) => m.HorizontalPodAutoscaler),
  'policy/v1 PodDisruptionBudget': () => import('kubernetes-models/policy/v1/PodDisruptionBudget').then((m) => m.PodDisruptionBudget),
  'networking.istio.io/v1 VirtualService': () => import('@kubernetes-models/istio/networking.istio.io/v1/VirtualService').then((m) => m.VirtualService),
  'networking.istio.io/v1beta1 VirtualService': () => import('@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService').then((m) => m.VirtualService),
  'networking.istio.io/v1alpha3 VirtualService': () => import('@kubernetes-models/istio/networking.istio.io/v1alpha3/VirtualService').then((m) => m.VirtualService),
  'networking.istio.io/v1 DestinationRule': () => import('@kubernetes-models/istio/networking.istio.io/v1/DestinationRule').then((m) => m.DestinationRule),
  'networking.istio.io/v1beta1 DestinationRule': () => import('@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule').then((m) => m.DestinationRule),
  'networking.istio.io/v1alpha3 DestinationRule': () => import('@kubernetes-models/istio/networking.istio.io/v1alpha3/DestinationRule').then((m) => m.DestinationRule),
  'networking.istio.io/v1 Gateway': () => import('@kubernetes-models/istio/networking.istio.io/v1/Gateway').then((m) => m.Gateway),
  'networking.istio.io/v1beta1 Gateway': () => import('@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway').then((m) => m.Gateway),
  'networking.istio.io/v1alpha3 Gateway': () => import('@kubernetes-models/istio/networking.istio.io/v1alpha3/Gateway').then((m) => m.Gateway),
  'gateway.networking.k8s.io/v1 HTTPRoute': () => import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute').then((m) => m.HTTPRoute),
  'gateway.networking.k8s.io/v1beta1 HTTPRoute': () => import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/HTTPRoute').then((m) => m.HTTPRoute),
  'gateway.networking.k8s.io/v1 Gateway': () => import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway').then((m) => m.Gateway),
  'gateway.networking.k8s.io/v1 GRPCRoute': () => import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRoute').then((m) => m.GRPCRoute),
  'argoproj.io/v1alpha1 Rollout': () => import('@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout').then((m) => m.Rollout),
  'helm.toolkit.fluxcd.io/v2 HelmRelease': () => import('@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2/HelmRelease').then((m) => m.HelmRelease),
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': () => import('@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization').then((m) => m.Kustomization),
  'image.toolkit.fluxcd.io/v1 ImageRepository': () => import('@kubernetes-models/flux-cd/image.toolkit.fluxcd.io/v1/ImageRepository').then((m) => m.ImageRepository),
  'image.toolkit.fluxcd.io/v1 ImagePolicy': () => import('@kubernetes-models/flux-cd/image.toolkit.fluxcd.io/v1/ImagePolicy').then((m) => m.ImagePolicy),
  'source.toolkit.fluxcd.io/v1 GitRepository': () => import('@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository').then((m) => m.GitRepository),
  'source.toolkit.fluxcd.io/v1 HelmRepository': () => import('@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/HelmRepository').then((m) => m.HelmRepository),
  'source.toolkit.fluxcd.io/v1 OCIRepository': () => import('@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/OCIRepository').then((m) => m.OCIRepository),
};

const loaded = new Map<string, Promise<ModelClass>>();

/** The `apiVersion kind` keys the table knows, for tests and docs. */
export const SCHEMA_KINDS: readonly string[] = Object.keys(MODELS);

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`. */
function fieldOf(pointer: string, extra?: unknown): string {
  const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (typeof extra === 'string') segs.push(extra);
  return segs.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function valueAt(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const s of pointer.split('/').slice(1)) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

function messageOf(e: AjvError, doc: unknown): string {
  if (e.keyword === 'required') return 'required field is missing';
  if (e.keyword === 'additionalProperties') return `unknown field ${JSON.stringify(e.params.additionalProperty)}`;
  if (e.keyword === 'type') return `${e.message ?? 'wrong type'}, got ${JSON.stringify(valueAt(doc, e.instancePath)) ?? 'nothing'}`;
  return e.message ?? e.keyword;
}

const SUBSTITUTION = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=+?][^}]*)?\}/;

/** A value holding a `${VAR}` that Flux postBuild or envsubst fills in later. */
export function substituted(v: unknown): boolean {
  return typeof v === 'string' && SUBSTITUTION.test(v);
}

/** Starts loading the models of `keys` (`apiVersion kind`), so that they compile while
 *  the caller waits on something else (the CLI: on git, before a change is analyzed). */
export function preloadSchemas(keys: readonly string[]): void {
  for (const key of keys) {
    const load = MODELS[key];
    if (!load || loaded.has(key)) continue;
    const pending = load();
    // a model that fails to load fails where it is used
    pending.catch(() => loaded.delete(key));
    loaded.set(key, pending);
  }
}

/** Findings for `doc` against its kind's schema; [] for kinds the table does not know. */
export async function validateManifestSchema(doc: unknown, where: { file: string; line?: number; object?: string }): Promise<Finding[]> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const { apiVersion, kind } = doc as { apiVersion?: unknown; kind?: unknown };
  const key = `${String(apiVersion)} ${String(kind)}`;
  const load = MODELS[key];
  if (!load) return [];
  if (!loaded.has(key)) loaded.set(key, load());
  const Model = await loaded.get(key)!;
  try {
    // the model's validate() judges the object it is called on: called on the parsed
    // object itself, which holds no undefined to filter out, it skips the model's deep
    // copy of every object (a sidecar's 801 Deployments, ~15 ms of a cold run)
    Model.prototype.validate.call(doc);
    return [];
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw err;
    // A value holding a `${VAR}` is filled in later (Flux postBuild substitution, envsubst):
    // its final form is unknown here, so the schema's pattern or type cannot judge it.
    return errors.filter((e) => !substituted(valueAt(doc, e.instancePath))).map((e) => ({
      severity: 'error' as const,
      code: 'SCHEMA_INVALID',
      file: where.file,
      line: where.line,
      object: where.object,
      field: fieldOf(e.instancePath, e.keyword === 'required' ? e.params.missingProperty : e.keyword === 'additionalProperties' ? e.params.additionalProperty : undefined),
      message: `${messageOf(e, doc)} (${String(kind)} schema)`,
    }));
  }
}
