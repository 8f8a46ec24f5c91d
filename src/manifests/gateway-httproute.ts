// Canary weights in Gateway API HTTPRoutes: `spec.rules[].backendRefs[].weight`, with
// backends addressed by Service name (and port). The selection and arithmetic live in
// istio-split.ts; the rules that differ are here. Weights are proportions of the rule's
// total and a missing weight means 1 (so two backends without weights are 50/50); a lone
// backend still needs a weight above 0 to get traffic. The bot writes totals of 100.
import { EditError, type Location } from '../errors.ts';
import type { ObjectRef } from '../plan.ts';
import type { Backend, ManifestDoc, TrafficEditor, TrafficSpec } from './types.ts';
import { renderScalar } from './text.ts';
import { spaces } from './istio-text.ts';
import { splitEditor, type Dialect, type NewItemContext, type Slot } from './istio-split.ts';
import { gatewayExtras } from './gateway-extras.ts';
import { checkNotOwned } from './istio-virtualservice.ts';
import { isMap, isScalar, isSeq, type YAMLMap } from './yaml.ts';

function scalarText(map: YAMLMap, key: string): string | undefined {
  const n = map.get(key, true) as unknown;
  return isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : undefined;
}

function matches(item: YAMLMap, b: Backend): boolean {
  if ('subset' in b) return false;
  const port = scalarText(item, 'port');
  return scalarText(item, 'name') === b.host && (b.port === undefined || (port !== undefined && Number(port) === b.port));
}

function checkBackend(b: unknown, role: string, where: Location): void {
  const v = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  if ('subset' in v) {
    throw new EditError('TRAFFIC_SPEC', `${role} backend: HTTPRoute backends are Services, not subsets; use {host: <service name>, port?}`, where);
  }
  if (typeof v.host !== 'string' || v.host === '' || (v.port !== undefined && !Number.isInteger(v.port))) {
    throw new EditError('TRAFFIC_SPEC', `${role} backend must be {host: <service name>, port?}, got ${JSON.stringify(b)}`, where);
  }
}

function slots(doc: ManifestDoc): Slot[] {
  const rules = doc.doc.getIn(['spec', 'rules'], true) as unknown;
  if (!isSeq(rules)) return [];
  return rules.items.flatMap((rule, i) => {
    if (!isMap(rule)) return [];
    const name = scalarText(rule, 'name');
    return [{ label: `spec.rules[${name ?? i}]`, name, path: ['spec', 'rules', i, 'backendRefs'], list: rule.get('backendRefs', true) as unknown }];
  });
}

// Keys copied from the stable backendRef: the canary Service lives beside the stable one.
const COPIED = ['group', 'kind', 'namespace'];

/** A canary backendRef laid out like the stable one (key order and quoting). */
function newItem(ctx: NewItemContext): string[] {
  const s = ctx.stable;
  const canary = ctx.canary as { host: string; port?: number };
  const port = canary.port ?? (scalarText(s, 'port') === undefined ? undefined : Number(scalarText(s, 'port')));
  const entries: [string, string][] = [];
  for (const p of s.items) {
    const key = String(isScalar(p.key) ? p.key.value : '');
    const node = p.value as unknown;
    const style = isScalar(node) ? node.type : undefined;
    if (key === 'name') entries.push([key, renderScalar(canary.host, style, true)]);
    else if (key === 'port' && port !== undefined) entries.push([key, String(port)]);
    else if (COPIED.includes(key) && isScalar(node) && typeof node.value === 'string') entries.push([key, renderScalar(node.value, style, true)]);
  }
  if (port !== undefined && !entries.some(([k]) => k === 'port')) entries.push(['port', String(port)]);
  const lines = entries.map(([k, v], i) => (i === 0 ? `${spaces(ctx.dashCol)}-${spaces(ctx.keyCol - ctx.dashCol - 1)}` : spaces(ctx.keyCol)) + `${k}: ${v}`);
  lines.push(`${spaces(ctx.keyCol)}weight: ${ctx.weight}`);
  return lines;
}

const dialect: Dialect = {
  kind: 'HTTPRoute',
  listKey: 'backendRefs',
  versions: ['v1alpha2', 'v1beta1', 'v1'],
  maxWeight: 1_000_000,
  missingWeight: 1,
  singleTakesAll: false,
  repairMissing: false,
  checkSpec(spec: TrafficSpec, where: Location) {
    checkBackend(spec.stable, 'stable', where);
    checkBackend(spec.canary, 'canary', where);
  },
  slots,
  matches,
  newItem,
  extras: gatewayExtras,
};

function handles(o: ObjectRef): boolean {
  return o.kind === 'HTTPRoute' && (o.apiVersion ?? '').startsWith('gateway.networking.k8s.io/');
}

export const gatewayHttpRoute: TrafficEditor = splitEditor('gateway-httproute', dialect, handles, checkNotOwned);
