// Round trip of a two-destination weighted route through the traffic editors: read the
// split, move the canary weight, confirm only the two weights changed, move it back and
// require the original bytes.
import { isDeepStrictEqual } from 'node:util';
import { gatewayHttpRoute } from '../../src/manifests/gateway-httproute.ts';
import { istioVirtualService } from '../../src/manifests/istio-virtualservice.ts';
import { applyAndConfirm, parseManifest } from '../../src/manifests/parse.ts';
import type { Backend, ManifestFile, TrafficEditor, TrafficSpec } from '../../src/manifests/types.ts';
import { docValues, fail, firstDifference, textDifference, withValueAt } from './util.ts';

type Obj = Record<string, unknown>;

export interface RouteCase {
  editor: TrafficEditor;
  docIndex: number;
  label: string;
  /** Document path of the destination list. */
  listPath: (string | number)[];
  spec: TrafficSpec;
  weights: [number, number];
}

function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** Backends that tell the two destinations apart, the way a user would write them. */
function istioBackends(a: Obj, b: Obj): [Backend, Backend] | undefined {
  const da = obj(a.destination) ?? {};
  const db = obj(b.destination) ?? {};
  const host = (d: Obj) => text(d.host) ?? text(d.name);
  const port = (d: Obj) => {
    const n = obj(d.port)?.number;
    return typeof n === 'number' ? n : undefined;
  };
  const [sa, sb] = [text(da.subset), text(db.subset)];
  if (sa && sb && sa !== sb) {
    const same = host(da) === host(db);
    return [same ? { subset: sa } : { subset: sa, host: host(da) }, same ? { subset: sb } : { subset: sb, host: host(db) }];
  }
  const [ha, hb] = [host(da), host(db)];
  if (!ha || !hb || sa || sb) return undefined;
  if (ha !== hb) return [{ host: ha }, { host: hb }];
  const [pa, pb] = [port(da), port(db)];
  return pa !== undefined && pb !== undefined && pa !== pb ? [{ host: ha, port: pa }, { host: hb, port: pb }] : undefined;
}

function routeBackends(a: Obj, b: Obj): [Backend, Backend] | undefined {
  const [na, nb] = [text(a.name), text(b.name)];
  if (!na || !nb) return undefined;
  if (na !== nb) return [{ host: na }, { host: nb }];
  const [pa, pb] = [a.port, b.port];
  return typeof pa === 'number' && typeof pb === 'number' && pa !== pb ? [{ host: na, port: pa }, { host: nb, port: pb }] : undefined;
}

/** Every route in the file with exactly two destinations that both carry a weight.
 *  `unusable` lists routes of that shape whose destinations cannot be told apart. */
export function routeCases(file: ManifestFile): { cases: RouteCase[]; unusable: string[] } {
  const cases: RouteCase[] = [];
  const unusable: string[] = [];
  for (const d of file.docs) {
    const o = d.object;
    if (!o) continue;
    const editor = [istioVirtualService, gatewayHttpRoute].find((e) => e.handles(o));
    if (!editor) continue;
    const istio = editor === istioVirtualService;
    const spec = obj(obj(d.value)?.spec) ?? {};
    const slots = istio ? spec.http : spec.rules;
    if (!Array.isArray(slots)) continue;
    slots.forEach((slot, i) => {
      const s = obj(slot);
      const list = s?.[istio ? 'route' : 'backendRefs'];
      if (!s || !Array.isArray(list) || list.length !== 2) return;
      const [a, b] = list.map(obj);
      if (!a || !b || typeof a.weight !== 'number' || typeof b.weight !== 'number') return;
      const name = text(s.name);
      const label = `${o.kind}/${o.name} ${istio ? 'spec.http' : 'spec.rules'}[${name ?? i}]`;
      const backends = istio ? istioBackends(a, b) : routeBackends(a, b);
      if (!backends) {
        unusable.push(`${label}: the two destinations cannot be told apart by subset, host or port`);
        return;
      }
      cases.push({
        editor,
        docIndex: d.index,
        label,
        listPath: ['spec', istio ? 'http' : 'rules', i, istio ? 'route' : 'backendRefs'],
        spec: { ...(name ? { route: name } : {}), stable: backends[0], canary: backends[1] },
        weights: [a.weight, b.weight],
      });
    });
  }
  return { cases, unusable };
}

function moveCanary(file: ManifestFile, c: RouteCase, canary: number): string {
  const { changes } = c.editor.set(file, c.spec, canary);
  if (changes.length === 0) fail(`set canary ${canary} returned no changes`);
  try {
    return applyAndConfirm(file, changes);
  } catch (err) {
    fail(`confirm rejected the editor's own change (canary ${canary}): ${(err as Error).message}`);
  }
}

export function checkRoute(file: ManifestFile, c: RouteCase): undefined {
  const state = c.editor.read(file, c.spec);
  // Weights are proportions of their total (a total of 0 is refused before this point);
  // the state is whole percents within a point of the exact shares.
  const total = c.weights[0] + c.weights[1];
  const exact = (100 * c.weights[0]) / total;
  if (Math.abs(state.stable - exact) >= 1 || state.stable + state.canary !== 100 || state.others !== 0) {
    fail(`read ${state.stable}/${state.canary} (others ${state.others}), the file says ${c.weights[0]}/${c.weights[1]}`);
  }
  const canary = state.canary === 10 ? 20 : 10;
  const next = moveCanary(file, c, canary);
  const edited = parseManifest(file.path, next);
  const got = docValues(edited);
  let want = docValues(file);
  const i = c.docIndex;
  // The bot writes the split as a total of 100, whatever the total was.
  want[i] = withValueAt(want[i], [...c.listPath, 0, 'weight'], 100 - canary);
  want[i] = withValueAt(want[i], [...c.listPath, 1, 'weight'], canary);
  want = [...want];
  if (!isDeepStrictEqual(got, want)) fail(`edited file differs beyond the two weights: ${firstDifference(want, got, 'docs')}`);
  const back = moveCanary(edited, c, state.canary);
  // A total of 100 comes back byte for byte; another total comes back rescaled, and from
  // there the round trip is exact.
  const d = total === 100 ? textDifference(file.text, back) : textDifference(next, moveCanary(parseManifest(file.path, back), c, canary));
  if (d) fail(`setting canary back to ${state.canary} does not restore the original bytes: ${d}`);
  return undefined;
}
