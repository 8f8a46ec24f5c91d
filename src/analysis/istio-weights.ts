// Route weights as Istio's validation accepts them: integers 0-100 and, with more than
// one destination, a sum of exactly 100. The API server refuses anything else, so Flux
// would stop applying the whole Kustomization.
import { findingAt } from './finding.ts';
import { isIstio, routeLists } from './istio-routes.ts';
import type { Analyzer, Finding } from './types.ts';

export const istioWeights: Analyzer = {
  name: 'istio-weights',
  kinds: ['VirtualService'],
  async analyze(vs) {
    if (!isIstio(vs)) return [];
    const findings: Finding[] = [];
    for (const r of routeLists(vs)) {
      let sum = 0;
      let valid = true;
      for (const d of r.destinations) {
        if (d.weight === undefined || d.weight === null) continue;
        if (typeof d.weight !== 'number' || !Number.isInteger(d.weight) || d.weight < 0 || d.weight > 100) {
          findings.push(findingAt(vs, [...d.path, 'weight'], `${d.field}.weight`, 'error', 'ISTIO_WEIGHT_RANGE', `weight ${JSON.stringify(d.weight)} is not an integer from 0 to 100`));
          valid = false;
        } else sum += d.weight;
      }
      if (valid && r.destinations.length > 1 && sum !== 100) {
        findings.push(findingAt(vs, r.path, r.field, 'error', 'ISTIO_WEIGHT_SUM', `weights of the ${r.destinations.length} destinations sum to ${sum}, not 100`));
      }
    }
    return findings;
  },
};
