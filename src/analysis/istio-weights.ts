// Route weights as Istio's validation accepts them (1.15 and later, istio/istio#39544):
// each an integer from 0 to 2^31 - 1, read relative to the route's total; with more
// than one destination the total must be above 0 ("total destination weight = 0").
// The API server refuses anything else, so Flux would stop applying the whole
// Kustomization. Istio 1.14 and earlier also wanted a total of exactly 100; the bot
// always writes totals of 100, so its own changes pass both.
import { findingAt } from './finding.ts';
import { isIstio, routeLists } from './istio-routes.ts';
import type { Analyzer, Finding } from './types.ts';

// Istio's weight is an int32.
const MAX_WEIGHT = 2 ** 31 - 1;

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
        if (typeof d.weight !== 'number' || !Number.isInteger(d.weight) || d.weight < 0 || d.weight > MAX_WEIGHT) {
          findings.push(findingAt(vs, [...d.path, 'weight'], `${d.field}.weight`, 'error', 'ISTIO_WEIGHT_RANGE', `weight ${JSON.stringify(d.weight)} is not an integer from 0 to ${MAX_WEIGHT}`));
          valid = false;
        } else sum += d.weight;
      }
      // an omitted weight counts 0 beside other destinations
      if (valid && r.destinations.length > 1 && sum === 0) {
        findings.push(
          findingAt(vs, r.path, r.field, 'error', 'ISTIO_WEIGHT_SUM', `weights of the ${r.destinations.length} destinations add up to 0, so the route sends traffic nowhere (Istio refuses it)`),
        );
      }
    }
    return findings;
  },
};
