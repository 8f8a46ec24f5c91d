// Which rule of a route the bot edits: the configured route name, else the one rule that
// holds both the stable and the canary backend, else the only rule that holds the
// stable one. Anything else is refused with the candidates listed by index and line.
import { describe, expect, it } from 'vitest';
import { gatewayHttpRoute as hr } from '../../../src/manifests/gateway-httproute.ts';
import { istioVirtualService as vs } from '../../../src/manifests/istio-virtualservice.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import type { TrafficSpec } from '../../../src/manifests/types.ts';
import { applySet, errorOf, readState, y } from './helpers.ts';

const hosts: TrafficSpec = { stable: { host: 'web' }, canary: { host: 'web-canary' } };

describe('HTTPRoute rule selection', () => {
  // The stable host in two rules without names; only the second also holds the canary.
  const src = y`
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: web, namespace: shop}
    spec:
      rules:
      - matches:
        - path: {type: PathPrefix, value: /static}
        backendRefs:
        - name: web
          port: 80
      - backendRefs:
        - name: web
          port: 80
          weight: 9
        - name: web-canary
          port: 80
          weight: 1
  `;

  it('picks the rule that holds both the stable and the canary backend', () => {
    expect(readState(hr, src, hosts)).toEqual({ stable: 90, canary: 10, others: 0 });
    const out = applySet(hr, src, hosts, 50);
    expect(out.text).toBe(src.replace('weight: 9\n', 'weight: 50\n').replace('weight: 1\n', 'weight: 50\n'));
    expect(out.changes.map((c) => c.edit.field)).toEqual(['spec.rules[1].backendRefs[0].weight', 'spec.rules[1].backendRefs[1].weight']);
  });

  it('refuses two rules that both hold the stable backend and neither the canary, listing them by index and line', () => {
    const two = src.replace(/ {4}- name: web-canary\n.*\n.*\n/, '').replace('weight: 9\n', '');
    const e = errorOf(() => hr.set(parseManifest('apps/web/route.yaml', two), hosts, 10));
    expect(e.code).toBe('TRAFFIC_AMBIGUOUS_ROUTE');
    expect(e.message).toBe(
      'apps/web/route.yaml:1 HTTPRoute/shop/web: 2 rules send traffic to host web: spec.rules[0] (line 6), spec.rules[1] (line 11); ' +
        'set traffic.route to the name of the rule to edit (give the rule a `name:` first)',
    );
  });

  it('refuses two rules that both hold both backends, listing them with their names', () => {
    const twice = y`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: web}
      spec:
        rules:
        - name: beta
          matches: [{headers: [{name: x-beta, value: "1"}]}]
          backendRefs:
          - {name: web, weight: 50}
          - {name: web-canary, weight: 50}
        - name: everyone
          backendRefs:
          - {name: web, weight: 90}
          - {name: web-canary, weight: 10}
    `;
    const e = errorOf(() => readState(hr, twice, hosts));
    expect(e.code).toBe('TRAFFIC_AMBIGUOUS_ROUTE');
    expect(e.message).toContain('2 rules send traffic to host web and host web-canary: spec.rules[0] "beta" (line 6), spec.rules[1] "everyone" (line 11); set traffic.route');
    expect(readState(hr, twice, { ...hosts, route: 'everyone' })).toEqual({ stable: 90, canary: 10, others: 0 });
  });
});

describe('VirtualService route selection', () => {
  const src = y`
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: web, namespace: shop}
    spec:
      hosts: [web.example.com]
      http:
      - match:
        - uri: {prefix: /admin}
        route:
        - destination: {host: web}
      - route:
        - destination: {host: web}
          weight: 80
        - destination: {host: web-canary}
          weight: 20
      - route:
        - destination: {host: web}
  `;

  it('picks the route that holds both hosts among routes that all hold the stable one', () => {
    expect(readState(vs, src, hosts)).toEqual({ stable: 80, canary: 20, others: 0 });
    const out = applySet(vs, src, hosts, 30);
    expect(out.text).toBe(src.replace('weight: 80', 'weight: 70').replace('weight: 20', 'weight: 30'));
    expect(out.changes[0].edit.field).toBe('spec.http[1].route[0].weight');
  });

  it('refuses when the stable host is in several routes and the canary in none, listing them', () => {
    const e = errorOf(() => vs.read(parseManifest('vs.yaml', src), { stable: { host: 'web' }, canary: { host: 'web-next' } }));
    expect(e.code).toBe('TRAFFIC_AMBIGUOUS_ROUTE');
    expect(e.message).toContain('3 routes send traffic to host web: spec.http[0] (line 7), spec.http[1] (line 11), spec.http[2] (line 16); set traffic.route');
  });

  it('still takes the configured route name first', () => {
    const named = src.replace(/ {2}- route:\n( {4}- destination: \{host: web\}\n)$/, '  - name: rest\n    route:\n$1');
    const out = applySet(vs, named, { ...hosts, route: 'rest' }, 10);
    expect(out.changes.map((c) => c.edit.field)).toEqual(['spec.http[rest].route[0].weight', 'spec.http[rest].route[1].weight']);
  });
});
