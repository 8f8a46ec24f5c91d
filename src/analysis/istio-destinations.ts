// VirtualService destinations: each host resolves, and each subset is defined by the
// host's DestinationRule and selects pods. A destination that resolves nowhere gets its
// weight's share of requests answered with 503s.
import { findingAt } from './finding.ts';
import { checkHost } from './host-check.ts';
import { destinationRules, ruleHost, sameHost } from './hosts.ts';
import { isIstio, routeLists, type RouteDestination } from './istio-routes.ts';
import { didYouMean, listOf, nearName } from './near.ts';
import { subsetNames, subsetSelectsPods } from './subsets.ts';
import type { Analyzer, Finding } from './types.ts';

/** A lone destination takes all the traffic; among several, one without a weight takes
 *  none, as Istio reads it. */
function sendsTraffic(d: RouteDestination, destinations: number): boolean {
  return typeof d.weight === 'number' ? d.weight > 0 : destinations === 1;
}

export const istioDestinations: Analyzer = {
  name: 'istio-destinations',
  kinds: ['VirtualService'],
  async analyze(vs, repo) {
    if (!isIstio(vs)) return [];
    const findings: Finding[] = [];
    const rules = await destinationRules(repo);
    for (const [d, sends] of routeLists(vs).flatMap((r) => r.destinations.map((x) => [x, sendsTraffic(x, r.destinations.length)] as const))) {
      if (d.host === undefined) continue; // a missing host is the schema's finding
      const checked = await checkHost(vs, d.host, [...d.path, 'destination', d.hostKey], `${d.field}.destination.${d.hostKey}`, repo);
      findings.push(...checked.findings);
      if (d.subset === undefined || checked.findings.some((f) => f.severity === 'error')) continue;
      const path = [...d.path, 'destination', 'subset'];
      const field = `${d.field}.destination.subset`;
      const owners = rules.filter((r) => {
        const h = ruleHost(r);
        return h !== undefined && sameHost(h, checked.host);
      });
      if (owners.length === 0) {
        findings.push(findingAt(vs, path, field, 'warning', 'ISTIO_RULE_ELSEWHERE', `subset "${d.subset}": no DestinationRule for host ${checked.host} in the repo; assuming it is managed elsewhere`));
        continue;
      }
      const defined = [...new Set(owners.flatMap(subsetNames))];
      if (!defined.includes(d.subset)) {
        const by = owners.map((r) => `${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name}`).join(', ');
        findings.push(findingAt(vs, path, field, 'error', 'ISTIO_UNKNOWN_SUBSET', `subset "${d.subset}" is not defined by DestinationRule ${by} (defines ${listOf(defined)})${didYouMean(nearName(d.subset, defined))}`));
        continue;
      }
      for (const dr of owners.filter((r) => subsetNames(r).includes(d.subset!))) findings.push(...(await subsetSelectsPods(dr, d.subset, repo, sends ? 'error' : 'warning')));
    }
    return findings;
  },
};

