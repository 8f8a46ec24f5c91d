// The routing a rollout step adds besides weights, shared by the Istio and Gateway API
// editors: an A/B route that sends the requests matching a few conditions to the canary,
// and a mirror of the weighted route's traffic to the canary. The dialects
// (istio-extras.ts, gateway-extras.ts) say how conditions and mirrors are spelled.
//
// The A/B route is named `gitops-canary-<app>-ab`, with <app> the TrafficSpec's app or,
// when the config gives none, the route object's own name (lower case, any character
// other than a-z, 0-9, `-` and `.` replaced by `-`). It sits right ahead of the weighted
// route and behaves like it (its match conditions, rewrites, timeouts and so on are
// copied) except that its requests must also match the A/B conditions and all go to the
// canary. Cookie conditions become a regex on the `cookie` header (ab-conditions.ts).
//
// Everything the bot writes, it can take out again byte for byte: an inserted route or
// key is one span of whole lines, and removing the bot's route or mirror deletes exactly
// that span. Containers written in flow style (`[...]`, `{...}`) are refused.
import { EditError, type Location } from '../errors.ts';
import type { AbMatch, Change, ManifestDoc, TextEdit, TrafficExtras, TrafficSpec } from './types.ts';
import type { Dialect, Located } from './istio-split.ts';
import { describeAb } from './extras-text.ts';
import { abOf, condsOf, deepEqual, record, type Cond, type Data } from './ab-conditions.ts';
import { checkBlock, dashOf, itemLines, keyStart, nestedIndent, renderPair, scalar, type Layout } from './block-text.ts';
import { eolOf, lineStart } from './text.ts';
import { columnOf, spaces } from './istio-text.ts';
import { isMap, isSeq, toJS, type ParsedDocument, type YAMLMap, type YAMLSeq } from './yaml.ts';

type Path = (string | number)[];

/** The weighted route with everything the dialects need to plan around it. */
export interface ExtrasContext {
  l: Located;
  d: Dialect;
  spec: TrafficSpec;
  text: string;
  eol: string;
  doc: ManifestDoc;
  /** `spec.http` / `spec.rules` as a node, its path, and the weighted route's index in it. */
  routes: YAMLSeq;
  listPath: Path;
  index: number;
  route: YAMLMap;
  /** The weighted route as plain data. */
  data: Data;
  /** Readable label of the weighted route, e.g. `spec.http[primary]`. */
  label: string;
  where: Location;
  version: string;
  /** Name of the bot's A/B route. */
  name: string;
}

/** What the bot's mirror on the weighted route looks like now. */
export type MirrorState = { own: true; percent: number } | { own: false; foreign: string } | undefined;

/** What differs between Istio and the Gateway API. */
export interface ExtrasDialect {
  /** Key of a route's match list: `match` or `matches`. */
  matchKey: string;
  /** `route` or `rule`, for messages. */
  unit: string;
  /** Whether the A/B route carries the bot's name in this apiVersion; where it does not,
   *  the bot recognises its route by shape (see findBotRoute). */
  names(version: string): boolean;
  /** Refuses conditions the API cannot express. */
  check(conds: Cond[], where: Location): void;
  /** One match of the weighted route (undefined: the route has none) with `conds` ANDed in. */
  withConds(base: Data | undefined, conds: Cond[], where: Location): Data;
  /** The conditions `match` has beyond `base`, read back from the bot's route. */
  extra(match: unknown, base: unknown): Cond[];
  /** The value the A/B route copies for key `key` of the weighted route; undefined = not copied. */
  copied(key: string, value: unknown, ctx: ExtrasContext): unknown;
  /** Path inside an unnamed A/B route whose scalar the confirm step checks, and its value. */
  marker(ctx: ExtrasContext): { path: Path; expect: string };
  readMirror(ctx: ExtrasContext): MirrorState;
  /** Changes that make the weighted route's mirror `want` percent (undefined = none).
   *  `shift` is how far the route moves in its list because of the A/B change. */
  planMirror(ctx: ExtrasContext, want: number | undefined, shift: number): Change[];
}

export function fail(code: string, message: string, where: Location): never {
  throw new EditError(code, message, where);
}

