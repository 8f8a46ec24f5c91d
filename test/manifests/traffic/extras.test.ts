// The A/B route and the mirror: what they look like in the plan, when they are replaced,
// left alone or refused, and how the confirm step checks them.
import { describe, expect, it } from 'vitest';
import { applyAndConfirm, parseManifest } from '../../../src/manifests/parse.ts';
import { istioVirtualService } from '../../../src/manifests/istio-virtualservice.ts';
import { gatewayHttpRoute } from '../../../src/manifests/gateway-httproute.ts';
import type { TrafficEditor, TrafficExtras, TrafficSpec } from '../../../src/manifests/types.ts';
import { cookieRegex, parseCookieRegex } from '../../../src/manifests/ab-conditions.ts';
import { errorOf, y } from './helpers.ts';

const PATH = 'apps/podinfo/route.yaml';
const FIREFOX: TrafficExtras = { ab: { headers: { 'user-agent': { regex: '.*Firefox.*' } } } };
const istioSpec: TrafficSpec = { stable: { subset: 'ga' }, canary: { subset: 'canary' }, app: 'podinfo' };
const gwSpec: TrafficSpec = { stable: { host: 'podinfo' }, canary: { host: 'podinfo-canary' }, app: 'podinfo' };

const vs = y`
  apiVersion: networking.istio.io/v1beta1
  kind: VirtualService
  metadata:
    name: podinfo
  spec:
    hosts:
    - podinfo
    http:
    # the weighted route
    - name: primary
      route:
      - destination:
          host: podinfo
          subset: ga
        weight: 90
      - destination:
          host: podinfo
          subset: canary
        weight: 10
`;

/** An HTTPRoute with `before` (whole rules) ahead of the weighted rule and `rule` (more
 *  keys of the weighted rule) after its backendRefs. */
const route = (apiVersion: string, before = '', rule = '') =>
  `apiVersion: gateway.networking.k8s.io/${apiVersion}\nkind: HTTPRoute\nmetadata:\n  name: podinfo\nspec:\n  parentRefs:\n  - name: gw\n  rules:\n` +
  before +
  '  - backendRefs:\n    - name: podinfo\n      port: 9898\n      weight: 90\n    - name: podinfo-canary\n      port: 9898\n      weight: 10\n' +
  rule;

function set(editor: TrafficEditor, text: string, spec: TrafficSpec, canary: number, extras?: TrafficExtras) {
  const file = parseManifest(PATH, text);
  const { changes } = editor.set(file, spec, canary, extras);
  return { changes, text: applyAndConfirm(file, changes) };
}

function read(editor: TrafficEditor, text: string, spec: TrafficSpec) {
  return editor.read(parseManifest(PATH, text), spec);
}

