// Canary weights in Istio VirtualServices: `spec.http[].route[]` destinations, split by
// subset (`destination.subset`) or by host (`destination.host`; the 2018 drafts spelled
// it `destination.name`). The selection and arithmetic live in istio-split.ts.
import { EditError, type Location } from '../errors.ts';
import type { ObjectRef } from '../plan.ts';
import type { Backend, ManifestDoc, TrafficEditor, TrafficSpec } from './types.ts';
import { renderScalar } from './text.ts';
import { columnOf, spaces } from './istio-text.ts';
import { splitEditor, type Dialect, type NewItemContext, type Slot } from './istio-split.ts';
import { istioExtras } from './istio-extras.ts';
import { OWNER_HELP } from './traffic-owners.ts';
import { isMap, isScalar, isSeq, type YAMLMap } from './yaml.ts';

const RECONCILE = 'kustomize.toolkit.fluxcd.io/reconcile';

function record(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Refuses objects whose weights another controller manages: a Flagger Canary or Argo
 *  Rollout owner, or Flux reconciliation disabled (a commit would never reach the
 *  cluster). Controllers that name the object from elsewhere in the repo are found by
 *  traffic-owners.ts, which needs the whole repo. */
export function checkNotOwned(doc: ManifestDoc, where: Location): void {
  const meta = record(record(doc.value).metadata);
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  owners.forEach((o, i) => {
    const ref = record(o);
    const api = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const field = `metadata.ownerReferences[${i}]`;
    if (ref.kind === 'Canary') {
      const by = api && !api.startsWith('flagger.app/') ? api : 'Flagger';
      throw new EditError('TRAFFIC_OWNED', `owned by ${by} Canary ${String(ref.name ?? '?')}; let Flagger manage its weights (${OWNER_HELP})`, { ...where, field });
    }
    if (ref.kind === 'Rollout' && api.startsWith('argoproj.io/')) {
      throw new EditError('TRAFFIC_OWNED', `owned by Argo Rollout ${String(ref.name ?? '?')}; let the Rollout set its weights (${OWNER_HELP})`, { ...where, field });
    }
  });
  for (const key of ['annotations', 'labels'] as const) {
    if (record(meta[key])[RECONCILE] === 'disabled') {
      throw new EditError(
        'TRAFFIC_RECONCILE_DISABLED',
        `Flux reconciliation is disabled (${RECONCILE}: disabled), so a change in git would never be applied; remove the ${key === 'labels' ? 'label' : 'annotation'} or change the object by hand`,
        { ...where, field: `metadata.${key}["${RECONCILE}"]` },
      );
    }
  }
}

function scalarText(map: unknown, key: string): string | undefined {
  if (!isMap(map)) return undefined;
  const n = map.get(key, true) as unknown;
  return isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : undefined;
}

function styleOf(map: YAMLMap, key: string): string | undefined {
  const n = map.get(key, true) as unknown;
  return isScalar(n) ? n.type : undefined;
}

function hostKey(dest: YAMLMap): 'host' | 'name' {
  return dest.has('host') || !dest.has('name') ? 'host' : 'name';
}

function portNumber(dest: unknown): number | undefined {
  const port = isMap(dest) ? (dest.get('port', true) as unknown) : undefined;
  const n = scalarText(port, 'number');
  return n === undefined ? undefined : Number(n);
}

function matches(item: YAMLMap, b: Backend): boolean {
  const dest = item.get('destination', true) as unknown;
  if (!isMap(dest)) return false;
  const host = scalarText(dest, hostKey(dest));
  if ('subset' in b) return scalarText(dest, 'subset') === b.subset && (b.host === undefined || host === b.host);
  return host === b.host && (b.port === undefined || portNumber(dest) === b.port);
}

function checkBackend(b: unknown, role: string, where: Location): void {
  const v = record(b);
  const ok =
    typeof v.subset === 'string'
      ? v.subset !== '' && (v.host === undefined || (typeof v.host === 'string' && v.host !== ''))
      : typeof v.host === 'string' && v.host !== '' && (v.port === undefined || Number.isInteger(v.port));
  if (!ok) throw new EditError('TRAFFIC_SPEC', `${role} backend must be {subset, host?} or {host, port?}, got ${JSON.stringify(b)}`, where);
}

function slots(doc: ManifestDoc): Slot[] {
  const http = doc.doc.getIn(['spec', 'http'], true) as unknown;
  if (!isSeq(http)) return [];
  return http.items.flatMap((route, i) => {
    if (!isMap(route)) return [];
    const name = scalarText(route, 'name');
    return [{ label: `spec.http[${name ?? i}]`, name, path: ['spec', 'http', i, 'route'], list: route.get('route', true) as unknown }];
  });
}

/** A canary destination laid out like the stable one: same key order, quoting,
 *  indentation and port style, with the canary's host/subset. */
function newItem(ctx: NewItemContext): string[] {
  const dest = ctx.stable.get('destination', true) as unknown as YAMLMap;
  const hk = hostKey(dest);
  const host = ctx.canary.host ?? scalarText(dest, hk);
  if (host === undefined) throw new EditError('TRAFFIC_SPEC', 'the stable destination has no host; give the canary backend a host', ctx.where);
  const subset = 'subset' in ctx.canary ? ctx.canary.subset : undefined;
  const port = 'port' in ctx.canary && ctx.canary.port !== undefined ? ctx.canary.port : portNumber(dest);
  const keys = dest.items.map((p) => String(isScalar(p.key) ? p.key.value : '')).filter((k) => k === hk || k === 'subset' || k === 'port');
  for (const k of [hk, 'subset', 'port']) if (!keys.includes(k)) keys.push(k);
  const portNode = dest.get('port', true) as unknown;
  const flowPort = !isMap(portNode) || portNode.flow || portNode.items.length === 0;
  const head = `${spaces(ctx.dashCol)}-${spaces(ctx.keyCol - ctx.dashCol - 1)}destination:`;
  const weight = `${spaces(ctx.keyCol)}weight: ${ctx.weight}`;
  const value = (k: string): string | undefined => {
    if (k === hk) return renderScalar(host, styleOf(dest, hk), true);
    if (k === 'subset') return subset === undefined ? undefined : renderScalar(subset, styleOf(dest, 'subset'), true);
    return port === undefined ? undefined : `{number: ${port}}`;
  };
  const present = keys.filter((k) => value(k) !== undefined);
  if (dest.flow || dest.items.length === 0) {
    return [`${head} {${present.map((k) => `${k}: ${value(k)}`).join(', ')}}`, weight];
  }
  const destCol = ctx.keyCol + Math.max(1, columnOf(ctx.text, keyStart(dest)) - columnOf(ctx.text, keyStart(ctx.stable)));
  const lines = [head];
  for (const k of present) {
    if (k === 'port' && !flowPort) {
      const rel = Math.max(1, columnOf(ctx.text, keyStart(portNode as YAMLMap)) - columnOf(ctx.text, keyStart(dest)));
      lines.push(`${spaces(destCol)}port:`, `${spaces(destCol + rel)}number: ${port}`);
    } else {
      lines.push(`${spaces(destCol)}${k}: ${value(k)}`);
    }
  }
  lines.push(weight);
  return lines;
}

function keyStart(map: YAMLMap): number {
  const key = map.items[0]?.key as { range?: [number, number, number] } | undefined;
  return key?.range?.[0] ?? 0;
}

const dialect: Dialect = {
  kind: 'VirtualService',
  listKey: 'route',
  versions: ['v1alpha2', 'v1alpha3', 'v1beta1', 'v1'],
  // Istio 1.15 and later validate a weight as any non-negative int32 and read weights
  // relative to the route's total (istio/istio#39544); only a multi-destination route
  // whose weights total 0 is refused. Earlier releases wanted 0..100 summing to 100: the
  // bot writes totals of 100, which both accept.
  maxWeight: 2 ** 31 - 1,
  // Istio reads an absent weight as 0 once a route has several destinations,
  missingWeight: 0,
  // and sends everything to a lone destination, whatever its weight.
  singleTakesAll: true,
  repairMissing: true,
  checkSpec(spec: TrafficSpec, where: Location) {
    checkBackend(spec.stable, 'stable', where);
    checkBackend(spec.canary, 'canary', where);
  },
  slots,
  matches,
  newItem,
  extras: istioExtras,
};

function handles(o: ObjectRef): boolean {
  return o.kind === 'VirtualService' && (o.apiVersion ?? '').startsWith('networking.istio.io/');
}

export const istioVirtualService: TrafficEditor = splitEditor('istio-virtualservice', dialect, handles, checkNotOwned);
