// The 2018 Istio drafts spelled a destination's host `destination: {name: …}`. The editor
// still moves weights in such files (istio-virtualservice.ts), so analysis reads them the
// same way; today's schema knows only `host` and would call every such destination
// "host: required field is missing". One warning per VirtualService says what it is.
import { findingAt } from './finding.ts';
import { isIstio, routeLists } from './istio-routes.ts';
import type { Finding, RepoObject } from './types.ts';

export const LEGACY_NAME_CODE = 'ISTIO_DESTINATION_NAME';

/** `found` (the object's schema findings) without the ones the `name` spelling causes,
 *  plus one warning naming the first destination written that way. */
export function legacyDestinationName(vs: RepoObject, found: Finding[]): Finding[] {
  if (vs.ref.kind !== 'VirtualService' || !isIstio(vs)) return found;
  const named = routeLists(vs).flatMap((r) => r.destinations).filter((d) => d.hostKey === 'name');
  if (named.length === 0) return found;
  const caused = new Set(named.flatMap((d) => [`spec.${d.field}.destination.host`, `spec.${d.field}.destination.name`]));
  const first = named[0];
  const more = named.length > 1 ? ` (${named.length} destinations)` : '';
  return [
    ...found.filter((f) => !(f.field && caused.has(f.field))),
    findingAt(vs, [...first.path, 'destination', 'name'], `${first.field}.destination.name`, 'warning', LEGACY_NAME_CODE, `uses the pre-1.0 \`destination.name\`; Istio 1.0+ expects \`host\`${more}`),
  ];
}
