// Gateway API HTTPRoute backends: a Service backend must exist with the port named, and
// weights are integers from 0 to 1,000,000, read as proportions of the rule's total (a
// missing weight counts 1). A missing backend makes the gateway answer its share of
// requests with 500s; a rule whose weights are all 0 sends no request to any backend.
import { objectLabel } from '../plan.ts';
import { list, rec, str } from './data.ts';
import { findingAt } from './finding.ts';
import { sameNamespace, services } from './hosts.ts';
import { didYouMean, listOf, nearName } from './near.ts';
import type { Analyzer, Finding, RepoObject } from './types.ts';

// Gateway API's own limit for backendRef weights.
const MAX_WEIGHT = 1_000_000;

export const httpRouteBackends: Analyzer = {
  name: 'http-route-backends',
  kinds: ['HTTPRoute'],
  async analyze(route, repo) {
    if (!route.ref.apiVersion?.startsWith('gateway.networking.k8s.io/')) return [];
    const findings: Finding[] = [];
    const svcs = await services(repo);
    list(rec(route.value.spec)?.rules).forEach((rule, i) => {
      const refs = list(rec(rule)?.backendRefs);
      let total = 0;
      let valid = true;
      refs.forEach((raw, j) => {
        const ref = rec(raw);
        if (!ref) return;
        const path = ['spec', 'rules', i, 'backendRefs', j];
        const field = `rules[${i}].backendRefs[${j}]`;
        const w = ref.weight;
        if (w !== undefined && (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > MAX_WEIGHT)) {
          findings.push(findingAt(route, [...path, 'weight'], `${field}.weight`, 'error', 'GATEWAY_WEIGHT', `weight ${JSON.stringify(w)} is not an integer from 0 to ${MAX_WEIGHT}`));
          valid = false;
        } else total += w === undefined ? 1 : (w as number);
        const group = str(ref.group) ?? '';
        const kind = str(ref.kind) ?? 'Service';
        const name = str(ref.name);
        if ((group !== '' && group !== 'core') || kind !== 'Service' || name === undefined) return;
        findings.push(...serviceBackend(route, svcs, { name, namespace: str(ref.namespace) ?? route.ref.namespace, port: ref.port }, path, field));
      });
      // The API server accepts it, so a warning: maybe meant, as a way to drain a rule.
      if (valid && refs.length > 0 && total === 0) {
        findings.push(
          findingAt(route, ['spec', 'rules', i, 'backendRefs'], `rules[${i}].backendRefs`, 'warning', 'GATEWAY_WEIGHT_ZERO', `every backend of the rule has weight 0, so it sends no request to any backend`),
        );
      }
    });
    return findings;
  },
};

function serviceBackend(route: RepoObject, svcs: RepoObject[], ref: { name: string; namespace?: string; port: unknown }, path: (string | number)[], field: string): Finding[] {
  const inNamespace = svcs.filter((s) => sameNamespace(s.ref.namespace, ref.namespace));
  const svc = inNamespace.find((s) => s.ref.name === ref.name);
  const label = `Service ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  if (!svc) {
    const hint = nearName(ref.name, inNamespace.map((s) => s.ref.name));
    return hint
      ? [findingAt(route, [...path, 'name'], `${field}.name`, 'error', 'GATEWAY_UNKNOWN_BACKEND', `backend ${label} is not in the repo${didYouMean(hint)}`)]
      : [findingAt(route, [...path, 'name'], `${field}.name`, 'warning', 'GATEWAY_BACKEND_ELSEWHERE', `backend ${label} is not defined in the repo; assuming it is managed elsewhere`)];
  }
  if (ref.port === undefined) return [findingAt(route, path, field, 'error', 'GATEWAY_BACKEND_PORT', `a Service backend needs a port (${objectLabel(svc.ref)} has ${listOf(portsOf(svc).map(String))})`)];
  const ports = portsOf(svc);
  if (!ports.includes(ref.port as number)) {
    return [findingAt(route, [...path, 'port'], `${field}.port`, 'error', 'GATEWAY_BACKEND_PORT', `${objectLabel(svc.ref)} has no port ${JSON.stringify(ref.port)} (ports: ${listOf(ports.map(String))})`)];
  }
  return [];
}

function portsOf(svc: RepoObject): number[] {
  return list(rec(svc.value.spec)?.ports)
    .map((p) => rec(p)?.port)
    .filter((p): p is number => typeof p === 'number');
}
