// A/B routes and mirrors in Istio VirtualServices (networking.istio.io v1alpha3, v1beta1,
// v1 share the HTTPRoute message, mirrorPercentage included). The A/B route is an `http`
// entry named `gitops-canary-<app>-ab` whose `match` entries are the weighted route's
// with `headers` / `queryParams` conditions added; the mirror is the weighted route's
// `mirror` (the canary destination) and `mirrorPercentage: {value: P}`, written after its
// `route` list. Istio has no prefix match on query parameters ("prefix matching is
// currently not supported"): refused. A route that mirrors somewhere else, or uses the
// `mirrors` list, is someone else's mirror: the bot will not add its own beside it.
import type { Location } from '../errors.ts';
import type { Backend, Change } from './types.ts';
import { replaceScalar } from './text.ts';
import { afterNode } from './istio-text.ts';
import { deepEqual, record, stringMatchOf, type Cond, type Data } from './ab-conditions.ts';
import { checkBlock, keySpan, renderPair } from './block-text.ts';
import { fail, getIn, layoutOf, type ExtrasContext, type ExtrasDialect, type MirrorState } from './traffic-ab.ts';
import { isMap, isScalar, toJS } from './yaml.ts';

const MIRROR_KEYS = ['mirror', 'mirrorPercentage', 'mirrorPercent'];

function condData(c: Cond): Data {
  return { ...c.match };
}

function withConds(base: Data | undefined, conds: Cond[], where: Location): Data {
  const m: Data = { ...(base ?? {}) };
  for (const [kind, key] of [
    ['header', 'headers'],
    ['query', 'queryParams'],
  ] as const) {
    const mine = conds.filter((c) => c.kind === kind);
    if (mine.length === 0) continue;
    const target: Data = { ...record(m[key]) };
    for (const c of mine) {
      if (Object.keys(target).some((k) => (kind === 'header' ? k.toLowerCase() : k) === c.name)) {
        fail('TRAFFIC_AB_CONFLICT', `the weighted route already matches ${kind} ${c.name}; an A/B step cannot add a second condition on it`, where);
      }
      target[c.name] = condData(c);
    }
    m[key] = target;
  }
  return m;
}

function extra(match: unknown, base: unknown): Cond[] {
  const out: Cond[] = [];
  for (const [kind, key] of [
    ['header', 'headers'],
    ['query', 'queryParams'],
  ] as const) {
    const had = record(record(base)[key]);
    for (const [name, v] of Object.entries(record(record(match)[key]))) {
      const sm = stringMatchOf(v);
      if (sm && !(name in had && deepEqual(had[name], v))) out.push({ kind, name, match: sm });
    }
  }
  return out;
}

function hostKey(dest: Data): 'host' | 'name' {
  return 'host' in dest || !('name' in dest) ? 'host' : 'name';
}

function stableDest(ctx: ExtrasContext): Data {
  const list = ctx.data[ctx.d.listKey];
  return record(record(Array.isArray(list) ? list[ctx.l.stable.index] : undefined).destination);
}

/** The canary as a mirror destination: the stable destination's host (unless the canary
 *  names its own), the canary subset, and the port, in the stable destination's key order. */
function canaryDest(ctx: ExtrasContext): Data {
  const stable = stableDest(ctx);
  const hk = hostKey(stable);
  const c = ctx.spec.canary;
  const host = c.host ?? stable[hk];
  const portOf = record(stable.port).number;
  const port = 'port' in c && c.port !== undefined ? c.port : portOf;
  const values: Data = { [hk]: host };
  if ('subset' in c) values.subset = c.subset;
  if (port !== undefined) values.port = { number: port };
  const order = Object.keys(stable).filter((k) => k in values);
  for (const k of Object.keys(values)) if (!order.includes(k)) order.push(k);
  return Object.fromEntries(order.map((k) => [k, values[k]]));
}

function isCanary(ctx: ExtrasContext, dest: unknown): boolean {
  const d = record(dest);
  const want = canaryDest(ctx);
  const hk = hostKey(want);
  const b: Backend = ctx.spec.canary;
  if ((d.host ?? d.name) !== want[hk]) return false;
  if ('subset' in b) return d.subset === b.subset;
  return b.port === undefined || record(d.port).number === b.port;
}

function canaryText(ctx: ExtrasContext): string {
  const b = ctx.spec.canary;
  return 'subset' in b ? `subset ${b.subset}` : `host ${b.host}`;
}

