// Workloads and the labels of the pods they create: what a Service selector or a
// DestinationRule subset selects.
import { labelText, rec, stringMap } from './data.ts';
import type { RepoObject, RepoView } from './types.ts';
import { sameNamespace } from './hosts.ts';
import { objectLabel } from '../plan.ts';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Pod', 'Rollout'] as const;

export function podLabels(w: RepoObject): Record<string, string> {
  const spec = rec(w.value.spec);
  if (w.ref.kind === 'Pod') return stringMap(rec(w.value.metadata)?.labels);
  const template = w.ref.kind === 'CronJob' ? rec(rec(rec(spec?.jobTemplate)?.spec)?.template) : rec(spec?.template);
  return stringMap(rec(template?.metadata)?.labels);
}

export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Workloads in `namespace` whose pods carry every label of `selector`. The values are
 *  the screen: a file declaring such pods contains each of them. */
export async function workloadsSelected(repo: RepoView, namespace: string | undefined, selector: Record<string, string>): Promise<RepoObject[]> {
  const tokens = Object.values(selector).filter((v) => v !== '');
  if (tokens.length === 0) return [];
  const found = await repo.objects(WORKLOAD_KINDS, [tokens[0]]);
  return found.filter((w) => sameNamespace(w.ref.namespace, namespace) && selects(selector, podLabels(w)));
}

export function describeWorkloads(ws: RepoObject[], keys: string[]): string {
  return ws
    .slice(0, 5)
    .map((w) => {
      const labels = podLabels(w);
      const shown = Object.fromEntries(keys.filter((k) => k in labels).map((k) => [k, labels[k]]));
      return `${objectLabel(w.ref)} ${labelText(shown)}`;
    })
    .join('; ');
}
