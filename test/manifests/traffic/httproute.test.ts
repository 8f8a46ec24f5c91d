import { describe, expect, it } from 'vitest';
import { gatewayHttpRoute as hr } from '../../../src/manifests/gateway-httproute.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import type { TrafficSpec } from '../../../src/manifests/types.ts';
import { applySet, errorOf, readState, y } from './helpers.ts';

const spec: TrafficSpec = { stable: { host: 'web-primary' }, canary: { host: 'web-canary' } };

const weighted = (apiVersion: string) => y`
  apiVersion: ${apiVersion}
  kind: HTTPRoute
  metadata:
    name: web
    namespace: shop
  spec:
    parentRefs:
    - name: public
      namespace: gateways
    hostnames: ["web.example.com"]
    rules:
    - matches:
      - path: {type: PathPrefix, value: /}
      backendRefs:
      - name: web-primary
        port: 8080
        weight: 90
      - name: web-canary
        port: 8080
        weight: 10
`;

describe('gateway API HTTPRoute', () => {
  for (const v of ['v1', 'v1beta1', 'v1alpha2']) {
    it(`rewrites backendRef weights for gateway.networking.k8s.io/${v}`, () => {
      const src = weighted(`gateway.networking.k8s.io/${v}`);
      expect(readState(hr, src, spec)).toEqual({ stable: 90, canary: 10, others: 0 });
      const out = applySet(hr, src, spec, 35);
      expect(out.text).toBe(src.replace('weight: 90', 'weight: 65').replace('weight: 10', 'weight: 35'));
      expect(out.changes.map((c) => c.edit.field)).toEqual(['spec.rules[0].backendRefs[0].weight', 'spec.rules[0].backendRefs[1].weight']);
      expect(out.changes[0].edit.object).toMatchObject({ kind: 'HTTPRoute', namespace: 'shop', name: 'web' });
    });
  }

  it('matches by port when one is given', () => {
    const src = weighted('gateway.networking.k8s.io/v1');
    expect(readState(hr, src, { stable: { host: 'web-primary', port: 8080 }, canary: { host: 'web-canary', port: 8080 } }).stable).toBe(90);
    expect(errorOf(() => readState(hr, src, { stable: { host: 'web-primary', port: 80 }, canary: { host: 'web-canary' } })).code).toBe(
      'TRAFFIC_BACKEND_NOT_FOUND',
    );
  });

  it('rejects subset backends', () => {
    const e = errorOf(() => readState(hr, weighted('gateway.networking.k8s.io/v1'), { stable: { subset: 'a' }, canary: { subset: 'b' } }));
    expect(e.code).toBe('TRAFFIC_SPEC');
    expect(e.message).toContain('not subsets');
  });

  it('splits a single unweighted backend with explicit weights, copying port and namespace', () => {
    const src = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: web}
      spec:
        rules:
          - name: api
            backendRefs:
              - kind: Service
                name: 'web-primary'
                namespace: shop
                port: 8080
                filters:
                  - type: RequestHeaderModifier
                    requestHeaderModifier:
                      add: [{name: x-track, value: stable}]
          - name: static
            backendRefs:
              - name: assets
                port: 80
    `;
    expect(readState(hr, src, spec)).toEqual({ stable: 100, canary: 0, others: 0 });
    expect(hr.set(parseManifest('r.yaml', src), spec, 0).changes).toEqual([]);
    const out = applySet(hr, src, spec, 10);
    expect(out.text).toBe(
      src.replace(
        '[{name: x-track, value: stable}]\n',
        '[{name: x-track, value: stable}]\n' +
          '          weight: 90\n' +
          '        - kind: Service\n' +
          "          name: 'web-canary'\n" +
          '          namespace: shop\n' +
          '          port: 8080\n' +
          '          weight: 10\n',
      ),
    );
    const rules = (out.values[0] as { spec: { rules: { backendRefs: unknown[] }[] } }).spec.rules;
    expect(rules[0].backendRefs[1]).toEqual({ kind: 'Service', name: 'web-canary', namespace: 'shop', port: 8080, weight: 10 });
    expect(rules[1].backendRefs).toEqual([{ name: 'assets', port: 80 }]);
    expect(out.changes.map((c) => c.edit.field)).toEqual(['spec.rules[api].backendRefs[0].weight', 'spec.rules[api].backendRefs[1].weight']);
  });

  it('uses the canary port when given and the stable has none', () => {
    const src = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: web}
      spec:
        rules:
        - backendRefs:
          - name: web-primary
    `;
    const out = applySet(hr, src, { stable: { host: 'web-primary' }, canary: { host: 'web-canary', port: 9090 } }, 50);
    expect(out.text).toBe(src + '      weight: 50\n    - name: web-canary\n      port: 9090\n      weight: 50\n');
  });

  it('counts a missing weight as 1 and reads weights as proportions of their total', () => {
    const src = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: web, namespace: shop}
      spec:
        rules:
        - backendRefs:
          - name: web-primary
          - name: web-canary
    `;
    expect(readState(hr, src, spec)).toEqual({ stable: 50, canary: 50, others: 0 });
    expect(applySet(hr, src, spec, 10).text).toBe(src.replace('primary\n', 'primary\n      weight: 90\n') + '      weight: 10\n');
  });

  it('splits a single backend whatever its weight', () => {
    const src = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: web}
      spec:
        rules:
        - backendRefs:
          - name: web-primary
            weight: 1
    `;
    expect(readState(hr, src, spec)).toEqual({ stable: 100, canary: 0, others: 0 });
    for (const w of ['weight: 1', 'weight: 100']) {
      expect(applySet(hr, src.replace('weight: 1', w), spec, 20).values[0]).toMatchObject({
        spec: { rules: [{ backendRefs: [{ name: 'web-primary', weight: 80 }, { name: 'web-canary', weight: 20 }] }] },
      });
    }
  });

  it('keeps other backends and refuses more canary than they leave', () => {
    const src = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: web}
      spec:
        rules:
        - backendRefs:
          - {name: web-primary, port: 80, weight: 50}
          - {name: web-canary, port: 80, weight: 0}
          - {name: web-legacy, port: 80, weight: 50}
    `;
    expect(readState(hr, src, spec)).toEqual({ stable: 50, canary: 0, others: 50 });
    expect(applySet(hr, src, spec, 50).text).toBe(src.replace('80, weight: 50}', '80, weight: 0}').replace('canary, port: 80, weight: 0}', 'canary, port: 80, weight: 50}'));
    expect(errorOf(() => hr.set(parseManifest('r.yaml', src), spec, 51)).code).toBe('TRAFFIC_WEIGHT_UNAVAILABLE');
  });

  it('refuses non-integer weights and Flagger-owned routes', () => {
    const src = weighted('gateway.networking.k8s.io/v1');
    expect(errorOf(() => readState(hr, src.replace('weight: 10', 'weight: "10"'), spec)).code).toBe('TRAFFIC_WEIGHT_NOT_INTEGER');
    const owned = src.replace('  namespace: shop\n', '  namespace: shop\n  ownerReferences:\n  - {apiVersion: flagger.app/v1beta1, kind: Canary, name: web}\n');
    const e = errorOf(() => hr.set(parseManifest('r.yaml', owned), spec, 20));
    expect(e.code).toBe('TRAFFIC_OWNED');
    expect(e.message).toContain('HTTPRoute/shop/web');
  });

  it('chooses a rule by name and refuses to guess between rules', () => {
    const src = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: web}
      spec:
        rules:
        - name: beta-users
          matches: [{headers: [{name: x-beta, value: "1"}]}]
          backendRefs:
          - name: web-primary
            weight: 100
        - name: everyone
          backendRefs:
          - name: web-primary
            weight: 100
    `;
    expect(errorOf(() => readState(hr, src, spec)).code).toBe('TRAFFIC_AMBIGUOUS_ROUTE');
    const out = applySet(hr, src, { ...spec, route: 'everyone' }, 5);
    expect(out.text).toBe(src.replace(/weight: 100\n$/, 'weight: 95\n    - name: web-canary\n      weight: 5\n'));
  });

  it('handles only Gateway API HTTPRoutes', () => {
    expect(hr.handles({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: 'x' })).toBe(true);
    expect(hr.handles({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', name: 'x' })).toBe(false);
    expect(hr.screen('kind: HTTPRoute\n')).toBe(true);
    expect(hr.screen('kind: VirtualService\n')).toBe(false);
  });
});