function readMirror(ctx: ExtrasContext): MirrorState {
  const { data } = ctx;
  if (Array.isArray(data.mirrors) && data.mirrors.length > 0) return { own: false, foreign: 'the mirrors list' };
  if (!('mirror' in data)) return undefined;
  const m = record(data.mirror);
  if (!isCanary(ctx, m)) return { own: false, foreign: `${String(m.host ?? m.name ?? '?')}${m.subset === undefined ? '' : ` subset ${String(m.subset)}`}` };
  const pct = record(data.mirrorPercentage).value;
  const legacy = data.mirrorPercent;
  return { own: true, percent: typeof pct === 'number' ? pct : typeof legacy === 'number' ? legacy : 100 };
}

function planMirror(ctx: ExtrasContext, want: number | undefined, shift: number): Change[] {
  const { l, text, eol, route } = ctx;
  const base = [...ctx.listPath, ctx.index + shift];
  const src = [...ctx.listPath, ctx.index];
  const m = readMirror(ctx);
  const field = `${ctx.label}.mirror`;
  const edit = (old: string | number | null, now: string | number | null, f = field) => ({ file: l.file.path, object: l.object, field: f, old, new: now });
  const desc = (p: number) => `mirror ${p}% to ${canaryText(ctx)}`;
  if (want === undefined) {
    if (!m?.own) return [];
    return [
      {
        edit: edit(desc(m.percent), null),
        docIndex: ctx.doc.index,
        path: [...base, 'mirror'],
        expect: '',
        absent: true,
        source: null,
        text: MIRROR_KEYS.filter((k) => k in ctx.data).map((k) => keySpan(text, route, k, ctx.where)),
      },
    ];
  }
  if (m && !m.own) {
    fail('TRAFFIC_MIRROR_FOREIGN', `the route already mirrors to ${m.foreign}; the bot only adds its own mirror to the canary (${canaryText(ctx)}): remove that mirror by hand or drop the mirror step`, ctx.where);
  }
  const confirmPct = { path: [...base, 'mirrorPercentage', 'value'], expect: want };
  if (m?.own) {
    if (m.percent === want) return [];
    const pct = route.get('mirrorPercentage', true) as unknown;
    const value = isMap(pct) ? (pct.get('value', true) as unknown) : undefined;
    if (isScalar(value)) {
      const f = `${ctx.label}.mirrorPercentage.value`;
      return [{ edit: edit(m.percent, want, f), docIndex: ctx.doc.index, ...confirmPct, source: [...src, 'mirrorPercentage', 'value'], text: [replaceScalar(value, want, { file: l.file.path, field: f })] }];
    }
    if ('mirrorPercent' in ctx.data || 'mirrorPercentage' in ctx.data) {
      fail('TRAFFIC_MIRROR_LAYOUT', 'the mirror share is written as mirrorPercent or without mirrorPercentage.value; write mirrorPercentage: {value: N} by hand first', ctx.where);
    }
    // a mirror without a percentage mirrors everything: add the percentage after it
    const s = layoutOf(ctx);
    checkBlock(route, 'the route', ctx.where);
    const at = afterNode(text, route.get('mirror', true));
    return [
      {
        edit: edit(m.percent, want, `${ctx.label}.mirrorPercentage.value`),
        docIndex: ctx.doc.index,
        ...confirmPct,
        source: null,
        text: [{ start: at, end: at, text: eol + renderPair('mirrorPercentage', { value: want }, s.keyCol, s).join(eol) }],
      },
    ];
  }
  const s = layoutOf(ctx);
  const lines = [...renderPair('mirror', canaryDest(ctx), s.keyCol, s), ...renderPair('mirrorPercentage', { value: want }, s.keyCol, s)];
  const at = afterNode(text, l.seq);
  return [
    {
      edit: edit(null, desc(want)),
      docIndex: ctx.doc.index,
      ...confirmPct,
      source: null,
      confirm: (doc) => {
        const r = record(getIn(toJS(doc), base));
        return deepEqual(r.mirror, canaryDest(ctx)) ? undefined : `${field} did not re-parse as the canary`;
      },
      text: [{ start: at, end: at, text: eol + lines.join(eol) }],
    },
  ];
}

export const istioExtras: ExtrasDialect = {
  matchKey: 'match',
  unit: 'route',
  names: () => true,
  check(conds, where) {
    const q = conds.find((c) => c.kind === 'query' && 'prefix' in c.match);
    if (q) fail('TRAFFIC_AB_UNSUPPORTED', `Istio does not match query parameters by prefix (query ${q.name}); use exact or regex`, where);
  },
  withConds,
  extra,
  copied: (key, value, ctx) => (MIRROR_KEYS.includes(key) && readMirror(ctx)?.own ? undefined : value),
  marker: (ctx) => ({ path: ['name'], expect: ctx.name }),
  readMirror,
  planMirror,
};
