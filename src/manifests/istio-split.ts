// The weight-split engine shared by the Istio VirtualService and Gateway API HTTPRoute
// editors. A "slot" is one route (http[i] / rules[i]) holding a list of weighted
// destinations; the dialects say how to find slots, match backends and write a new
// destination, and this file does the selection and validation once. Weights are read
// as proportions of the route's total; the rounding is in split-weights.ts.
import { EditError, type Location } from '../errors.ts';
import { objectLabel, type ObjectRef } from '../plan.ts';
import type { Backend, Change, ManifestDoc, ManifestFile, TrafficEditor, TrafficSpec, TrafficState } from './types.ts';
import { replaceScalar, eolOf } from './text.ts';
import { afterNode, columnOf, spaces } from './istio-text.ts';
import { percents, rescale } from './split-weights.ts';
import { contextOf, planExtras, readExtras, shifted, type ExtrasDialect } from './traffic-ab.ts';
import { isMap, isScalar, isSeq, type Scalar, type YAMLMap, type YAMLSeq } from './yaml.ts';

export interface Slot {
  /** Readable path of the route, e.g. `spec.http[primary]`. */
  label: string;
  name?: string;
  /** Document path of the destination list. */
  path: (string | number)[];
  list: unknown;
}

/** What a new canary item must look like, modelled on the stable item. */
export interface NewItemContext {
  text: string;
  eol: string;
  stable: YAMLMap;
  canary: Backend;
  weight: number;
  dashCol: number;
  keyCol: number;
  where: Location;
}

export interface Dialect {
  kind: string;
  /** Key of the destination list inside a slot: `route` or `backendRefs`. */
  listKey: string;
  versions: string[];
  /** Largest weight the API accepts on one destination. */
  maxWeight: number;
  /** Weight of a destination without a `weight` key in a multi-destination route. */
  missingWeight: number;
  /** True when a lone destination takes all traffic whatever its weight (Istio); false
   *  when its weight still counts, so a lone `weight: 0` serves nothing (Gateway API). */
  singleTakesAll: boolean;
  /** True when a stable destination without a `weight` key, in a route whose weights add
   *  up to 0, is read as holding all traffic and gets its weight written: the route was
   *  written before the split began (Istio refuses such a route as it stands). */
  repairMissing: boolean;
  checkSpec(spec: TrafficSpec, where: Location): void;
  slots(doc: ManifestDoc, where: Location): Slot[];
  matches(item: YAMLMap, backend: Backend): boolean;
  /** Lines of a new list item (no leading EOL), in block style. */
  newItem(ctx: NewItemContext): string[];
  /** How the A/B route and the mirror are written (traffic-ab.ts). */
  extras: ExtrasDialect;
}

interface Item {
  index: number;
  node: YAMLMap;
  weightNode?: Scalar;
  /** As written; undefined without a `weight` key. */
  weight?: number;
  /** What the weight counts for in the route's proportions. */
  effective: number;
}

export interface Located {
  file: ManifestFile;
  doc: ManifestDoc;
  object: ObjectRef;
  where: Location;
  slot: Slot;
  seq: YAMLSeq;
  items: Item[];
  stable: Item;
  canary?: Item;
  /** Sum of the effective weights (> 0): every share is `effective / total`. */
  total: number;
  /** The stable's missing weight must be written even if no share changes. */
  repair: boolean;
  state: TrafficState;
}

function fail(code: string, message: string, where: Location): never {
  throw new EditError(code, message, where);
}

export function backendLabel(b: Backend): string {
  if ('subset' in b) return b.host ? `${b.host} subset ${b.subset}` : `subset ${b.subset}`;
  return b.port === undefined ? `host ${b.host}` : `host ${b.host} port ${b.port}`;
}

function itemsOf(slot: Slot): YAMLMap[] {
  return isSeq(slot.list) ? slot.list.items.filter((i): i is YAMLMap => isMap(i)) : [];
}

