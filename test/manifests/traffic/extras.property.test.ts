// Property: whatever the route looks like (dialect, API version, indentation, CRLF,
// comments, neighbouring routes and documents, a final newline or not), adding an A/B
// route and/or a mirror and then setting the same weight without them gives back the
// original bytes; so does replacing them with other extras first. In between, the file
// reads back as asked and asking again changes nothing; and the next weight step, which
// takes them out, writes what it would have written had they never been there.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyAndConfirm, parseManifest } from '../../../src/manifests/parse.ts';
import { istioVirtualService } from '../../../src/manifests/istio-virtualservice.ts';
import { gatewayHttpRoute } from '../../../src/manifests/gateway-httproute.ts';
import type { AbMatch, StringMatch, TrafficEditor, TrafficExtras, TrafficSpec } from '../../../src/manifests/types.ts';

interface Lay {
  ind: number;
  seq: number;
  gap: number;
}

const sp = (n: number) => ' '.repeat(n);

function fmt(v: unknown): string {
  if (typeof v === 'number') return String(v);
  const s = String(v);
  return /^[A-Za-z/_][A-Za-z0-9/._-]*$/.test(s) && !/^(yes|no|on|off|true|false|null|y|n)$/i.test(s) ? s : JSON.stringify(s);
}

function pair(k: string, v: unknown, col: number, l: Lay): string[] {
  if (Array.isArray(v)) return [`${sp(col)}${k}:`, ...seq(v, col + l.seq, l)];
  if (v && typeof v === 'object') return [`${sp(col)}${k}:`, ...map(v as Record<string, unknown>, col + l.ind, l)];
  return [`${sp(col)}${k}: ${fmt(v)}`];
}

function map(o: Record<string, unknown>, col: number, l: Lay): string[] {
  return Object.entries(o).flatMap(([k, v]) => pair(k, v, col, l));
}

function seq(items: unknown[], dash: number, l: Lay): string[] {
  return items.flatMap((item) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const lines = map(item as Record<string, unknown>, dash + 1 + l.gap, l);
      lines[0] = `${sp(dash)}-${sp(l.gap)}${lines[0].trimStart()}`;
      return lines;
    }
    return [`${sp(dash)}- ${fmt(item)}`];
  });
}

interface Shape {
  istio: boolean;
  version: string;
  lay: Lay;
  crlf: boolean;
  final: boolean;
  commentAbove: boolean;
  trailing: boolean;
  docsBefore: number;
  docsAfter: number;
  neighbour: boolean;
  named: boolean;
  matches: number;
  extra: boolean;
  listFirst: boolean;
  canary: number | undefined;
  port: boolean;
  subsetSplit: boolean;
}

const shape: fc.Arbitrary<Shape> = fc
  .record({
    istio: fc.boolean(),
    istioVersion: fc.constantFrom('v1alpha3', 'v1beta1', 'v1'),
    gwVersion: fc.constantFrom('v1alpha2', 'v1beta1', 'v1'),
    lay: fc.record({ ind: fc.constantFrom(2, 4), seqIndented: fc.boolean(), gap: fc.constantFrom(1, 3) }),
    crlf: fc.boolean(),
    final: fc.boolean(),
    commentAbove: fc.boolean(),
    trailing: fc.boolean(),
    docsBefore: fc.integer({ min: 0, max: 1 }),
    docsAfter: fc.integer({ min: 0, max: 1 }),
    neighbour: fc.boolean(),
    named: fc.boolean(),
    matches: fc.integer({ min: 0, max: 2 }),
    extra: fc.boolean(),
    listFirst: fc.boolean(),
    canary: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    port: fc.boolean(),
    subsetSplit: fc.boolean(),
  })
  .map(({ istioVersion, gwVersion, lay, ...s }) => ({
    ...s,
    version: s.istio ? istioVersion : gwVersion,
    // `-   key` needs keys four columns in, so sequences under it indent by the same
    lay: { ind: lay.gap === 3 ? 4 : lay.ind, seq: lay.seqIndented || lay.gap === 3 ? (lay.gap === 3 ? 4 : lay.ind) : 0, gap: lay.gap },
  }));

