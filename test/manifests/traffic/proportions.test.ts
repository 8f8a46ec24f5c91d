// Weights as proportions of a rule's total, the way Gateway API and Istio read them:
// the HTTPRoutes real repositories write (9/1, 10/0, 1/1, no weights), Istio's omitted
// and single-destination weights, and the refusals that remain.
import { describe, expect, it } from 'vitest';
import { gatewayHttpRoute as hr } from '../../../src/manifests/gateway-httproute.ts';
import { istioVirtualService as vs } from '../../../src/manifests/istio-virtualservice.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import type { TrafficSpec } from '../../../src/manifests/types.ts';
import { applySet, errorOf, readState, y } from './helpers.ts';

const spec: TrafficSpec = { stable: { host: 'web' }, canary: { host: 'web-canary' } };

/** An HTTPRoute whose one rule has these backends; `undefined` = no weight key. */
function route(backends: [string, number | undefined][]): string {
  const lines = ['apiVersion: gateway.networking.k8s.io/v1', 'kind: HTTPRoute', 'metadata:', '  name: web', '  namespace: shop', 'spec:', '  rules:', '  - backendRefs:'];
  for (const [name, weight] of backends) {
    lines.push(`    - name: ${name}`, '      port: 80');
    if (weight !== undefined) lines.push(`      weight: ${weight}`);
  }
  return lines.join('\n') + '\n';
}

const weightsOf = (values: unknown[]) =>
  (values[0] as { spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] } }).spec.rules[0].backendRefs.map((b) => [b.name, b.weight]);

describe('Gateway API weights are proportions of the rule total', () => {
  it('reads 9/1 as 90/10 and moves it to 75/25, rescaled to a total of 100', () => {
    const src = route([['web', 9], ['web-canary', 1]]);
    expect(readState(hr, src, spec)).toEqual({ stable: 90, canary: 10, others: 0 });
    const out = applySet(hr, src, spec, 25);
    expect(out.text).toBe(route([['web', 75], ['web-canary', 25]]));
    expect(out.changes.map((c) => [c.edit.field, c.edit.old, c.edit.new])).toEqual([
      ['spec.rules[0].backendRefs[0].weight', 9, 75],
      ['spec.rules[0].backendRefs[1].weight', 1, 25],
    ]);
  });

  it('leaves 9/1 alone when the canary already has 10 %', () => {
    expect(hr.set(parseManifest('r.yaml', route([['web', 9], ['web-canary', 1]])), spec, 10).changes).toEqual([]);
  });

  it('reads 10/0 as 100/0 and 1/1 as 50/50', () => {
    expect(readState(hr, route([['web', 10], ['web-canary', 0]]), spec)).toEqual({ stable: 100, canary: 0, others: 0 });
    expect(applySet(hr, route([['web', 10], ['web-canary', 0]]), spec, 10).text).toBe(route([['web', 90], ['web-canary', 10]]));
    expect(readState(hr, route([['web', 1], ['web-canary', 1]]), spec)).toEqual({ stable: 50, canary: 50, others: 0 });
    expect(applySet(hr, route([['web', 1], ['web-canary', 1]]), spec, 60).text).toBe(route([['web', 40], ['web-canary', 60]]));
  });

  it('counts a missing weight as 1: two backends without weights are 50/50', () => {
    const src = route([['web', undefined], ['web-canary', undefined]]);
    expect(readState(hr, src, spec)).toEqual({ stable: 50, canary: 50, others: 0 });
    const out = applySet(hr, src, spec, 10);
    expect(out.text).toBe(route([['web', 90], ['web-canary', 10]]));
    expect(out.changes.map((c) => [c.edit.old, c.edit.new])).toEqual([
      [null, 90],
      [null, 10],
    ]);
  });

  it('splits a single backend the same way with or without `weight: 1`', () => {
    const bare = route([['web', undefined]]);
    const one = route([['web', 1]]);
    expect(readState(hr, bare, spec)).toEqual({ stable: 100, canary: 0, others: 0 });
    expect(readState(hr, one, spec)).toEqual({ stable: 100, canary: 0, others: 0 });
    const split = route([['web', 80], ['web-canary', 20]]);
    expect(applySet(hr, bare, spec, 20).text).toBe(split);
    expect(applySet(hr, one, spec, 20).text).toBe(split);
    // the first step of an unsplit route at 0 % writes nothing
    expect(hr.set(parseManifest('r.yaml', bare), spec, 0).changes).toEqual([]);
    expect(hr.set(parseManifest('r.yaml', one), spec, 0).changes).toEqual([]);
  });

  it('keeps the share of other backends, each within a point of its exact share', () => {
    // 2/1/1: legacy holds 25 %, and keeps it
    const src = route([['web', 2], ['web-canary', 1], ['web-legacy', 1]]);
    expect(readState(hr, src, spec)).toEqual({ stable: 50, canary: 25, others: 25 });
    expect(weightsOf(applySet(hr, src, spec, 40).values)).toEqual([
      ['web', 35],
      ['web-canary', 40],
      ['web-legacy', 25],
    ]);
    // three backends without weights: a third each; legacy gets 33 (33.3 rounded)
    const bare = route([['web', undefined], ['web-canary', undefined], ['web-legacy', undefined]]);
    expect(readState(hr, bare, spec)).toEqual({ stable: 34, canary: 33, others: 33 });
    expect(weightsOf(applySet(hr, bare, spec, 10).values)).toEqual([
      ['web', 57],
      ['web-canary', 10],
      ['web-legacy', 33],
    ]);
  });

  it('rewrites other backends only when the total was not 100', () => {
    const src = route([['web', 60], ['web-canary', 10], ['web-legacy', 30]]);
    const out = applySet(hr, src, spec, 20);
    expect(out.text).toBe(route([['web', 50], ['web-canary', 20], ['web-legacy', 30]]));
    expect(out.changes).toHaveLength(2);
  });

  it('refuses a canary share the other backends do not leave room for, naming file, object and field', () => {
    const src = route([['web', 1], ['web-canary', 0], ['web-legacy', 1]]);
    const e = errorOf(() => hr.set(parseManifest('apps/web/route.yaml', src), spec, 60));
    expect(e.code).toBe('TRAFFIC_WEIGHT_UNAVAILABLE');
    expect(e.message).toBe('apps/web/route.yaml:1 HTTPRoute/shop/web spec.rules[0].backendRefs: canary weight 60 exceeds the 50 left after other destinations (50)');
    // up to what the others leave, it works: legacy keeps 50, the stable goes to 0
    expect(weightsOf(applySet(hr, src, spec, 50).values)).toEqual([
      ['web', 0],
      ['web-canary', 50],
      ['web-legacy', 50],
    ]);
  });

  it('refuses a rule whose weights are all 0: it serves nothing', () => {
    for (const src of [route([['web', 0], ['web-canary', 0]]), route([['web', 0]])]) {
      const e = errorOf(() => hr.set(parseManifest('apps/web/route.yaml', src), spec, 10));
      expect(e.code).toBe('TRAFFIC_WEIGHT_ZERO');
      expect(e.message).toContain('apps/web/route.yaml:1 HTTPRoute/shop/web spec.rules[0].backendRefs: ');
      expect(e.message).toContain('serves no traffic');
      expect(errorOf(() => readState(hr, src, spec)).code).toBe('TRAFFIC_WEIGHT_ZERO');
    }
  });

  it('accepts weights up to the Gateway API maximum, and not beyond', () => {
    const big = route([['web', 999_999], ['web-canary', 1]]);
    expect(readState(hr, big, spec)).toEqual({ stable: 100, canary: 0, others: 0 });
    expect(applySet(hr, big, spec, 5).text).toBe(route([['web', 95], ['web-canary', 5]]));
    expect(errorOf(() => readState(hr, route([['web', 1_000_001]]), spec)).code).toBe('TRAFFIC_WEIGHT_RANGE');
  });
});

