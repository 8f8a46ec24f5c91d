// Weight arithmetic, object selection and ownership refusals of the VirtualService editor.
import { describe, expect, it } from 'vitest';
import { istioVirtualService as vs, checkNotOwned } from '../../../src/manifests/istio-virtualservice.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import type { TrafficSpec } from '../../../src/manifests/types.ts';
import { applySet, errorOf, readState, y } from './helpers.ts';

const subsets: TrafficSpec = { stable: { subset: 'stable' }, canary: { subset: 'canary' } };
const hosts: TrafficSpec = { stable: { host: 'podinfo-primary' }, canary: { host: 'podinfo-canary' } };

describe('istio VirtualService: other destinations and invalid weights', () => {
  const three = (a: string, b: string, c: string) => y`
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: podinfo, namespace: web}
    spec:
      http:
      - name: primary
        route:
        - destination: {host: podinfo, subset: stable}
          weight: ${a}
        - destination: {host: podinfo, subset: canary}
          weight: ${b}
        - destination: {host: podinfo-legacy}
          weight: ${c}
  `;

  it('keeps the weight of other destinations and gives the stable the rest', () => {
    const src = three('60', '10', '30');
    expect(readState(vs, src, subsets)).toEqual({ stable: 60, canary: 10, others: 30 });
    const out = applySet(vs, src, subsets, 70);
    expect(out.text).toBe(three('0', '70', '30'));
  });

  it('refuses a canary weight larger than what the others leave', () => {
    const e = errorOf(() => vs.set(parseManifest('a.yaml', three('60', '10', '30')), subsets, 71));
    expect(e.code).toBe('TRAFFIC_WEIGHT_UNAVAILABLE');
    expect(e.message).toContain('71 exceeds the 70 left');
    expect(e.message).toContain('VirtualService/web/podinfo');
  });

  it('reads weights that do not add up to 100 as proportions and rescales them to 100', () => {
    expect(readState(vs, three('60', '10', '20'), subsets)).toEqual({ stable: 67, canary: 11, others: 22 });
    // legacy keeps its 22.2 % as 22; the stable takes the rest
    expect(applySet(vs, three('60', '10', '20'), subsets, 10).text).toBe(three('68', '10', '22'));
  });

  it('refuses weights that are not integers, naming the field and line', () => {
    for (const bad of ['10.5', '10.0', '"10"', '1e1']) {
      const e = errorOf(() => vs.read(parseManifest('vs.yaml', three('60', bad, '30')), subsets));
      expect(e.code).toBe('TRAFFIC_WEIGHT_NOT_INTEGER');
      expect(e.message).toContain('vs.yaml:11 VirtualService/web/podinfo spec.http[primary].route[1].weight');
    }
    const e = errorOf(() => vs.read(parseManifest('vs.yaml', three('160', '-60', '0')), subsets));
    expect(e.code).toBe('TRAFFIC_WEIGHT_RANGE');
  });

  it('refuses canary weights that are not integers 0..100', () => {
    for (const bad of [-1, 101, 2.5, Number.NaN]) {
      expect(errorOf(() => vs.set(parseManifest('a.yaml', three('60', '10', '30')), subsets, bad)).code).toBe('TRAFFIC_WEIGHT_INVALID');
    }
  });

  it('inserts a missing weight on a managed destination of a multi-destination route', () => {
    const src = y`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: podinfo}
      spec:
        http:
        - route:
          - destination: {host: podinfo, subset: stable}
          - destination: {host: podinfo, subset: canary}
            weight: 0
    `;
    const out = applySet(vs, src, subsets, 15);
    expect(out.text).toBe(src.replace('subset: stable}\n', 'subset: stable}\n      weight: 85\n').replace('weight: 0', 'weight: 15'));
  });

  it('refuses when stable and canary match the same destination', () => {
    const e = errorOf(() => readState(vs, three('60', '10', '30'), { stable: { host: 'podinfo-legacy' }, canary: { host: 'podinfo-legacy' } }));
    expect(e.code).toBe('TRAFFIC_SAME_BACKEND');
  });

  it('rejects a malformed backend spec', () => {
    const e = errorOf(() => readState(vs, three('60', '10', '30'), { stable: { host: '' }, canary: { subset: 'canary' } }));
    expect(e.code).toBe('TRAFFIC_SPEC');
  });
});