describe('the A/B route', () => {
  it('is described in the plan by name and conditions, and confirmed by its name', () => {
    const { changes, text } = set(istioVirtualService, vs, istioSpec, 10, FIREFOX);
    expect(changes).toHaveLength(1);
    expect(changes[0].edit).toMatchObject({
      field: 'spec.http[gitops-canary-podinfo-ab]',
      old: null,
      new: 'A/B route gitops-canary-podinfo-ab: header user-agent ~ .*Firefox.*',
    });
    expect(changes[0].path).toEqual(['spec', 'http', 0, 'name']);
    expect(changes[0].expect).toBe('gitops-canary-podinfo-ab');
    // inserted above the comment that describes the weighted route
    expect(text).toContain('    subset: canary\n  # the weighted route\n  - name: primary\n');
  });

  it('is replaced as a whole when the match changes, and left alone when it does not', () => {
    const first = set(istioVirtualService, vs, istioSpec, 10, FIREFOX).text;
    expect(set(istioVirtualService, first, istioSpec, 10, FIREFOX).changes).toEqual([]);
    const chrome: TrafficExtras = { ab: { headers: { 'user-agent': { regex: '.*Chrome.*' } } } };
    const { changes, text } = set(istioVirtualService, first, istioSpec, 10, chrome);
    expect(changes).toHaveLength(1);
    expect(changes[0].edit.old).toBe('A/B route gitops-canary-podinfo-ab: header user-agent ~ .*Firefox.*');
    expect(changes[0].edit.new).toBe('A/B route gitops-canary-podinfo-ab: header user-agent ~ .*Chrome.*');
    expect(text).toBe(first.replace('.*Firefox.*', '.*Chrome.*'));
    expect(read(istioVirtualService, text, istioSpec).ab).toEqual(chrome.ab);
    expect(set(istioVirtualService, text, istioSpec, 10).text).toBe(vs);
  });

  it('takes its name from the route object when the config names no app', () => {
    const spec = { stable: istioSpec.stable, canary: istioSpec.canary };
    const text = set(istioVirtualService, vs.replace('name: podinfo', 'name: Pod_Info'), spec, 10, FIREFOX).text;
    expect(text).toContain('- name: gitops-canary-pod-info-ab\n');
    expect(read(istioVirtualService, text, spec).ab).toEqual(FIREFOX.ab);
  });

  it('moves the weight changes\' confirm paths with the weighted route', () => {
    const inserted = set(istioVirtualService, vs, istioSpec, 20, FIREFOX);
    expect(inserted.changes.map((c) => c.path)).toEqual([
      ['spec', 'http', 1, 'route', 0, 'weight'],
      ['spec', 'http', 1, 'route', 1, 'weight'],
      ['spec', 'http', 0, 'name'],
    ]);
    const removed = set(istioVirtualService, inserted.text, istioSpec, 30);
    expect(removed.changes.map((c) => [c.path, c.absent ?? false])).toEqual([
      [['spec', 'http', 0, 'route', 0, 'weight'], false],
      [['spec', 'http', 0, 'route', 1, 'weight'], false],
      [['spec', 'http', 1], true],
    ]);
    expect(removed.text).toBe(vs.replace('weight: 90', 'weight: 70').replace('weight: 10', 'weight: 30'));
  });

  it('labels an unnamed HTTPRoute rule by index, the weighted rule after it', () => {
    const { changes, text } = set(gatewayHttpRoute, route('v1beta1'), gwSpec, 20, FIREFOX);
    expect(changes.map((c) => c.edit.field)).toEqual(['spec.rules[1].backendRefs[0].weight', 'spec.rules[1].backendRefs[1].weight', 'spec.rules[0]']);
    expect(changes[2].edit.new).toBe('A/B rule: header user-agent ~ .*Firefox.*');
    expect(text).not.toContain('gitops-canary');
    expect(read(gatewayHttpRoute, text, gwSpec).ab).toEqual(FIREFOX.ab);
  });

  it('names the rule in HTTPRoute v1', () => {
    const { text } = set(gatewayHttpRoute, route('v1'), gwSpec, 10, FIREFOX);
    expect(text).toContain('  - name: gitops-canary-podinfo-ab\n    matches:\n    - headers:\n      - type: RegularExpression\n        name: user-agent\n');
  });

  it('leaves alone a hand-written rule that is not exactly the bot\'s', () => {
    const own = '  - matches:\n    - headers:\n      - type: Exact\n        name: x-canary\n        value: "1"\n    backendRefs:\n    - name: podinfo-canary\n      port: 9898\n';
    // the bot's shape, but v1 rules of the bot carry its name
    const v1 = route('v1', own);
    expect(set(gatewayHttpRoute, v1, gwSpec, 10).changes).toEqual([]);
    expect(read(gatewayHttpRoute, v1, gwSpec).ab).toBeUndefined();
    // v1beta1: the same rule with a timeout the weighted rule does not have
    const timed = route('v1beta1', own.replace('    backendRefs:', '    timeouts:\n      request: 1s\n    backendRefs:'));
    expect(set(gatewayHttpRoute, timed, gwSpec, 10).changes).toEqual([]);
    // and without the timeout it is the shape the bot writes, so the bot takes it out
    const shaped = route('v1beta1', own);
    expect(read(gatewayHttpRoute, shaped, gwSpec).ab).toEqual({ headers: { 'x-canary': { exact: '1' } } });
    expect(set(gatewayHttpRoute, shaped, gwSpec, 10).text).toBe(route('v1beta1'));
  });

  it('is edited in the document that holds the route', () => {
    const text = `apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\n---\n${vs}`;
    const { changes, text: out } = set(istioVirtualService, text, istioSpec, 10, FIREFOX);
    expect(changes[0].docIndex).toBe(1);
    expect(set(istioVirtualService, out, istioSpec, 10).text).toBe(text);
  });
});