/** Indentation of the weighted route, its destination list and nested maps. */
export function layoutOf(ctx: ExtrasContext): Layout {
  const { text, l, route, where } = ctx;
  checkBlock(ctx.routes, `the ${ctx.listPath.join('.')} list`, where);
  checkBlock(route, 'the route', where);
  checkBlock(l.seq, `the ${ctx.d.listKey} list`, where);
  checkBlock(l.stable.node, 'the stable destination', where);
  if (!l.seq.range) fail('TRAFFIC_LAYOUT', `the ${ctx.d.listKey} list has no position`, where);
  const dashCol = columnOf(text, dashOf(text, route, where));
  const keyCol = columnOf(text, keyStart(route));
  const listDash = columnOf(text, l.seq.range[0]);
  const itemKey = columnOf(text, keyStart(l.stable.node));
  return { dashCol, keyCol, map: nestedIndent(text, route) ?? 2, seq: Math.max(0, listDash - keyCol), item: Math.max(2, itemKey - listDash) };
}

/** `gitops-canary-<app>-ab`, usable as an HTTPRoute rule name (a DNS label). */
export function abRouteName(spec: TrafficSpec, objectName: string): string {
  const app =
    (spec.app ?? objectName)
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'app';
  return `gitops-canary-${app}-ab`;
}

export function contextOf(l: Located, d: Dialect, spec: TrafficSpec): ExtrasContext {
  const listPath = l.slot.path.slice(0, -2);
  const index = Number(l.slot.path[l.slot.path.length - 2]);
  const routes = l.doc.doc.getIn(listPath, true) as YAMLSeq;
  const route = routes.items[index] as YAMLMap;
  let data: unknown = l.doc.value;
  for (const p of [...listPath, index]) data = (data as Record<string | number, unknown> | undefined)?.[p];
  return {
    l,
    d,
    spec,
    text: l.file.text,
    eol: eolOf(l.file.text),
    doc: l.doc,
    routes,
    listPath,
    index,
    route,
    data: record(data),
    label: l.slot.label,
    where: { ...l.where, field: l.slot.label },
    version: l.object.apiVersion?.split('/')[1] ?? '',
    name: abRouteName(spec, l.object.name),
  };
}

const LIST = Symbol('canary list');

/** The A/B route as ordered entries: the weighted route's keys in its order, with the
 *  bot's name first, the conditions ANDed into every match and the canary as the list
 *  (LIST, written from the stable destination by the dialect's newItem). */
function abEntries(ctx: ExtrasContext, x: ExtrasDialect, conds: Cond[], named: boolean): [string, unknown][] {
  const entries: [string, unknown][] = named ? [['name', ctx.name]] : [];
  const base = ctx.data[x.matchKey];
  const matches = Array.isArray(base) && base.length > 0 ? base.map((m) => x.withConds(record(m), conds, ctx.where)) : [x.withConds(undefined, conds, ctx.where)];
  let placed = false;
  for (const [k, v] of Object.entries(ctx.data)) {
    if (k === 'name') continue;
    if (k === x.matchKey) {
      entries.push([k, matches]);
      placed = true;
    } else if (k === ctx.d.listKey) {
      entries.push([k, LIST]);
    } else {
      const c = x.copied(k, v, ctx);
      if (c !== undefined) entries.push([k, c]);
    }
  }
  if (!placed) entries.splice(named ? 1 : 0, 0, [x.matchKey, matches]);
  return entries;
}

function headOf(entries: [string, unknown][]): Data {
  return Object.fromEntries(entries.filter(([, v]) => v !== LIST));
}

/** Whether `data` is the route the entries describe: same keys and values, and a list
 *  holding the canary alone. */
function isRoute(ctx: ExtrasContext, node: unknown, data: unknown, head: Data): boolean {
  const rest = { ...record(data) };
  delete rest[ctx.d.listKey];
  if (!deepEqual(rest, head) || !isMap(node)) return false;
  const list = node.get(ctx.d.listKey, true) as unknown;
  return isSeq(list) && list.items.length === 1 && isMap(list.items[0]) && ctx.d.matches(list.items[0], ctx.spec.canary);
}

interface BotRoute {
  index: number;
  node: YAMLMap;
  data: Data;
  conds: Cond[];
}

/**
 * The bot's A/B route: the route of the list named `gitops-canary-<app>-ab`; where the
 * API version gets no name from the bot (HTTPRoute before v1, see gateway-extras.ts), the
 * unnamed rule right ahead of the weighted one that is exactly what the bot would write
 * for some conditions: the weighted rule's matches each with the same conditions added,
 * its other fields, and the canary as its only backend. A rule the bot wrote and someone
 * changed by hand no longer has that shape and is left alone as theirs.
 */