describe('istio VirtualService: choosing among several objects', () => {
  const multi = y`
    apiVersion: networking.istio.io/v1
    kind: Gateway
    metadata: {name: public}
    spec:
      selector: {istio: ingressgateway}
    ---
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: frontend}
    spec:
      http:
      - route:
        - destination: {host: frontend, subset: stable}
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: podinfo}
    spec:
      host: podinfo
    ---
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: podinfo}
    spec:
      http:
      - route:
        - destination: {host: podinfo, subset: stable}
          weight: 95
        - destination: {host: podinfo, subset: canary}
          weight: 5
  `;

  it('picks the VirtualService routing to both backends', () => {
    const out = applySet(vs, multi, subsets, 50);
    expect(out.changes.every((c) => c.docIndex === 3 && c.edit.object.name === 'podinfo')).toBe(true);
    expect(out.text).toBe(multi.replace('weight: 95', 'weight: 50').replace('weight: 5\n', 'weight: 50\n'));
  });

  it('falls back to the only one routing to the stable backend', () => {
    const spec: TrafficSpec = { stable: { subset: 'stable', host: 'frontend' }, canary: { subset: 'canary', host: 'frontend' } };
    expect(applySet(vs, multi, spec, 1).changes[0].docIndex).toBe(1);
  });

  it('refuses when several VirtualServices qualify', () => {
    const e = errorOf(() => vs.read(parseManifest('m.yaml', multi), { stable: { subset: 'stable' }, canary: { subset: 'next' } }));
    expect(e.code).toBe('TRAFFIC_AMBIGUOUS_OBJECT');
    expect(e.message).toContain('VirtualService/frontend, VirtualService/podinfo');
  });

  it('reports a file without a VirtualService', () => {
    expect(errorOf(() => vs.read(parseManifest('m.yaml', 'kind: ConfigMap\nmetadata: {name: x}\n'), subsets)).code).toBe('TRAFFIC_NOT_FOUND');
  });
});

describe('istio VirtualService: objects another controller manages', () => {
  const owned = y`
    apiVersion: networking.istio.io/v1beta1
    kind: VirtualService
    metadata:
      name: podinfo
      namespace: test
      ownerReferences:
      - apiVersion: flagger.app/v1beta1
        kind: Canary
        name: podinfo
        uid: 0d3f-example
        controller: true
    spec:
      http:
      - route:
        - destination: {host: podinfo-primary}
          weight: 100
        - destination: {host: podinfo-canary}
          weight: 0
  `;

  it('refuses a VirtualService owned by a Flagger Canary', () => {
    const e = errorOf(() => vs.set(parseManifest('vs.yaml', owned), hosts, 10));
    expect(e.code).toBe('TRAFFIC_OWNED');
    expect(e.message).toContain('owned by Flagger Canary podinfo; let Flagger manage its weights');
    expect(e.message).toContain('VirtualService/test/podinfo');
  });

  it('still reads its weights', () => {
    expect(readState(vs, owned, hosts)).toEqual({ stable: 100, canary: 0, others: 0 });
  });

  for (const key of ['annotations', 'labels']) {
    it(`refuses a VirtualService with reconcile disabled in its ${key}`, () => {
      const src = owned.replace(/ {2}ownerReferences:[\s\S]*?controller: true\n/, `  ${key}:\n    kustomize.toolkit.fluxcd.io/reconcile: disabled\n`);
      const e = errorOf(() => vs.set(parseManifest('vs.yaml', src), hosts, 10));
      expect(e.code).toBe('TRAFFIC_RECONCILE_DISABLED');
      expect(e.location.field).toBe(`metadata.${key}["kustomize.toolkit.fluxcd.io/reconcile"]`);
    });
  }

  it('checkNotOwned accepts an ordinary object', () => {
    const doc = parseManifest('d.yaml', 'kind: Deployment\nmetadata:\n  name: x\n  annotations: {kustomize.toolkit.fluxcd.io/reconcile: enabled}\n').docs[0];
    expect(() => checkNotOwned(doc, { file: 'd.yaml' })).not.toThrow();
  });
});
