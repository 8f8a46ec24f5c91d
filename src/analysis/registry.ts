// Every analyzer, listed explicitly (as the editors are): adding a check is adding a
// line here.
import { destinationRuleSubsets } from './destination-rules.ts';
import { httpRouteBackends } from './http-routes.ts';
import { imageReferences } from './image-refs.ts';
import { istioDestinations } from './istio-destinations.ts';
import { istioWeights } from './istio-weights.ts';
import type { Analyzer } from './types.ts';

export const ANALYZERS: readonly Analyzer[] = [istioDestinations, istioWeights, destinationRuleSubsets, httpRouteBackends, imageReferences];

export function analyzersFor(kind: string): Analyzer[] {
  return ANALYZERS.filter((a) => a.kinds.includes(kind));
}