function specOf(s: Shape): TrafficSpec {
  if (s.istio && s.subsetSplit) return { stable: { subset: 'ga' }, canary: { subset: 'canary' }, app: 'podinfo' };
  return { stable: { host: 'podinfo' }, canary: { host: 'podinfo-canary' }, app: 'podinfo' };
}

function istioDoc(s: Shape): Record<string, unknown> {
  const dest = (canary: boolean) => ({
    host: s.subsetSplit || !canary ? 'podinfo' : 'podinfo-canary',
    ...(s.subsetSplit ? { subset: canary ? 'canary' : 'ga' } : {}),
    ...(s.port ? { port: { number: 9898 } } : {}),
  });
  const items = s.canary === undefined ? [{ destination: dest(false) }] : [{ destination: dest(false), weight: 100 - s.canary }, { destination: dest(true), weight: s.canary }];
  const match = [{ uri: { prefix: '/api' }, headers: { 'x-tenant': { exact: 'acme' } } }, { uri: { exact: '/' } }].slice(0, s.matches);
  const route: Record<string, unknown> = {};
  if (s.named) route.name = 'primary';
  if (s.listFirst) route.route = items;
  if (match.length) route.match = match;
  if (s.extra) Object.assign(route, { timeout: '5s', retries: { attempts: 2, perTryTimeout: '1s' } });
  if (!s.listFirst) route.route = items;
  // a route ahead of the weighted one, to another backend
  const health = { name: 'health', match: [{ uri: { exact: '/healthz' } }], route: [{ destination: { host: 'status' } }] };
  return {
    apiVersion: `networking.istio.io/${s.version}`,
    kind: 'VirtualService',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { hosts: ['podinfo'], http: s.neighbour ? [health, route] : [route] },
  };
}

function gatewayDoc(s: Shape): Record<string, unknown> {
  const ref = (name: string, weight?: number) => ({ name, ...(s.port ? { port: 9898 } : {}), ...(weight === undefined ? {} : { weight }) });
  const refs = s.canary === undefined ? [ref('podinfo', 1)] : [ref('podinfo', 100 - s.canary), ref('podinfo-canary', s.canary)];
  const matches = [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-tenant', value: 'acme' }] }, { path: { type: 'Exact', value: '/' } }].slice(0, s.matches);
  const rule: Record<string, unknown> = {};
  if (s.named && s.version === 'v1') rule.name = 'main';
  if (s.listFirst) rule.backendRefs = refs;
  if (matches.length) rule.matches = matches;
  if (s.extra) Object.assign(rule, { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: 'b' }] } }], timeouts: { request: '5s' } });
  if (!s.listFirst) rule.backendRefs = refs;
  const other = { matches: [{ path: { type: 'Exact', value: '/healthz' } }], backendRefs: [ref('status')] };
  return {
    apiVersion: `gateway.networking.k8s.io/${s.version}`,
    kind: 'HTTPRoute',
    metadata: { name: 'podinfo' },
    spec: { parentRefs: [{ name: 'gw' }], rules: s.neighbour ? [other, rule] : [rule] },
  };
}

function render(s: Shape): string {
  let lines = map(s.istio ? istioDoc(s) : gatewayDoc(s), 0, s.lay);
  if (s.trailing) lines = lines.map((line) => (/weight: \d+$/.test(line) ? `${line}   # share` : line));
  if (s.commentAbove) {
    // right above the weighted route: the last `- ` line at the routes' dash column
    const key = s.istio ? 'http:' : 'rules:';
    const at = lines.findIndex((l) => l.trimStart() === key);
    const dash = s.lay.ind + s.lay.seq;
    const starts = lines.map((l, i) => (i > at && l.startsWith(`${sp(dash)}-`) ? i : -1)).filter((i) => i >= 0);
    if (starts.length === 0) throw new Error(`no route found at column ${dash}`);
    lines.splice(starts[starts.length - 1], 0, `${sp(dash)}# the weighted route`);
  }
  const filler = (i: number) => `# unrelated ${i}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\ndata:\n  note: |\n    http:\n    - route\n`;
  const docs = [...Array.from({ length: s.docsBefore }, (_, i) => filler(i)), lines.join('\n') + '\n', ...Array.from({ length: s.docsAfter }, (_, i) => filler(9 + i))];
  let text = docs.join('---\n');
  if (!s.final) text = text.replace(/\n$/, '');
  return s.crlf ? text.replace(/\n/g, '\r\n') : text;
}

