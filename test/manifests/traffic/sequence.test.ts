import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { istioVirtualService as vs } from '../../../src/manifests/istio-virtualservice.ts';
import { gatewayHttpRoute as hr } from '../../../src/manifests/gateway-httproute.ts';
import type { TrafficEditor, TrafficSpec } from '../../../src/manifests/types.ts';
import { applySet, readState, y } from './helpers.ts';

function walk(editor: TrafficEditor, start: string, spec: TrafficSpec) {
  let text = start;
  const seen: { stable: number; canary: number; others: number; changes: number }[] = [];
  for (const step of [0, 10, 60, 100, 0]) {
    const out = applySet(editor, text, spec, step);
    text = out.text;
    seen.push({ ...readState(editor, text, spec), changes: out.changes.length });
  }
  return { text, seen };
}

describe('canary weight sequence 0 -> 10 -> 60 -> 100 -> 0', () => {
  it('Istio: splits at the first traffic and keeps both destinations afterwards', () => {
    const src = y`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: podinfo, namespace: demo}
      spec:
        hosts: [podinfo]
        http:
        - name: primary
          route:
          - destination:
              host: podinfo
              subset: stable
    `;
    const { text, seen } = walk(vs, src, { stable: { subset: 'stable' }, canary: { subset: 'canary' } });
    expect(seen).toEqual([
      { stable: 100, canary: 0, others: 0, changes: 0 },
      { stable: 90, canary: 10, others: 0, changes: 2 },
      { stable: 40, canary: 60, others: 0, changes: 2 },
      { stable: 0, canary: 100, others: 0, changes: 2 },
      { stable: 100, canary: 0, others: 0, changes: 2 },
    ]);
    expect(text).toBe(src + '      weight: 100\n    - destination:\n        host: podinfo\n        subset: canary\n      weight: 0\n');
  });

  it('HTTPRoute: the same walk with Service backends', () => {
    const src = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: podinfo}
      spec:
        rules:
        - backendRefs:
          - name: podinfo-primary
            port: 9898
    `;
    const { text, seen } = walk(hr, src, { stable: { host: 'podinfo-primary' }, canary: { host: 'podinfo-canary' } });
    expect(seen.map((s) => [s.stable, s.canary, s.changes])).toEqual([
      [100, 0, 0],
      [90, 10, 2],
      [40, 60, 2],
      [0, 100, 2],
      [100, 0, 2],
    ]);
    expect(text).toBe(src + '      weight: 100\n    - name: podinfo-canary\n      port: 9898\n      weight: 0\n');
  });
});

describe('any sequence of canary weights', () => {
  const src = y`
    apiVersion: networking.istio.io/v1beta1
    kind: VirtualService
    metadata: {name: podinfo}
    spec:
      http:
      - route:
        - destination: {host: podinfo, subset: stable}
          weight: 70
        - destination: {host: podinfo-legacy}   # not managed
          weight: 30
  `;
  const spec: TrafficSpec = { stable: { subset: 'stable' }, canary: { subset: 'canary' } };

  it('reads back what was set, never touches the other destination, and ends where a direct set would', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 8 }), (steps) => {
        let text = src;
        for (const w of steps) {
          text = applySet(vs, text, spec, w).text;
          expect(readState(vs, text, spec)).toEqual({ stable: 70 - w, canary: w, others: 30 });
          expect(text).toContain('- destination: {host: podinfo-legacy}   # not managed\n      weight: 30\n');
        }
        const last = steps[steps.length - 1];
        const firstSplit = steps.findIndex((w) => w > 0);
        const direct = firstSplit === -1 ? src : applySet(vs, src, spec, last === 0 ? 1 : last).text;
        expect(text).toBe(last === 0 && firstSplit !== -1 ? direct.replace('weight: 1\n', 'weight: 0\n').replace('weight: 69', 'weight: 70') : direct);
      }),
      { numRuns: 60 },
    );
  });
});