export function findBotRoute(ctx: ExtrasContext, x: ExtrasDialect): BotRoute | undefined {
  const list = getIn(ctx.doc.value, ctx.listPath);
  const all = Array.isArray(list) ? list : [];
  const baseMatch = (ctx.data[x.matchKey] as unknown[] | undefined)?.[0];
  // the weighted route holds the stable backend: whatever its name, it is not the bot's
  const named = all.flatMap((r, index) => (record(r).name === ctx.name && index !== ctx.index ? [index] : []));
  if (named.length > 1) {
    fail('TRAFFIC_AB_AMBIGUOUS', `${named.length} ${x.unit}s are named ${ctx.name}; keep one`, ctx.where);
  }
  if (named.length === 1) {
    const index = named[0];
    const data = record(all[index]);
    return { index, node: ctx.routes.items[index] as YAMLMap, data, conds: x.extra((data[x.matchKey] as unknown[] | undefined)?.[0], baseMatch) };
  }
  if (x.names(ctx.version) || ctx.index === 0) return undefined;
  const index = ctx.index - 1;
  const data = record(all[index]);
  const node = ctx.routes.items[index];
  if ('name' in data) return undefined;
  const conds = x.extra((data[x.matchKey] as unknown[] | undefined)?.[0], baseMatch);
  if (conds.length === 0) return undefined;
  try {
    if (!isRoute(ctx, node, data, headOf(abEntries(ctx, x, conds, false)))) return undefined;
  } catch (err) {
    if (err instanceof EditError) return undefined;
    throw err;
  }
  return { index, node: node as YAMLMap, data, conds };
}

export function getIn(v: unknown, path: Path): unknown {
  let out = v;
  for (const p of path) out = (out as Record<string | number, unknown> | undefined)?.[p];
  return out;
}

/** Lines of the A/B route, laid out like the weighted route. */
function renderRoute(ctx: ExtrasContext, entries: [string, unknown][], s: Layout): string[] {
  const { l, d, text, eol } = ctx;
  const lines: string[] = [];
  for (const [k, v] of entries) {
    if (v !== LIST) {
      lines.push(...renderPair(k, v, s.keyCol, s));
      continue;
    }
    lines.push(`${spaces(s.keyCol)}${scalar(k)}:`);
    const dashCol = s.keyCol + s.seq;
    const item = d.newItem({ text, eol, stable: l.stable.node, canary: ctx.spec.canary, weight: 100, dashCol, keyCol: dashCol + s.item, where: ctx.where });
    // The lone canary takes every matching request; it needs no weight.
    if (/^\s*weight: 100$/.test(item[item.length - 1] ?? '')) item.pop();
    lines.push(...item);
  }
  lines[0] = `${spaces(s.dashCol)}-${spaces(s.keyCol - s.dashCol - 1)}${lines[0].slice(s.keyCol)}`;
  return lines;
}

/** Where the A/B route goes: the start of the weighted route's line, above the comment
 *  lines right over it (they describe the weighted route and stay with it). */
