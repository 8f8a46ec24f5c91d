// Shapes of VirtualService routes the editor rewrites: apiVersions, subset and host
// splits, named routes, the first split of an unweighted route, the 2018 style.
import { describe, expect, it } from 'vitest';
import { istioVirtualService as vs } from '../../../src/manifests/istio-virtualservice.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import { EditError } from '../../../src/errors.ts';
import type { TrafficSpec } from '../../../src/manifests/types.ts';
import { applySet, errorOf, readState, y } from './helpers.ts';

const subsets: TrafficSpec = { stable: { subset: 'stable' }, canary: { subset: 'canary' } };
const hosts: TrafficSpec = { stable: { host: 'podinfo-primary' }, canary: { host: 'podinfo-canary' } };

const subsetSplit = (apiVersion: string) => y`
  apiVersion: ${apiVersion}
  kind: VirtualService
  metadata:
    name: podinfo
    namespace: web
  spec:
    hosts: [podinfo.example.com]
    http:
    - route:
      - destination:
          host: podinfo
          subset: stable
        weight: 90
      - destination:
          host: podinfo
          subset: canary
        weight: 10
`;

describe('istio VirtualService: subset split', () => {
  for (const v of ['v1alpha3', 'v1beta1', 'v1']) {
    it(`rewrites both weights in place for networking.istio.io/${v}`, () => {
      const src = subsetSplit(`networking.istio.io/${v}`);
      expect(readState(vs, src, subsets)).toEqual({ stable: 90, canary: 10, others: 0 });
      const out = applySet(vs, src, subsets, 40);
      expect(out.text).toBe(src.replace('weight: 90', 'weight: 60').replace('weight: 10', 'weight: 40'));
      expect(out.changes.map((c) => [c.edit.field, c.edit.old, c.edit.new])).toEqual([
        ['spec.http[0].route[0].weight', 90, 60],
        ['spec.http[0].route[1].weight', 10, 40],
      ]);
      expect(out.changes[0].edit.object).toMatchObject({ kind: 'VirtualService', namespace: 'web', name: 'podinfo' });
      expect(readState(vs, out.text, subsets)).toEqual({ stable: 60, canary: 40, others: 0 });
    });
  }

  it('returns no changes when the weights are already set', () => {
    const src = subsetSplit('networking.istio.io/v1');
    expect(vs.set(parseManifest('a.yaml', src), subsets, 10).changes).toEqual([]);
  });

  it('restricts a subset backend to a host when one is given', () => {
    const src = subsetSplit('networking.istio.io/v1');
    const e = errorOf(() => vs.read(parseManifest('a.yaml', src), { stable: { subset: 'stable', host: 'other' }, canary: { subset: 'canary' } }));
    expect(e.code).toBe('TRAFFIC_BACKEND_NOT_FOUND');
    expect(readState(vs, src, { stable: { subset: 'stable', host: 'podinfo' }, canary: { subset: 'canary', host: 'podinfo' } })).toEqual({
      stable: 90,
      canary: 10,
      others: 0,
    });
  });

  it('rejects an unsupported apiVersion', () => {
    const e = errorOf(() => readState(vs, subsetSplit('networking.istio.io/v9'), subsets));
    expect(e.code).toBe('TRAFFIC_API_VERSION');
    expect(e.message).toContain('VirtualService/web/podinfo');
  });

  it('handles only Istio VirtualServices', () => {
    expect(vs.handles({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', name: 'x' })).toBe(true);
    expect(vs.handles({ apiVersion: 'example.com/v1', kind: 'VirtualService', name: 'x' })).toBe(false);
    expect(vs.handles({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', name: 'x' })).toBe(false);
    expect(vs.screen('kind: VirtualService')).toBe(true);
    expect(vs.screen('kind: Deployment')).toBe(false);
  });
});

describe('istio VirtualService: host split', () => {
  const src = y`
    apiVersion: networking.istio.io/v1beta1
    kind: VirtualService
    metadata: {name: podinfo, namespace: web}
    spec:
      hosts: [podinfo]
      http:
        - route:
            - destination:
                host: podinfo-primary
                port:
                  number: 9898
              weight: 100
            - destination:
                host: podinfo-canary
                port:
                  number: 9898
              weight: 0
  `;

  it('matches destination.host, optionally with the port', () => {
    expect(readState(vs, src, hosts)).toEqual({ stable: 100, canary: 0, others: 0 });
    const withPort: TrafficSpec = { stable: { host: 'podinfo-primary', port: 9898 }, canary: { host: 'podinfo-canary', port: 9898 } };
    const out = applySet(vs, src, withPort, 25);
    expect(out.text).toBe(src.replace('weight: 100', 'weight: 75').replace('weight: 0', 'weight: 25'));
    const e = errorOf(() => readState(vs, src, { stable: { host: 'podinfo-primary', port: 80 }, canary: { host: 'podinfo-canary' } }));
    expect(e.code).toBe('TRAFFIC_BACKEND_NOT_FOUND');
  });

  it('appends a canary host copying the stable port when the route is unsplit', () => {
    const single = y`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: podinfo}
      spec:
        http:
          - route:
              - destination:
                  host: "podinfo-primary"
                  port:
                    number: 9898
    `;
    const out = applySet(vs, single, hosts, 5);
    expect(out.text).toBe(
      single +
        '          weight: 95\n' +
        '        - destination:\n' +
        '            host: "podinfo-canary"\n' +
        '            port:\n' +
        '              number: 9898\n' +
        '          weight: 5\n',
    );
  });
});

describe('istio VirtualService: named route among several', () => {
  const src = y`
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata:
      name: shop
      namespace: prod
    spec:
      hosts:
      - shop.example.com
      gateways: [istio-system/public]
      http:
      - name: testers
        match:
        - headers:
            x-canary:
              exact: "always"
        route:
        - destination:
            host: shop
            subset: canary
      - name: primary
        match:
        - uri:
            prefix: /api   # the API only
        retries:
          attempts: 3
          perTryTimeout: 2s
          retryOn: gateway-error,connect-failure
        fault:
          delay:
            percentage: {value: 0.5}
            fixedDelay: 5s
        mirror:
          host: shop-shadow
        mirrorPercentage:
          value: 10.0
        timeout: 10s
        headers:
          response:
            set: {x-served-by: primary}
        route:
        - destination:
            host: shop
            subset: stable
          weight: 80
        - destination:
            host: shop
            subset: canary
          weight: 20
      - name: fallback
        route:
        - destination:
            host: shop
            subset: stable
  `;

  it('edits only the two weights of the named route', () => {
    const out = applySet(vs, src, { ...subsets, route: 'primary' }, 50);
    expect(out.text).toBe(src.replace('weight: 80', 'weight: 50').replace('weight: 20', 'weight: 50'));
    expect(out.changes.map((c) => c.edit.field)).toEqual(['spec.http[primary].route[0].weight', 'spec.http[primary].route[1].weight']);
  });

  it('picks the one route holding both backends when several hold the stable one', () => {
    const out = applySet(vs, src, subsets, 50);
    expect(out.changes.map((c) => c.edit.field)).toEqual(['spec.http[primary].route[0].weight', 'spec.http[primary].route[1].weight']);
  });

  it('refuses to guess when several routes hold the stable backend and none the canary', () => {
    const e = errorOf(() => vs.set(parseManifest('shop.yaml', src), { stable: subsets.stable, canary: { subset: 'next' } }, 50));
    expect(e).toBeInstanceOf(EditError);
    expect(e.code).toBe('TRAFFIC_AMBIGUOUS_ROUTE');
    expect(e.message).toContain('spec.http[1] "primary" (line 20)');
    expect(e.message).toContain('spec.http[2] "fallback" (line 49)');
    expect(e.message).toContain('shop.yaml');
  });

  it('reports an unknown route name with the names it has', () => {
    const e = errorOf(() => vs.read(parseManifest('shop.yaml', src), { ...subsets, route: 'nope' }));
    expect(e.code).toBe('TRAFFIC_ROUTE_NOT_FOUND');
    expect(e.message).toContain('testers, primary, fallback');
  });
});

describe('istio VirtualService: first canary traffic on an unsplit route', () => {
  const src = y`
    apiVersion: networking.istio.io/v1beta1
    kind: VirtualService
    metadata:
      name: podinfo
    spec:
      hosts: [podinfo]
      http:
      - name: main
        route:
        - destination:
            host: podinfo
            subset: stable
        timeout: 5s
  `;

  it('reads an unweighted single destination as 100/0', () => {
    expect(readState(vs, src, subsets)).toEqual({ stable: 100, canary: 0, others: 0 });
  });

  it('leaves the route alone at 0%', () => {
    expect(vs.set(parseManifest('a.yaml', src), subsets, 0).changes).toEqual([]);
  });

  it('splits it: stable gets a weight, the canary is appended in the same style', () => {
    const out = applySet(vs, src, subsets, 10);
    expect(out.text).toBe(
      src.replace(
        '        subset: stable\n',
        '        subset: stable\n' + '      weight: 90\n' + '    - destination:\n' + '        host: podinfo\n' + '        subset: canary\n' + '      weight: 10\n',
      ),
    );
    const http = (out.values[0] as { spec: { http: unknown[] } }).spec.http;
    expect(http).toEqual([
      {
        name: 'main',
        route: [
          { destination: { host: 'podinfo', subset: 'stable' }, weight: 90 },
          { destination: { host: 'podinfo', subset: 'canary' }, weight: 10 },
        ],
        timeout: '5s',
      },
    ]);
    expect(out.changes.map((c) => [c.edit.field, c.edit.old, c.edit.new])).toEqual([
      ['spec.http[main].route[0].weight', null, 90],
      ['spec.http[main].route[1].weight', null, 10],
    ]);
  });

  it('keeps both destinations at 100/0 when the canary goes back to 0', () => {
    const split = applySet(vs, src, subsets, 10).text;
    const back = applySet(vs, split, subsets, 0);
    expect(back.text).toBe(split.replace('weight: 10\n', 'weight: 0\n').replace('weight: 90', 'weight: 100'));
  });

  it('uses a flow-style destination when the stable one is flow style', () => {
    const flow = y`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: podinfo}
      spec:
        http:
          - route:
              -   destination: {host: podinfo, subset: 'stable'}
    `;
    const out = applySet(vs, flow, subsets, 30);
    expect(out.text).toBe(flow + "            weight: 70\n        -   destination: {host: podinfo, subset: 'canary'}\n            weight: 30\n");
  });

  it('refuses to restructure a flow-style route list', () => {
    const flow = y`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: podinfo}
      spec:
        http:
        - route: [{destination: {host: podinfo, subset: stable}}]
    `;
    expect(errorOf(() => vs.set(parseManifest('a.yaml', flow), subsets, 30)).code).toBe('TRAFFIC_FLOW_STYLE');
  });
});

describe('istio VirtualService: 2018 destination.name style', () => {
  const src = y`
    apiVersion: networking.istio.io/v1alpha3
    kind: VirtualService
    metadata:
      name: reviews
    spec:
      hosts:
      - reviews
      http:
      - route:
        - destination:
            name: reviews
            subset: ga
  `;
  const spec: TrafficSpec = { stable: { subset: 'ga', host: 'reviews' }, canary: { subset: 'next' } };

  it('treats name like host and writes name on the new destination', () => {
    const out = applySet(vs, src, spec, 20);
    expect(out.text).toBe(src + '      weight: 80\n    - destination:\n        name: reviews\n        subset: next\n      weight: 20\n');
    expect(readState(vs, out.text, spec)).toEqual({ stable: 80, canary: 20, others: 0 });
  });
});
