// A DestinationRule's own references: its host, and that each subset selects pods.
import { rec, str } from './data.ts';
import { checkHost } from './host-check.ts';
import { isIstio } from './istio-routes.ts';
import { subsetNames, subsetSelectsPods } from './subsets.ts';
import type { Analyzer, Finding } from './types.ts';

export const destinationRuleSubsets: Analyzer = {
  name: 'destination-rule',
  kinds: ['DestinationRule'],
  async analyze(dr, repo) {
    if (!isIstio(dr)) return [];
    const host = str(rec(dr.value.spec)?.host);
    if (host === undefined) return [];
    const findings: Finding[] = [...(await checkHost(dr, host, ['spec', 'host'], 'host', repo)).findings];
    // whether traffic goes to a subset is the routes' business (istio-destinations.ts):
    // here a subset that selects nothing is only worth a warning
    for (const name of subsetNames(dr)) findings.push(...(await subsetSelectsPods(dr, name, repo, 'warning')));
    return findings;
  },
};
