// Istio host names: short names resolve in the namespace of the object that writes them
// (`reviews` in `default` → `reviews.default.svc.cluster.local`); names with a dot are
// taken as written; ServiceEntry hosts may start with `*.`. An object without a
// namespace gets one when it is applied (kustomize, `kubectl -n`), so it matches any.
import type { RepoObject, RepoView } from './types.ts';

export const CLUSTER_DOMAIN = 'svc.cluster.local';
const ANY_NAMESPACE = '*';

export function resolveHost(host: string, namespace: string | undefined): string {
  if (host.includes('.') || host.includes('*')) return host.toLowerCase();
  return `${host}.${namespace ?? ANY_NAMESPACE}.${CLUSTER_DOMAIN}`.toLowerCase();
}

/** `name` and `namespace` of an in-cluster host (`name.ns.svc.cluster.local`). */
export function clusterService(fqdn: string): { name: string; namespace: string } | undefined {
  const labels = fqdn.split('.');
  if (labels.length !== 5 || labels.slice(2).join('.') !== CLUSTER_DOMAIN) return undefined;
  return { name: labels[0], namespace: labels[1] };
}

/** Whether two resolved hosts can name the same thing: a leading `*.` covers any
 *  subdomain, an unknown namespace (`*` in the middle) any namespace. */
export function sameHost(a: string, b: string): boolean {
  if (a.startsWith('*.') || b.startsWith('*.')) {
    const [wild, other] = a.startsWith('*.') ? [a, b] : [b, a];
    return other.endsWith(wild.slice(1)) || other === wild;
  }
  const x = a.split('.');
  const y = b.split('.');
  return x.length === y.length && x.every((l, i) => l === y[i] || l === ANY_NAMESPACE || y[i] === ANY_NAMESPACE);
}

export function sameNamespace(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b || a === ANY_NAMESPACE || b === ANY_NAMESPACE;
}

// A file declaring such an object contains the kind's name, however `kind:` is quoted
// or spaced; a looser screen only costs a few more parses.
const kindTokens = (kind: string) => [kind];

/** Core Services (not Knative's, which share the kind name). */
export async function services(repo: RepoView): Promise<RepoObject[]> {
  return (await repo.objects(['Service'], kindTokens('Service'))).filter((o) => o.ref.apiVersion === 'v1');
}

export async function serviceEntries(repo: RepoView): Promise<RepoObject[]> {
  return (await repo.objects(['ServiceEntry'], kindTokens('ServiceEntry'))).filter((o) => o.ref.apiVersion?.startsWith('networking.istio.io/'));
}

export async function destinationRules(repo: RepoView): Promise<RepoObject[]> {
  return (await repo.objects(['DestinationRule'], kindTokens('DestinationRule'))).filter((o) => o.ref.apiVersion?.startsWith('networking.istio.io/'));
}

export function serviceHost(svc: RepoObject): string {
  return resolveHost(svc.ref.name, svc.ref.namespace);
}

export function entryHosts(se: RepoObject): string[] {
  const hosts = (se.value.spec as { hosts?: unknown } | undefined)?.hosts;
  return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string').map((h) => resolveHost(h, se.ref.namespace)) : [];
}

export function ruleHost(dr: RepoObject): string | undefined {
  const host = (dr.value.spec as { host?: unknown } | undefined)?.host;
  return typeof host === 'string' ? resolveHost(host, dr.ref.namespace) : undefined;
}
