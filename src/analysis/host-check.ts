// Whether a host an Istio object names exists: a Service of the repo or a ServiceEntry
// host. A near miss is a typo (error); a host the repo does not know at all is assumed
// to be managed elsewhere (warning).
import { findingAt } from './finding.ts';
import { clusterService, entryHosts, resolveHost, sameHost, sameNamespace, serviceEntries, serviceHost, services } from './hosts.ts';
import { didYouMean, nearHost, nearName } from './near.ts';
import type { Finding, RepoObject, RepoView } from './types.ts';

export interface HostCheck {
  findings: Finding[];
  /** The resolved host (`name.ns.svc.cluster.local` for short names). */
  host: string;
  service?: RepoObject;
}

export async function checkHost(o: RepoObject, written: string, path: (string | number)[], field: string, repo: RepoView): Promise<HostCheck> {
  const host = resolveHost(written, o.ref.namespace);
  const [svcs, entries] = await Promise.all([services(repo), serviceEntries(repo)]);
  const service = svcs.find((s) => sameHost(serviceHost(s), host));
  if (service || entries.some((e) => entryHosts(e).some((h) => sameHost(h, host)))) return { findings: [], host, service };
  const shown = host === written ? `"${written}"` : `"${written}" (${host.replace('.*.', '.<namespace>.')})`;
  const hint = typoOf(written, host, svcs, entries);
  const finding = hint
    ? findingAt(o, path, field, 'error', 'ISTIO_UNKNOWN_HOST', `host ${shown} matches no Service or ServiceEntry in the repo${didYouMean(hint)}`)
    : findingAt(o, path, field, 'warning', 'ISTIO_HOST_ELSEWHERE', `host ${shown} is not defined in the repo (no Service or ServiceEntry); assuming it is managed elsewhere`);
  return { findings: [finding], host };
}

/** The spelling the author most likely meant, in the form they wrote. */
function typoOf(written: string, host: string, svcs: RepoObject[], entries: RepoObject[]): string | undefined {
  const cluster = clusterService(host);
  if (cluster) {
    const names = svcs.filter((s) => sameNamespace(s.ref.namespace, cluster.namespace)).map((s) => s.ref.name);
    const hint = nearName(cluster.name, names);
    return hint && (written.includes('.') ? [hint, ...written.split('.').slice(1)].join('.') : hint);
  }
  return nearHost(host, entries.flatMap(entryHosts).filter((h) => !h.startsWith('*')));
}
