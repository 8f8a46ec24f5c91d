// A/B rules and mirrors in Gateway API HTTPRoutes.
//
// The A/B rule copies the weighted rule's `matches`, each with `headers` / `queryParams`
// entries added (`type: Exact` or `RegularExpression`; the API has no prefix match for
// either, so a prefix condition is refused), and sends them to the canary Service alone.
// Gateway API ranks rules by how specific their matches are, not by position, and the
// A/B rule is the weighted rule's matches plus conditions: it wins for the requests it
// matches wherever it sits; the bot still puts it right ahead of the weighted rule.
//
// Rule names (`name` on a rule, GEP-995) came in Gateway API 1.2 (experimental) and
// reached the standard channel in 1.4. The bot names its rule `gitops-canary-<app>-ab` in
// `gateway.networking.k8s.io/v1` routes. In v1beta1 and v1alpha2 routes, which mostly run
// against older CRDs that would drop or reject the field, it writes no name and knows its
// rule by shape instead: unnamed, right ahead of the weighted rule, and exactly what the
// bot writes for some conditions (see findBotRoute in traffic-ab.ts).
//
// The mirror is a `RequestMirror` filter on the weighted rule with `percent` (GEP-3171:
// experimental in 1.2, standard since 1.3; older CRDs drop it and mirror everything). The
// bot appends it to the rule's `filters` (creating the key after `backendRefs` when the
// rule has none, and removing the key again with its last entry). A RequestMirror filter
// to another backend is someone else's: the bot adds no mirror beside it.
import type { Location } from '../errors.ts';
import type { Change } from './types.ts';
import { replaceScalar } from './text.ts';
import { afterNode, columnOf } from './istio-text.ts';
import { deepEqual, record, type Cond, type Data } from './ab-conditions.ts';
import { checkBlock, itemSpan, keySpan, keyStart, renderItems, renderPair } from './block-text.ts';
import { fail, getIn, layoutOf, type ExtrasContext, type ExtrasDialect, type MirrorState } from './traffic-ab.ts';
import { isMap, isScalar, isSeq, toJS, type YAMLMap, type YAMLSeq } from './yaml.ts';

function canary(ctx: ExtrasContext): { host: string; port?: number } {
  return ctx.spec.canary as { host: string; port?: number };
}

function entryOf(c: Cond): Data {
  return 'regex' in c.match ? { type: 'RegularExpression', name: c.name, value: c.match.regex } : { type: 'Exact', name: c.name, value: (c.match as { exact: string }).exact };
}

function condOf(kind: Cond['kind'], e: unknown): Cond | undefined {
  const v = record(e);
  if (typeof v.name !== 'string' || typeof v.value !== 'string') return undefined;
  const type = v.type ?? 'Exact';
  if (type === 'Exact') return { kind, name: kind === 'header' ? v.name.toLowerCase() : v.name, match: { exact: v.value } };
  if (type === 'RegularExpression') return { kind, name: kind === 'header' ? v.name.toLowerCase() : v.name, match: { regex: v.value } };
  return undefined;
}

const LISTS = [
  ['header', 'headers'],
  ['query', 'queryParams'],
] as const;

function withConds(base: Data | undefined, conds: Cond[], where: Location): Data {
  const m: Data = { ...(base ?? {}) };
  for (const [kind, key] of LISTS) {
    const mine = conds.filter((c) => c.kind === kind);
    if (mine.length === 0) continue;
    const list = Array.isArray(m[key]) ? [...(m[key] as unknown[])] : [];
    for (const c of mine) {
      const taken = list.some((e) => {
        const n = record(e).name;
        return typeof n === 'string' && (kind === 'header' ? n.toLowerCase() : n) === c.name;
      });
      if (taken) fail('TRAFFIC_AB_CONFLICT', `the weighted rule already matches ${kind} ${c.name}; an A/B step cannot add a second condition on it`, where);
      list.push(entryOf(c));
    }
    m[key] = list;
  }
  return m;
}

function extra(match: unknown, base: unknown): Cond[] {
  const out: Cond[] = [];
  for (const [kind, key] of LISTS) {
    const had = record(base)[key];
    const list = record(match)[key];
    if (!Array.isArray(list)) continue;
    for (const e of list) {
      if (Array.isArray(had) && had.some((h) => deepEqual(h, e))) continue;
      const c = condOf(kind, e);
      if (c) out.push(c);
    }
  }
  return out;
}