describe('the mirror', () => {
  it('is described with its share and target, and its share changed in place', () => {
    const { changes, text } = set(istioVirtualService, vs, istioSpec, 10, { mirror: 50 });
    expect(changes[0].edit).toMatchObject({ field: 'spec.http[primary].mirror', old: null, new: 'mirror 50% to subset canary' });
    expect(changes[0].path).toEqual(['spec', 'http', 0, 'mirrorPercentage', 'value']);
    const changed = set(istioVirtualService, text, istioSpec, 10, { mirror: 20 });
    expect(changed.changes.map((c) => c.edit)).toMatchObject([{ field: 'spec.http[primary].mirrorPercentage.value', old: 50, new: 20 }]);
    expect(changed.text).toBe(text.replace('value: 50', 'value: 20'));
    expect(read(istioVirtualService, changed.text, istioSpec).mirror).toBe(20);
  });

  it('on an HTTPRoute is a RequestMirror filter whose percent changes in place', () => {
    const { text } = set(gatewayHttpRoute, route('v1'), gwSpec, 10, { mirror: 50 });
    expect(text).toContain('    filters:\n    - type: RequestMirror\n      requestMirror:\n        backendRef:\n          name: podinfo-canary\n          port: 9898\n        percent: 50\n');
    const changed = set(gatewayHttpRoute, text, gwSpec, 10, { mirror: 5 });
    expect(changed.changes.map((c) => c.edit)).toMatchObject([{ field: 'spec.rules[0].filters[0].requestMirror.percent', old: 50, new: 5 }]);
    expect(changed.text).toBe(text.replace('percent: 50', 'percent: 5'));
  });

  it('reads a mirror without a percentage as mirroring everything', () => {
    const text = vs + '    mirror:\n      host: podinfo\n      subset: canary\n';
    expect(read(istioVirtualService, text, istioSpec).mirror).toBe(100);
    expect(set(istioVirtualService, text, istioSpec, 10, { mirror: 100 }).changes).toEqual([]);
    expect(set(istioVirtualService, text, istioSpec, 10).text).toBe(vs);
    expect(set(istioVirtualService, text, istioSpec, 10, { mirror: 40 }).text).toBe(text + '    mirrorPercentage:\n      value: 40\n');
  });

  it('to something else is not the bot\'s: refused beside it, kept on removal', () => {
    const istio = vs + '    mirror:\n      host: shadow\n';
    const e = errorOf(() => set(istioVirtualService, istio, istioSpec, 10, { mirror: 10 }));
    expect(e.code).toBe('TRAFFIC_MIRROR_FOREIGN');
    expect(e.message).toContain('already mirrors to shadow');
    expect(read(istioVirtualService, istio, istioSpec).mirror).toBeUndefined();
    expect(set(istioVirtualService, istio, istioSpec, 20).text).toBe(istio.replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20'));
    const list = vs + '    mirrors:\n    - destination:\n        host: podinfo\n        subset: canary\n';
    expect(errorOf(() => set(istioVirtualService, list, istioSpec, 10, { mirror: 10 })).code).toBe('TRAFFIC_MIRROR_FOREIGN');

    const gw = route('v1', '', '    filters:\n    - type: RequestMirror\n      requestMirror:\n        backendRef:\n          name: shadow\n          port: 80\n');
    expect(errorOf(() => set(gatewayHttpRoute, gw, gwSpec, 10, { mirror: 10 })).code).toBe('TRAFFIC_MIRROR_FOREIGN');
    expect(set(gatewayHttpRoute, gw, gwSpec, 10).changes).toEqual([]);
  });

  it('takes out only its own filter, and the filters key only when it added it', () => {
    const gw = route('v1', '', '    filters:\n    - type: RequestHeaderModifier\n      requestHeaderModifier:\n        set:\n        - name: x\n          value: y\n');
    const mirrored = set(gatewayHttpRoute, gw, gwSpec, 10, { mirror: 50 });
    expect(mirrored.changes[0].edit.field).toBe('spec.rules[0].filters[1]');
    const removed = set(gatewayHttpRoute, mirrored.text, gwSpec, 10);
    expect(removed.changes[0]).toMatchObject({ path: ['spec', 'rules', 0, 'filters', 1], absent: true });
    expect(removed.text).toBe(gw);
  });
});

describe('refusals', () => {
  it('prefix matches on the Gateway API', () => {
    const e = errorOf(() => set(gatewayHttpRoute, route('v1'), gwSpec, 10, { ab: { headers: { 'x-group': { prefix: 'beta' } } } }));
    expect(e.code).toBe('TRAFFIC_AB_UNSUPPORTED');
    expect(e.message).toContain('Gateway API has no prefix match for headers');
    // a cookie prefix is a regex on the cookie header, which the API has
    expect(set(gatewayHttpRoute, route('v1'), gwSpec, 10, { ab: { cookies: { group: { prefix: 'beta' } } } }).changes).toHaveLength(1);
  });

  it('prefix matches on Istio query parameters', () => {
    const e = errorOf(() => set(istioVirtualService, vs, istioSpec, 10, { ab: { queryParams: { v: { prefix: '2' } } } }));
    expect(e.code).toBe('TRAFFIC_AB_UNSUPPORTED');
  });

  it('flow-style routes, only when something must be written', () => {
    const flow = vs.replace(/ {2}- name: primary\n[\s\S]*$/, '  - {name: primary, route: [{destination: {host: podinfo, subset: ga}, weight: 90}, {destination: {host: podinfo, subset: canary}, weight: 10}]}\n');
    const e = errorOf(() => set(istioVirtualService, flow, istioSpec, 10, FIREFOX));
    expect(e.code).toBe('TRAFFIC_FLOW_STYLE');
    expect(e.message).toContain('block style');
    expect(errorOf(() => set(istioVirtualService, flow, istioSpec, 10, { mirror: 5 })).code).toBe('TRAFFIC_FLOW_STYLE');
    expect(set(istioVirtualService, flow, istioSpec, 20).text).toContain('weight: 80}');
    const flowFilters = route('v1', '', '    filters: []\n');
    expect(errorOf(() => set(gatewayHttpRoute, flowFilters, gwSpec, 10, { mirror: 5 })).code).toBe('TRAFFIC_FLOW_STYLE');
  });

  it('conditions the APIs cannot hold', () => {
    const two = { ab: { cookies: { a: { exact: '1' }, b: { exact: '2' } } } };
    expect(errorOf(() => set(istioVirtualService, vs, istioSpec, 10, two)).code).toBe('TRAFFIC_AB_COOKIES');
    expect(errorOf(() => set(istioVirtualService, vs, istioSpec, 10, { ab: {} })).code).toBe('TRAFFIC_AB_EMPTY');
    const both = { ab: { headers: { 'user-agent': { exact: 'x', regex: 'y' } } } } as unknown as TrafficExtras;
    expect(errorOf(() => set(istioVirtualService, vs, istioSpec, 10, both)).code).toBe('TRAFFIC_AB_INVALID');
    for (const mirror of [0, 101, 2.5]) expect(errorOf(() => set(istioVirtualService, vs, istioSpec, 10, { mirror })).code).toBe('TRAFFIC_MIRROR_INVALID');
  });

  it('a condition on a header the weighted route already matches', () => {
    const matched = vs.replace('  - name: primary\n', '  - name: primary\n    match:\n    - headers:\n        user-agent:\n          exact: curl\n');
    const e = errorOf(() => set(istioVirtualService, matched, istioSpec, 10, FIREFOX));
    expect(e.code).toBe('TRAFFIC_AB_CONFLICT');
  });
});

describe('the confirm step', () => {
  it('fails when the inserted route does not re-parse as planned', () => {
    const file = parseManifest(PATH, vs);
    const { changes } = istioVirtualService.set(file, istioSpec, 10, FIREFOX);
    const broken = changes.map((c) => ({ ...c, text: c.text.map((t) => ({ ...t, text: t.text.replace('subset: canary', 'subset: ga') })) }));
    const e = errorOf(() => applyAndConfirm(file, broken));
    expect(e.code).toBe('EDIT_CONFIRM');
    expect(e.message).toContain('did not re-parse as planned');
  });

  it('fails when something removed is still there', () => {
    const inserted = set(istioVirtualService, vs, istioSpec, 10, FIREFOX).text;
    const file = parseManifest(PATH, inserted);
    const { changes } = istioVirtualService.set(file, istioSpec, 10);
    const e = errorOf(() => applyAndConfirm(file, changes.map((c) => ({ ...c, text: [] }))));
    expect(e.code).toBe('EDIT_CONFIRM');
    expect(e.message).toContain('still present');
  });
});

describe('cookie conditions', () => {
  const header = (cookies: string) => cookies;
  it('match the named cookie wherever it is in the header, and read back', () => {
    const cases = [
      { match: { exact: 'a.b' }, yes: ['user=a.b', 'x=1; user=a.b', 'x=1;user=a.b; y=2'], no: ['user=aXb', 'user=a.bc', 'xuser=a.b', 'user=a'] },
      { match: { prefix: 'beta.' }, yes: ['group=beta.1', 'a=1; group=beta.'], no: ['group=alpha', 'group=betaX1'] },
      { match: { regex: '[0-9]+' }, yes: ['id=42', 'a=b; id=7; c=d'], no: ['id=x', 'id='] },
    ];
    const names = ['user', 'group', 'id'];
    cases.forEach((c, i) => {
      const re = new RegExp(cookieRegex(names[i], c.match));
      for (const h of c.yes) expect(re.test(header(h)), `${re} ${h}`).toBe(true);
      for (const h of c.no) expect(re.test(header(h)), `${re} ${h}`).toBe(false);
      expect(parseCookieRegex(cookieRegex(names[i], c.match))).toEqual({ name: names[i], match: c.match });
    });
    expect(parseCookieRegex('^(.*?;)?(user=jason)(;.*)?$')).toBeUndefined();
  });
});
