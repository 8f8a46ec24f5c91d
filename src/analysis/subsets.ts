// A DestinationRule subset that selects no pod sends its share of requests nowhere:
// Istio answers them with 503 "no healthy upstream".
import { labelText, list, rec, str, stringMap } from './data.ts';
import { findingAt } from './finding.ts';
import { clusterService, ruleHost, sameHost, serviceHost, services } from './hosts.ts';
import type { Finding, RepoObject, RepoView, Severity } from './types.ts';
import { describeWorkloads, workloadsSelected } from './workloads.ts';
import { objectLabel } from '../plan.ts';

export function subsetNames(dr: RepoObject): string[] {
  return list(rec(dr.value.spec)?.subsets)
    .map((s) => str(rec(s)?.name))
    .filter((n): n is string => n !== undefined);
}

/** Findings for one subset of `dr` (by name): its labels, together with the selector of
 *  the host's Service, must match the pod template of a workload in the repo. When the
 *  repo holds no workload of the Service at all, the pods are deployed from elsewhere. */
/** `severity`: an error where a route sends this subset traffic; a warning for a subset
 *  no route weighs (declared ahead of its version's rollout, as canary setups often do). */
export async function subsetSelectsPods(dr: RepoObject, name: string, repo: RepoView, severity: Severity = 'error'): Promise<Finding[]> {
  const subsets = list(rec(dr.value.spec)?.subsets);
  const index = subsets.findIndex((s) => str(rec(s)?.name) === name);
  if (index < 0) return [];
  const labels = stringMap(rec(subsets[index])?.labels);
  if (Object.keys(labels).length === 0) return [];
  const host = ruleHost(dr);
  const svc = host ? (await services(repo)).find((s) => sameHost(serviceHost(s), host)) : undefined;
  const selector = stringMap(rec(svc?.value.spec)?.selector);
  const namespace = svc?.ref.namespace ?? (host ? clusterService(host)?.namespace : undefined) ?? dr.ref.namespace;
  const path = ['spec', 'subsets', index, 'labels'];
  const field = `subsets[${index}].labels`;
  if ((await workloadsSelected(repo, namespace, { ...selector, ...labels })).length > 0) return [];
  const ofService = svc && Object.keys(selector).length ? await workloadsSelected(repo, namespace, selector) : [];
  if (ofService.length === 0) {
    const why = svc ? `no workload of Service ${objectLabel(svc.ref)} is in the repo` : `no workload in the repo has these labels`;
    return [findingAt(dr, path, field, 'warning', 'ISTIO_SUBSET_PODS_ELSEWHERE', `subset "${name}" (${labelText(labels)}): ${why}; assuming its pods are deployed from elsewhere`)];
  }
  return [
    findingAt(dr, path, field, severity, 'ISTIO_SUBSET_SELECTS_NOTHING',
      `subset "${name}" selects no pod: no workload of Service ${objectLabel(svc!.ref)} has ${labelText(labels)} in its pod template (${describeWorkloads(ofService, Object.keys(labels))})`),
  ];
}