function isMirror(f: unknown): boolean {
  return record(f).type === 'RequestMirror';
}

function isOwnMirror(ctx: ExtrasContext, f: unknown): boolean {
  const ref = record(record(record(f).requestMirror).backendRef);
  const c = canary(ctx);
  return isMirror(f) && ref.name === c.host && (c.port === undefined || Number(ref.port) === c.port);
}

function percentOf(f: unknown): number {
  const m = record(record(f).requestMirror);
  if (typeof m.percent === 'number') return m.percent;
  const fr = record(m.fraction);
  if (typeof fr.numerator === 'number') return (fr.numerator * 100) / (typeof fr.denominator === 'number' ? fr.denominator : 100);
  return 100;
}

function filters(ctx: ExtrasContext): unknown[] {
  return Array.isArray(ctx.data.filters) ? ctx.data.filters : [];
}

function readMirror(ctx: ExtrasContext): MirrorState {
  const fs = filters(ctx);
  const own = fs.find((f) => isOwnMirror(ctx, f));
  if (own) return { own: true, percent: percentOf(own) };
  const other = fs.find(isMirror);
  if (other) return { own: false, foreign: `Service ${String(record(record(record(other).requestMirror).backendRef).name ?? '?')}` };
  return undefined;
}

/** The canary as a mirror backendRef: the stable backendRef's group, kind and namespace
 *  in its key order, with the canary's name and port. */
function mirrorRef(ctx: ExtrasContext): Data {
  const list = ctx.data.backendRefs;
  const stable = record(Array.isArray(list) ? list[ctx.l.stable.index] : undefined);
  const c = canary(ctx);
  const port = c.port ?? stable.port;
  const out: Data = {};
  for (const [k, v] of Object.entries(stable)) {
    if (k === 'name') out.name = c.host;
    else if (k === 'port' && port !== undefined) out.port = port;
    else if (['group', 'kind', 'namespace'].includes(k) && typeof v === 'string') out[k] = v;
  }
  if (!('name' in out)) out.name = c.host;
  if (port !== undefined && !('port' in out)) out.port = port;
  return out;
}

