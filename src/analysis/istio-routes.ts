// The route destinations of a VirtualService, with their paths, for the analyzers that
// check where traffic goes and how it is split.
import { list, rec, str } from './data.ts';
import type { RepoObject } from './types.ts';

export const ISTIO_PROTOCOLS = ['http', 'tcp', 'tls'] as const;

export interface RouteDestination {
  /** `http[0].route[2]` */
  field: string;
  /** Path of the route entry inside the document. */
  path: (string | number)[];
  host?: string;
  /** Where the host is written: `host`, or `name` in the 2018 drafts (as the editor reads them). */
  hostKey: 'host' | 'name';
  subset?: string;
  weight: unknown;
}

export interface RouteList {
  /** `http[0].route` */
  field: string;
  path: (string | number)[];
  destinations: RouteDestination[];
}

export function isIstio(o: RepoObject): boolean {
  return o.ref.apiVersion?.startsWith('networking.istio.io/') ?? false;
}

export function routeLists(vs: RepoObject): RouteList[] {
  const spec = rec(vs.value.spec);
  const out: RouteList[] = [];
  for (const proto of ISTIO_PROTOCOLS) {
    list(spec?.[proto]).forEach((rule, i) => {
      const route = rec(rule)?.route;
      if (!Array.isArray(route)) return;
      const path = ['spec', proto, i, 'route'];
      const field = `${proto}[${i}].route`;
      const destinations = route.map((entry, j) => {
        const dest = rec(rec(entry)?.destination);
        // the editor's rule (istio-virtualservice.ts hostKey): `name` only where `host` is absent
        const hostKey: RouteDestination['hostKey'] = dest && !('host' in dest) && 'name' in dest ? 'name' : 'host';
        return { field: `${field}[${j}]`, path: [...path, j], host: str(dest?.[hostKey]), hostKey, subset: str(dest?.subset), weight: rec(entry)?.weight };
      });
      out.push({ field, path, destinations });
    });
  }
  return out;
}