function insertionPoint(ctx: ExtrasContext, s: Layout): number {
  const { text } = ctx;
  let p = lineStart(text, dashOf(text, ctx.route, ctx.where));
  while (p > 0) {
    const prev = lineStart(text, p - 1);
    const line = text.slice(prev, p).replace(/\r?\n$/, '');
    if (!/^\s*#/.test(line) || columnOf(text, prev + line.search(/#/)) > s.dashCol) break;
    p = prev;
  }
  return p;
}

function abLabel(ctx: ExtrasContext, named: boolean, index: number): string {
  return `${ctx.listPath.join('.')}[${named ? ctx.name : index}]`;
}

/** `A/B route gitops-canary-podinfo-ab: header user-agent ~ .*Firefox.*`, for the plan. */
function abSummary(ctx: ExtrasContext, x: ExtrasDialect, named: boolean, conds: Cond[]): string {
  return `A/B ${x.unit}${named ? ` ${ctx.name}` : ''}: ${describeAb(abOf(conds))}`;
}

/** A confirm check: the route at `index` of the re-parsed document is the one planned. */
function confirmRoute(ctx: ExtrasContext, index: number, head: Data): (doc: ParsedDocument) => string | undefined {
  return (doc) => {
    const node = doc.getIn([...ctx.listPath, index], true);
    const data = getIn(toJS(doc), [...ctx.listPath, index]);
    return isRoute(ctx, node, data, head) ? undefined : `the A/B ${ctx.listPath.join('.')}[${index}] did not re-parse as planned`;
  };
}

/** The changes for the A/B route and mirror, and how far the weighted route moves in
 *  its list (the weight changes' paths move with it). */
export function planExtras(ctx: ExtrasContext, x: ExtrasDialect, extras: TrafficExtras | undefined): { changes: Change[]; shift: number } {
  const { text, eol, l } = ctx;
  const object = l.object;
  const file = l.file.path;
  if (extras?.mirror !== undefined && (!Number.isInteger(extras.mirror) || extras.mirror < 1 || extras.mirror > 100)) {
    fail('TRAFFIC_MIRROR_INVALID', `mirror must be a whole percentage 1..100, got ${extras.mirror}`, ctx.where);
  }
  const want = extras?.ab ? condsOf(extras.ab, ctx.where) : undefined;
  if (want) x.check(want, ctx.where);
  const have = findBotRoute(ctx, x);
  const named = x.names(ctx.version);
  const changes: Change[] = [];
  let shift = 0;
  if (want) {
    const entries = abEntries(ctx, x, want, named);
    const head = headOf(entries);
    if (!have || !isRoute(ctx, have.node, have.data, head)) {
      const s = layoutOf(ctx);
      const body = renderRoute(ctx, entries, s).join(eol) + eol;
      const index = have ? have.index : ctx.index;
      // a changed match replaces the bot's route where it is; a new one goes ahead of the
      // weighted route, which moves down one
      let span: TextEdit;
      if (have) {
        span = itemLines(text, have.node, ctx.where);
      } else {
        const at = insertionPoint(ctx, s);
        span = { start: at, end: at, text: '' };
        shift = 1;
      }
      const marker = named ? { path: ['name'], expect: ctx.name } : x.marker(ctx);
      changes.push({
        edit: { file, object, field: abLabel(ctx, named, index), old: have ? abSummary(ctx, x, 'name' in have.data, have.conds) : null, new: abSummary(ctx, x, named, want) },
        docIndex: ctx.doc.index,
        path: [...ctx.listPath, index, ...marker.path],
        expect: marker.expect,
        source: null,
        confirm: confirmRoute(ctx, index, head),
        text: [{ ...span, text: body }],
      });
    }
  } else if (have) {
    const count = ctx.routes.items.length;
    const wasNamed = 'name' in have.data;
    changes.push({
      edit: { file, object, field: abLabel(ctx, wasNamed, have.index), old: abSummary(ctx, x, wasNamed, have.conds), new: null },
      docIndex: ctx.doc.index,
      // the list is one shorter, and no route of it is the bot's
      path: [...ctx.listPath, count - 1],
      expect: '',
      absent: true,
      source: null,
      confirm: (doc) => {
        const list = getIn(toJS(doc), ctx.listPath);
        return Array.isArray(list) && list.some((r) => record(r).name === ctx.name) ? `${ctx.name} is still in ${ctx.listPath.join('.')}` : undefined;
      },
      text: [itemLines(text, have.node, ctx.where)],
    });
    if (have.index < ctx.index) shift = -1;
  }
  changes.push(...x.planMirror(ctx, extras?.mirror, shift).map((c) => relabel(c, ctx.l.slot.path, shift)));
  return { changes, shift };
}

/** The A/B match and mirror the weighted route has now (for TrafficState). Reading never
 *  refuses: an odd layout only matters once something must be written. */
export function readExtras(ctx: ExtrasContext, x: ExtrasDialect): { ab?: AbMatch; mirror?: number } {
  const out: { ab?: AbMatch; mirror?: number } = {};
  let have: BotRoute | undefined;
  try {
    have = findBotRoute(ctx, x);
  } catch (err) {
    if (!(err instanceof EditError)) throw err;
  }
  if (have && have.conds.length > 0) out.ab = abOf(have.conds);
  const m = x.readMirror(ctx);
  if (m?.own) out.mirror = m.percent;
  return out;
}

/** Index labels (`spec.rules[0]`) count the A/B route in the file that holds it: after an
 *  insertion the weighted route's changes are labelled at its new index, so a reviewer
 *  reads `spec.rules[0]` (the A/B rule) and `spec.rules[1].backendRefs[1].weight`. */
function relabel(c: Change, slotPath: Path, shift: number): Change {
  const at = slotPath.length - 2;
  const list = slotPath.slice(0, at).join('.');
  const old = `${list}[${String(slotPath[at])}]`;
  if (shift <= 0 || !c.edit.field.startsWith(old)) return c;
  return { ...c, edit: { ...c.edit, field: `${list}[${Number(slotPath[at]) + shift}]${c.edit.field.slice(old.length)}` } };
}

/** A weight change planned on the original list, pointed at where its route ends up
 *  after the A/B route was inserted ahead of it (shift 1) or removed (shift -1). */
export function shifted(c: Change, slotPath: Path, shift: number): Change {
  const at = slotPath.length - 2;
  if (shift === 0 || c.path.length <= at || !slotPath.slice(0, at + 1).every((p, i) => String(p) === String(c.path[i]))) return c;
  const path = [...c.path];
  path[at] = Number(slotPath[at]) + shift;
  return relabel({ ...c, path, source: c.source === undefined ? c.path : c.source }, slotPath, shift);
}