const value = fc.string({ unit: fc.constantFrom(...'aZ09 .*+?()[]{}|^$\\/:#"\'-_;=&é'.split('')), minLength: 1, maxLength: 10 });
const match = (prefix: boolean): fc.Arbitrary<StringMatch> =>
  fc.oneof(
    value.map((exact) => ({ exact })),
    value.map((v) => ({ regex: `.*${v.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}.*` })),
    ...(prefix ? [value.map((p) => ({ prefix: p }))] : []),
  );

function extrasFor(istio: boolean): fc.Arbitrary<TrafficExtras> {
  const ab: fc.Arbitrary<AbMatch> = fc
    .record(
      {
        headers: fc.dictionary(fc.constantFrom('user-agent', 'x-canary', 'x-user-group'), match(istio), { minKeys: 1, maxKeys: 2 }),
        queryParams: fc.dictionary(fc.constantFrom('variant', 'beta'), match(false), { minKeys: 1, maxKeys: 1 }),
        cookies: fc.dictionary(fc.constantFrom('group', 'session_id'), match(true), { minKeys: 1, maxKeys: 1 }),
      },
      { requiredKeys: [] },
    )
    .filter((m) => Object.keys(m).length > 0);
  return fc
    .record({ ab, mirror: fc.integer({ min: 1, max: 100 }) }, { requiredKeys: [] })
    .filter((e) => e.ab !== undefined || e.mirror !== undefined);
}

function apply(editor: TrafficEditor, text: string, spec: TrafficSpec, canary: number, extras?: TrafficExtras): string {
  const file = parseManifest('route.yaml', text);
  return applyAndConfirm(file, editor.set(file, spec, canary, extras).changes);
}

describe('A/B route and mirror insertion then removal', () => {
  it('gives back the original bytes', () => {
    const cases = shape.chain((s) => fc.tuple(fc.constant(s), extrasFor(s.istio), fc.option(extrasFor(s.istio), { nil: undefined }), fc.integer({ min: 0, max: 100 })));
    fc.assert(
      fc.property(cases, ([s, extras, other, next]) => {
        const editor = s.istio ? istioVirtualService : gatewayHttpRoute;
        const spec = specOf(s);
        const original = render(s);
        const before = editor.read(parseManifest('route.yaml', original), spec);
        expect(before.ab).toBeUndefined();
        expect(before.mirror).toBeUndefined();
        const canary = before.canary;

        const added = apply(editor, original, spec, canary, extras);
        const state = editor.read(parseManifest('route.yaml', added), spec);
        expect(state.ab).toEqual(extras.ab);
        expect(state.mirror).toEqual(extras.mirror);
        expect(state.canary).toBe(canary);
        expect(editor.set(parseManifest('route.yaml', added), spec, canary, extras).changes).toEqual([]);
        if (s.crlf) expect(added.replace(/\r\n/g, '')).not.toContain('\n');
        expect(apply(editor, added, spec, canary)).toBe(original);

        const replaced = apply(editor, added, spec, canary, other);
        expect(editor.read(parseManifest('route.yaml', replaced), spec).ab).toEqual(other?.ab);
        expect(apply(editor, replaced, spec, canary)).toBe(original);

        // the next weight step takes the extras out and lands where a plain step would
        const outcome = (text: string) => {
          try {
            return apply(editor, text, spec, next);
          } catch (err) {
            return (err as { code?: string }).code ?? String(err);
          }
        };
        expect(outcome(added)).toBe(outcome(original));
      }),
      { numRuns: 120 },
    );
  });
});