function planMirror(ctx: ExtrasContext, want: number | undefined, shift: number): Change[] {
  const { l, text, eol, route } = ctx;
  const base = [...ctx.listPath, ctx.index + shift];
  const src = [...ctx.listPath, ctx.index];
  const c = canary(ctx);
  const fs = filters(ctx);
  const ownAt = fs.flatMap((f, i) => (isOwnMirror(ctx, f) ? [i] : []));
  const desc = (p: number) => `mirror ${p}% to ${c.host}`;
  const edit = (field: string, old: string | number | null, now: string | number | null) => ({ file: l.file.path, object: l.object, field, old, new: now });
  const m = readMirror(ctx);
  if (ownAt.length > 1) {
    fail('TRAFFIC_MIRROR_AMBIGUOUS', `${ownAt.length} RequestMirror filters send to ${c.host} (filters ${ownAt.join(', ')}); keep one`, ctx.where);
  }
  const node = route.get('filters', true) as unknown;
  if (want === undefined) {
    if (!m?.own) return [];
    const i = ownAt[0];
    const field = `${ctx.label}.filters[${i}]`;
    if (fs.length === 1) {
      // the rule had no filters before the bot added its mirror
      return [
        {
          edit: edit(field, desc(m.percent), null),
          docIndex: ctx.doc.index,
          path: [...base, 'filters'],
          expect: '',
          absent: true,
          source: null,
          text: [keySpan(text, route, 'filters', ctx.where)],
        },
      ];
    }
    checkBlock(node, 'the filters list', ctx.where);
    return [
      {
        edit: edit(field, desc(m.percent), null),
        docIndex: ctx.doc.index,
        path: [...base, 'filters', fs.length - 1],
        expect: '',
        absent: true,
        source: null,
        confirm: (doc) => (((getIn(toJS(doc), [...base, 'filters']) as unknown[]) ?? []).some((f) => isOwnMirror(ctx, f)) ? `${field} is still present` : undefined),
        text: [itemSpan(text, (node as YAMLSeq).items[i] as YAMLMap, ctx.where)],
      },
    ];
  }
  if (m && !m.own) {
    fail('TRAFFIC_MIRROR_FOREIGN', `the rule already mirrors to ${m.foreign}; the bot only adds its own mirror to the canary (${c.host}): remove that mirror by hand or drop the mirror step`, ctx.where);
  }
  if (m?.own) {
    if (m.percent === want) return [];
    const i = ownAt[0];
    const field = `${ctx.label}.filters[${i}].requestMirror.percent`;
    const rm = isSeq(node) ? ((node.items[i] as YAMLMap | undefined)?.get('requestMirror', true) as unknown) : undefined;
    const pct = isMap(rm) ? (rm.get('percent', true) as unknown) : undefined;
    const confirm = { path: [...base, 'filters', i, 'requestMirror', 'percent'], expect: want };
    if (isScalar(pct)) {
      return [{ edit: edit(field, m.percent, want), docIndex: ctx.doc.index, ...confirm, source: [...src, 'filters', i, 'requestMirror', 'percent'], text: [replaceScalar(pct, want, { file: l.file.path, field })] }];
    }
    if (!isMap(rm) || rm.flow || 'fraction' in record(record(fs[i]).requestMirror)) {
      fail('TRAFFIC_MIRROR_LAYOUT', 'the mirror share is written as a fraction or in flow style; write `percent: N` in block style by hand first', ctx.where);
    }
    const s = layoutOf(ctx);
    const keyCol = columnOf(text, keyStart(rm));
    const at = afterNode(text, rm);
    return [{ edit: edit(field, m.percent, want), docIndex: ctx.doc.index, ...confirm, source: null, text: [{ start: at, end: at, text: eol + renderPair('percent', want, keyCol, s).join(eol) }] }];
  }
  const s = layoutOf(ctx);
  const entry = { type: 'RequestMirror', requestMirror: { backendRef: mirrorRef(ctx), percent: want } };
  const at = fs.length;
  const field = `${ctx.label}.filters[${at}]`;
  const confirm = (doc: Parameters<NonNullable<Change['confirm']>>[0]) => {
    const got = (getIn(toJS(doc), [...base, 'filters']) as unknown[] | undefined)?.[at];
    return deepEqual(got, entry) ? undefined : `${field} did not re-parse as the planned mirror`;
  };
  const common = { edit: edit(field, null, desc(want)), docIndex: ctx.doc.index, path: [...base, 'filters', at, 'requestMirror', 'percent'], expect: want, source: null, confirm };
  if (node === undefined) {
    const pos = afterNode(text, l.seq);
    return [{ ...common, text: [{ start: pos, end: pos, text: eol + renderPair('filters', [entry], s.keyCol, s).join(eol) }] }];
  }
  checkBlock(node, 'the filters list', ctx.where);
  if (!isSeq(node) || node.items.length === 0 || !node.range || !isMap(node.items[0])) {
    fail('TRAFFIC_LAYOUT', 'the filters key is not a block list of filters; fix it by hand first', ctx.where);
  }
  const dash = columnOf(text, node.range[0]);
  const item = Math.max(2, columnOf(text, keyStart(node.items[0])) - dash);
  const pos = afterNode(text, node);
  return [{ ...common, text: [{ start: pos, end: pos, text: eol + renderItems([entry], dash, { ...s, item }).join(eol) }] }];
}

export const gatewayExtras: ExtrasDialect = {
  matchKey: 'matches',
  unit: 'rule',
  names: (version) => version === 'v1',
  check(conds, where) {
    const p = conds.find((c) => 'prefix' in c.match);
    if (p) {
      fail('TRAFFIC_AB_UNSUPPORTED', `Gateway API has no prefix match for ${p.kind === 'header' ? 'headers' : 'query parameters'} (${p.kind} ${p.name}); use exact, or a regex such as "^value.*"`, where);
    }
  },
  withConds,
  extra,
  copied(key, value, ctx) {
    if (key !== 'filters' || !Array.isArray(value)) return value;
    const rest = value.filter((f) => !isOwnMirror(ctx, f));
    return rest.length ? rest : undefined;
  },
  marker: (ctx) => ({ path: ['backendRefs', 0, 'name'], expect: canary(ctx).host }),
  readMirror,
  planMirror,
};
