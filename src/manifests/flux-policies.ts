// Flux v2 image automation as declared in the config repo: ImagePolicy objects resolved
// through their ImageRepository to an image and a tag filter, and the `$imagepolicy`
// setter markers that point at them from any YAML field.
import { ParseError, type Location } from '../errors.ts';
import { parseImageRef } from '../policy/image.ts';
import type { ManifestDoc } from './types.ts';

/** What collectFluxPolicies reads of a parsed file. */
export interface FluxDocs {
  docs: ReadonlyArray<Pick<ManifestDoc, 'object' | 'value'>>;
}

export interface FluxPolicy {
  /** `spec.image` of the referenced ImageRepository, as written. */
  repository: string;
  /** `semver:<range>` or `regex:<pattern>`; absent when every tag is eligible. */
  filter?: string;
}

export type MarkerPart = 'ref' | 'tag' | 'name' | 'digest';

export interface FluxMarker {
  /** `namespace:name` of the ImagePolicy. */
  policy: string;
  part: MarkerPart;
}

const IMAGE_API = /^image\.toolkit\.fluxcd\.io\/(?:v1beta1|v1beta2|v1)$/;
// Unnamespaced image automation objects almost always live with the Flux controllers.
const DEFAULT_NAMESPACE = 'flux-system';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function filterOf(spec: Obj): string | undefined {
  const policy = obj(spec.policy) ?? {};
  const range = str(obj(policy.semver)?.range);
  if (range) return `semver:${range}`;
  const pattern = str(obj(spec.filterTags)?.pattern);
  return pattern ? `regex:${pattern}` : undefined;
}

/** Every ImagePolicy whose ImageRepository is also in `files`, keyed `namespace:name`.
 *  Unnamespaced objects count as `flux-system`; an ImagePolicy's repository reference
 *  defaults to the policy's own namespace, as in Flux. When the same id is declared
 *  twice (one directory per cluster), the first file in `files` order wins. Objects
 *  that cannot be resolved are left out, so markers naming them stay unresolved. */
export function collectFluxPolicies(files: readonly FluxDocs[]): Map<string, FluxPolicy> {
  const repositories = new Map<string, string>();
  const policies: Array<{ id: string; repoId: string; filter?: string }> = [];
  for (const file of files) {
    for (const d of file.docs) {
      const o = d.object;
      const value = obj(d.value);
      if (!o || !value || !o.apiVersion || !IMAGE_API.test(o.apiVersion) || !o.name) continue;
      const ns = o.namespace ?? DEFAULT_NAMESPACE;
      const spec = obj(value.spec) ?? {};
      if (o.kind === 'ImageRepository') {
        const image = str(spec.image);
        if (image && !repositories.has(`${ns}:${o.name}`)) repositories.set(`${ns}:${o.name}`, image);
      } else if (o.kind === 'ImagePolicy') {
        const ref = obj(spec.imageRepositoryRef);
        const name = str(ref?.name);
        if (!name) continue;
        policies.push({ id: `${ns}:${o.name}`, repoId: `${str(ref?.namespace) ?? ns}:${name}`, filter: filterOf(spec) });
      }
    }
  }
  const out = new Map<string, FluxPolicy>();
  for (const p of policies) {
    const repository = repositories.get(p.repoId);
    if (!repository || out.has(p.id)) continue;
    try {
      parseImageRef(repository);
    } catch {
      continue;
    }
    out.set(p.id, p.filter ? { repository, filter: p.filter } : { repository });
  }
  return out;
}

/** The documents of `file` collectFluxPolicies may use (the rest it skips), as plain data
 *  that can be kept on disk. Every document is converted, as collectFluxPolicies does. */
export function fluxDocsOf(file: FluxDocs): FluxDocs {
  const docs: Array<Pick<ManifestDoc, 'object' | 'value'>> = [];
  for (const d of file.docs) {
    const value = d.value;
    if (d.object?.apiVersion && IMAGE_API.test(d.object.apiVersion)) docs.push({ object: d.object, value });
  }
  return { docs };
}

const MARKER_LINE = /^[ \t]*#(.*)$/;
const POLICY_ID = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(?::(tag|name|digest))?$/;

/** The setter marker in a trailing comment on the line where a scalar ends (`end` is
 *  the offset just past the value), or undefined when there is none. A comment that
 *  names `$imagepolicy` but is not a valid marker is an error, since Flux would
 *  silently stop updating that field. */
export function markerAfter(text: string, end: number, where: Location | (() => Location)): FluxMarker | undefined {
  let eol = text.indexOf('\n', end);
  if (eol === -1) eol = text.length;
  // most scalars have no comment after them: no slice, no regexp (and no search past the
  // line: in a file without a `#`, indexOf would scan to its end for every scalar)
  let hash = end;
  while (hash < eol && text.charCodeAt(hash) !== 35) hash++;
  if (hash === eol) return undefined;
  const m = MARKER_LINE.exec(text.slice(end, eol).replace(/\r$/, ''));
  if (!m || !m[1].includes('$imagepolicy')) return undefined;
  let id: unknown;
  try {
    id = (JSON.parse(m[1].trim()) as Record<string, unknown>)['$imagepolicy'];
  } catch {
    id = undefined;
  }
  const parsed = typeof id === 'string' ? POLICY_ID.exec(id) : null;
  if (!parsed) {
    throw new ParseError(
      'FLUX_MARKER_INVALID',
      `invalid Flux image policy marker ${JSON.stringify(m[1].trim())}: expected {"$imagepolicy": "<namespace>:<name>[:tag|:name|:digest]"}`,
      typeof where === 'function' ? where() : where,
    );
  }
  return { policy: `${parsed[1]}:${parsed[3]}`, part: (parsed[5] as MarkerPart | undefined) ?? 'ref' };
}