function slotHas(d: Dialect, slot: Slot, b: Backend): boolean {
  return itemsOf(slot).some((i) => d.matches(i, b));
}

interface Candidate {
  doc: ManifestDoc;
  object: ObjectRef;
  where: Location;
  slots: Slot[];
}

function pickObject(file: ManifestFile, spec: TrafficSpec, d: Dialect, handles: (o: ObjectRef) => boolean): Candidate {
  const all: Candidate[] = file.docs
    .filter((doc) => doc.object && handles(doc.object))
    .map((doc) => {
      const object = doc.object as ObjectRef;
      const where = { file: file.path, object: objectLabel(object), line: lineOfDoc(file, doc) };
      return { doc, object, where, slots: d.slots(doc, where) };
    });
  if (all.length === 0) fail('TRAFFIC_NOT_FOUND', `no ${d.kind} in the file`, { file: file.path });
  if (all.length === 1) return all[0];
  let pool = all;
  if (spec.route !== undefined) {
    pool = pool.filter((c) => c.slots.some((s) => s.name === spec.route));
    if (pool.length === 0) fail('TRAFFIC_ROUTE_NOT_FOUND', `no ${d.kind} in the file has a route named "${spec.route}"`, { file: file.path });
  }
  const both = pool.filter((c) => c.slots.some((s) => slotHas(d, s, spec.stable) && slotHas(d, s, spec.canary)));
  if (both.length === 1) return both[0];
  const stable = both.length > 1 ? both : pool.filter((c) => c.slots.some((s) => slotHas(d, s, spec.stable)));
  if (stable.length === 1) return stable[0];
  const names = (stable.length > 0 ? stable : all).map((c) => c.where.object).join(', ');
  if (stable.length === 0) {
    fail('TRAFFIC_NOT_FOUND', `none of the ${d.kind}s in the file (${names}) routes to ${backendLabel(spec.stable)}`, { file: file.path });
  }
  fail('TRAFFIC_AMBIGUOUS_OBJECT', `several ${d.kind}s route to ${backendLabel(spec.stable)} (${names}); give a route name that only one of them has`, {
    file: file.path,
  });
}

function lineOfDoc(file: ManifestFile, doc: ManifestDoc): number | undefined {
  const r = doc.doc.contents?.range;
  return r ? file.lineOf(r[0]) : undefined;
}

/** `spec.rules[2] "name" (line 30)`: a candidate rule as a reader finds it in the file. */
function candidate(file: ManifestFile, doc: ManifestDoc, s: Slot): string {
  const rulePath = s.path.slice(0, -1);
  const node = doc.doc.getIn(rulePath, true) as { range?: [number, number, number] } | undefined;
  const at = `${rulePath.slice(0, -1).join('.')}[${String(rulePath[rulePath.length - 1])}]`;
  const line = node?.range ? ` (line ${file.lineOf(node.range[0])})` : '';
  return `${at}${s.name === undefined ? '' : ` ${JSON.stringify(s.name)}`}${line}`;
}

/** The route (Istio http[i]) or rule (HTTPRoute rules[i]) to edit: the one named by the
 *  config, else the one rule holding both the stable and the canary backend, else the
 *  only one holding the stable backend. Two rules often send the stable backend traffic
 *  (a path or header rule beside the catch-all) while only one carries the split. */