describe('Istio weights as Istio validates them', () => {
  const subsets: TrafficSpec = { stable: { subset: 'stable' }, canary: { subset: 'canary' } };
  const vsOf = (dests: [string, number | undefined][]) =>
    y`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: web, namespace: shop}
      spec:
        hosts: [web]
        http:
        - route:
    ` +
    dests.map(([s, w]) => `    - destination: {host: web, subset: ${s}}\n` + (w === undefined ? '' : `      weight: ${w}\n`)).join('');

  it('reads weights relative to their total (Istio 1.15 and later) and writes a total of 100', () => {
    const src = vsOf([['stable', 3], ['canary', 1]]);
    expect(readState(vs, src, subsets)).toEqual({ stable: 75, canary: 25, others: 0 });
    expect(applySet(vs, src, subsets, 50).text).toBe(vsOf([['stable', 50], ['canary', 50]]));
  });

  it('reads an omitted weight beside others as 0', () => {
    const src = vsOf([['stable', 1], ['canary', 1], ['legacy', undefined]]);
    expect(readState(vs, src, subsets)).toEqual({ stable: 50, canary: 50, others: 0 });
    // the unweighted destination keeps its 0 without a weight being written on it
    expect(applySet(vs, src, subsets, 20).text).toBe(vsOf([['stable', 80], ['canary', 20], ['legacy', undefined]]));
  });

  it('gives a single destination all traffic whatever its weight', () => {
    for (const w of [0, 1, 100]) {
      const src = vsOf([['stable', w]]);
      expect(readState(vs, src, subsets)).toEqual({ stable: 100, canary: 0, others: 0 });
      expect(vs.set(parseManifest('a.yaml', src), subsets, 0).changes).toEqual([]);
      expect(applySet(vs, src, subsets, 10).text).toBe(vsOf([['stable', 90], ['canary', 10]]));
    }
  });

  it('refuses destinations that all weigh 0, which Istio rejects', () => {
    const e = errorOf(() => vs.set(parseManifest('vs.yaml', vsOf([['stable', 0], ['canary', 0]])), subsets, 10));
    expect(e.code).toBe('TRAFFIC_WEIGHT_ZERO');
    expect(e.message).toContain('vs.yaml:1 VirtualService/shop/web spec.http[0].route: ');
  });

  it('accepts weights above 100 but not negative ones', () => {
    expect(readState(vs, vsOf([['stable', 900], ['canary', 100]]), subsets)).toEqual({ stable: 90, canary: 10, others: 0 });
    expect(errorOf(() => readState(vs, vsOf([['stable', -1], ['canary', 1]]), subsets)).code).toBe('TRAFFIC_WEIGHT_RANGE');
    expect(errorOf(() => readState(vs, vsOf([['stable', 2 ** 31], ['canary', 1]]), subsets)).code).toBe('TRAFFIC_WEIGHT_RANGE');
  });
});