function pickSlot(file: ManifestFile, c: Candidate, spec: TrafficSpec, d: Dialect): Slot {
  if (spec.route !== undefined) {
    const named = c.slots.filter((s) => s.name === spec.route);
    if (named.length === 1) return named[0];
    const names = c.slots.map((s) => s.name).filter(Boolean);
    if (named.length === 0) {
      fail('TRAFFIC_ROUTE_NOT_FOUND', `no route named "${spec.route}" (named routes: ${names.length ? names.join(', ') : 'none'})`, c.where);
    }
    fail('TRAFFIC_AMBIGUOUS_ROUTE', `${named.length} routes are named "${spec.route}": ${named.map((s) => s.label).join(', ')}`, c.where);
  }
  const withStable = c.slots.filter((s) => slotHas(d, s, spec.stable));
  if (withStable.length === 0) fail('TRAFFIC_BACKEND_NOT_FOUND', `no route sends traffic to ${backendLabel(spec.stable)}`, c.where);
  const withBoth = withStable.filter((s) => slotHas(d, s, spec.canary));
  const pool = withBoth.length > 0 ? withBoth : withStable;
  if (pool.length === 1) return pool[0];
  const what = withBoth.length > 0 ? `${backendLabel(spec.stable)} and ${backendLabel(spec.canary)}` : backendLabel(spec.stable);
  const unit = d.listKey === 'route' ? 'route' : 'rule';
  const hint = `set traffic.route to the name of the ${unit} to edit${pool.some((s) => s.name === undefined) ? ` (give the ${unit} a \`name:\` first)` : ''}`;
  fail('TRAFFIC_AMBIGUOUS_ROUTE', `${pool.length} ${unit}s send traffic to ${what}: ${pool.map((s) => candidate(file, c.doc, s)).join(', ')}; ${hint}`, c.where);
}

function readWeight(file: ManifestFile, d: Dialect, item: YAMLMap, field: string, where: Location): Pick<Item, 'weightNode' | 'weight'> {
  const node = item.get('weight', true) as unknown;
  if (node === undefined) return {};
  const range = (node as { range?: [number, number, number] } | null)?.range;
  const at = { ...where, field, line: range ? file.lineOf(range[0]) : where.line };
  const src = range ? file.text.slice(range[0], range[1]) : String(node);
  // `10.0`, `1e1` and `0xa` all load as 10 but are not what Istio or the API server
  // accept; an alias or tag would hide the number from a reviewer.
  if (!isScalar(node) || typeof node.value !== 'number' || !/^[-+]?\d+$/.test(src)) {
    fail('TRAFFIC_WEIGHT_NOT_INTEGER', `weight must be an integer, found ${JSON.stringify(src)}`, at);
  }
  if (node.value < 0 || node.value > d.maxWeight) fail('TRAFFIC_WEIGHT_RANGE', `weight ${node.value} is outside 0..${d.maxWeight}`, at);
  return { weightNode: node as Scalar, weight: node.value };
}

function pickItem(d: Dialect, items: Item[], b: Backend, role: string, slot: Slot, where: Location): Item | undefined {
  const hits = items.filter((i) => d.matches(i.node, b));
  if (hits.length > 1) {
    fail(
      'TRAFFIC_AMBIGUOUS_BACKEND',
      `${hits.length} destinations match the ${role} backend ${backendLabel(b)} (${hits.map((h) => `${slot.label}.${d.listKey}[${h.index}]`).join(', ')})`,
      where,
    );
  }
  return hits[0];
}

/** Finds the object, route and the two destinations, and reads the weights as the API
 *  does: proportions of the route's total.
 *  `guard` runs on the chosen object first, so a refusal (owned by another controller)
 *  is reported rather than whatever state that controller left the weights in. */
export function locate(
  file: ManifestFile,
  spec: TrafficSpec,
  d: Dialect,
  handles: (o: ObjectRef) => boolean,
  guard?: (doc: ManifestDoc, where: Location) => void,
): Located {
  d.checkSpec(spec, { file: file.path });
  const c = pickObject(file, spec, d, handles);
  guard?.(c.doc, c.where);
  const version = c.object.apiVersion?.split('/')[1] ?? '';
  if (!d.versions.includes(version)) {
    fail('TRAFFIC_API_VERSION', `unsupported apiVersion ${JSON.stringify(c.object.apiVersion)} (supported: ${d.versions.join(', ')})`, c.where);
  }
  const slot = pickSlot(file, c, spec, d);
  const where = { ...c.where, field: `${slot.label}.${d.listKey}` };
  if (!isSeq(slot.list)) fail('TRAFFIC_NO_DESTINATIONS', `route has no ${d.listKey} list`, where);
  const seq = slot.list;
  const single = seq.items.length === 1 && d.singleTakesAll;
  const items: Item[] = seq.items.map((node, index) => {
    const field = `${slot.label}.${d.listKey}[${index}]`;
    if (!isMap(node)) fail('TRAFFIC_BAD_DESTINATION', 'destination must be a mapping', { ...c.where, field });
    const w = readWeight(file, d, node, `${field}.weight`, c.where);
    return { index, node, ...w, effective: single ? 1 : (w.weight ?? d.missingWeight) };
  });
  const stable = pickItem(d, items, spec.stable, 'stable', slot, where);
  if (!stable) fail('TRAFFIC_BACKEND_NOT_FOUND', `route does not send traffic to the stable backend ${backendLabel(spec.stable)}`, where);
  const canary = pickItem(d, items, spec.canary, 'canary', slot, where);
  if (canary === stable) {
    fail('TRAFFIC_SAME_BACKEND', `stable and canary backends both match ${slot.label}.${d.listKey}[${stable.index}]`, where);
  }
  let total = items.reduce((s, i) => s + i.effective, 0);
  const repair = total === 0 && d.repairMissing && stable.weight === undefined;
  if (repair) {
    stable.effective = 1;
    total = 1;
  }
  if (total === 0) {
    const parts = items.map((i) => (i.weight === undefined ? `${i.effective} (no weight)` : String(i.weight))).join(', ');
    fail(
      'TRAFFIC_WEIGHT_ZERO',
      `every weight of the ${d.listKey} list is 0 (${parts}), so it serves no traffic; give the stable backend its weight by hand before the bot manages the split`,
      where,
    );
  }
  const others = items.filter((i) => i !== stable && i !== canary).reduce((s, i) => s + i.effective, 0);
  const [stablePct, canaryPct, othersPct] = percents([stable.effective, canary?.effective ?? 0, others]);
  const state = { file: file.path, object: c.object, stable: stablePct, canary: canaryPct, others: othersPct };
  return { file, doc: c.doc, object: c.object, where: c.where, slot, seq, items, stable, canary, total, repair, state };
}

function weightChange(l: Located, d: Dialect, item: Item, value: number): Change | null {
  if (item.weight === value) return null;
  const field = `${l.slot.label}.${d.listKey}[${item.index}].weight`;
  const where = { ...l.where, field };
  let text;
  if (item.weightNode) {
    text = replaceScalar(item.weightNode, value, { file: l.file.path, field });
  } else {
    if (item.node.flow) fail('TRAFFIC_FLOW_STYLE', 'cannot add a weight to a flow-style destination; write it in block style', where);
    const keyCol = columnOf(l.file.text, (item.node.items[0].key as Scalar).range?.[0] ?? 0);
    const at = afterNode(l.file.text, item.node);
    text = { start: at, end: at, text: `${eolOf(l.file.text)}${spaces(keyCol)}weight: ${value}` };
  }
  return {
    edit: { file: l.file.path, object: l.object, field, old: item.weight ?? null, new: value },
    docIndex: l.doc.index,
    path: [...l.slot.path, item.index, 'weight'],
    expect: value,
    text: [text],
  };
}

function appendCanary(l: Located, d: Dialect, canary: Backend, value: number): Change {
  const text = l.file.text;
  const field = `${l.slot.label}.${d.listKey}[${l.items.length}].weight`;
  const where = { ...l.where, field };
  const stable = l.stable.node;
  if (l.seq.flow || stable.flow || !l.seq.range || stable.items.length === 0) {
    fail('TRAFFIC_FLOW_STYLE', `cannot append the canary destination to a flow-style ${d.listKey} list; write it in block style`, where);
  }
  const dashCol = columnOf(text, l.seq.range[0]);
  const keyCol = columnOf(text, (stable.items[0].key as Scalar).range?.[0] ?? 0);
  const eol = eolOf(text);
  const lines = d.newItem({ text, eol, stable, canary, weight: value, dashCol, keyCol: Math.max(keyCol, dashCol + 2), where });
  const at = afterNode(text, l.seq);
  return {
    edit: { file: l.file.path, object: l.object, field, old: null, new: value },
    docIndex: l.doc.index,
    path: [...l.slot.path, l.items.length, 'weight'],
    expect: value,
    text: [{ start: at, end: at, text: eol + lines.join(eol) }],
  };
}

/**
 * The changes that give the canary `canary` percent, every other destination its current
 * share, and the stable the rest. A route whose weights total 100 keeps the others'
 * weights as written and changes only the stable and canary (the bytes are what they
 * were before weights were read as proportions); any other total is rescaled to 100 with
 * the rounding of split-weights.ts `rescale`. Nothing is written when the canary already
 * has that share, so an unsplit route stays unsplit at 0 % and 9/1 stays 9/1 at 10 %.
 */
export function planSplit(l: Located, d: Dialect, spec: TrafficSpec, canary: number): Change[] {
  const where = { ...l.where, field: `${l.slot.label}.${d.listKey}` };
  if (!Number.isInteger(canary) || canary < 0 || canary > 100) {
    fail('TRAFFIC_WEIGHT_INVALID', `canary weight must be an integer 0..100, got ${canary}`, where);
  }
  if (!l.repair && (l.canary?.effective ?? 0) * 100 === canary * l.total) return [];
  const others = l.items.filter((i) => i !== l.stable && i !== l.canary);
  const r = rescale(l.total, others.map((i) => i.effective), canary);
  if ('available' in r) {
    const held = (100 * others.reduce((s, i) => s + i.effective, 0)) / l.total;
    const shown = Number.isInteger(held) ? String(held) : held.toFixed(1);
    fail('TRAFFIC_WEIGHT_UNAVAILABLE', `canary weight ${canary} exceeds the ${r.available} left after other destinations (${shown})`, where);
  }
  const changes: (Change | null)[] = [weightChange(l, d, l.stable, r.stable)];
  if (l.canary) changes.push(weightChange(l, d, l.canary, canary));
  // An other destination without a weight key that keeps what it counts for stays without one.
  others.forEach((item, k) => {
    if (r.others[k] !== item.effective || item.weight !== undefined) changes.push(weightChange(l, d, item, r.others[k]));
  });
  // Last: a weight inserted on the last destination goes at the same offset, ahead of it.
  if (!l.canary && canary > 0) changes.push(appendCanary(l, d, spec.canary, canary));
  return changes.filter((c): c is Change => c !== null);
}

/** A traffic editor over one dialect: both kinds share the reading, the ownership
 *  guard and the split planning; only how routes and backends look differs. */
export function splitEditor(
  name: string,
  dialect: Dialect,
  handles: (o: ObjectRef) => boolean,
  guard: (doc: ManifestDoc, where: Location) => void,
): TrafficEditor {
  return {
    name,
    handles,
    screen: (text) => text.includes(dialect.kind),
    read(file, spec) {
      const l = locate(file, spec, dialect, handles);
      return { ...l.state, ...readExtras(contextOf(l, dialect, spec), dialect.extras) };
    },
    set(file, spec, canary, extras) {
      const l = locate(file, spec, dialect, handles, guard);
      // The A/B route goes in ahead of the weighted route and the mirror after its list, so
      // their edits never touch the weights'; the weights' confirm paths follow the route
      // when the A/B route moves it down or up the list.
      const x = planExtras(contextOf(l, dialect, spec), dialect.extras, extras);
      const weights = planSplit(l, dialect, spec, canary).map((c) => shifted(c, l.slot.path, x.shift));
      return { changes: [...weights, ...x.changes], skipped: [] };
    },
  };
}
