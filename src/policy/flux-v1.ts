// Flux v1 policy annotations on workloads, read as zero-config tag policy so config
// repos migrated from Flux v1 keep their filters. Flux v1 reads three spellings of a
// container's filter and looks them up in this order (PolicyAnnotationKey in
// fluxcd/flux pkg/cluster/kubernetes/resource):
//   fluxcd.io/tag.<container>, flux.weave.works/tag.<container>, filter.fluxcd.io/<container>
// Flux v1 itself resolved disagreeing spellings by map iteration order, i.e. at random;
// here disagreement is an error rather than a coin toss.
import { PolicyError, type Location } from '../errors.ts';
import { parseFilter } from './filter.ts';

const TAG_PREFIXES = ['fluxcd.io/tag.', 'flux.weave.works/tag.', 'filter.fluxcd.io/'] as const;
const AUTOMATED_KEYS = ['fluxcd.io/automated', 'flux.weave.works/automated'] as const;
const LOCKED_KEYS = ['fluxcd.io/locked', 'flux.weave.works/locked'] as const;

/** A Flux v1 value in this project's filter syntax: a bare value is a glob in Flux v1,
 *  and `regexp:` is the v1 spelling of `regex:`. */
export function normalizeFluxV1Filter(value: string): string {
  const v = value.trim();
  if (v.startsWith('regexp:')) return `regex:${v.slice('regexp:'.length)}`;
  if (/^(semver|glob|regex):/.test(v)) return v;
  // Flux v1 treated an empty pattern as "any tag" (PatternAll).
  return `glob:${v === '' ? '*' : v}`;
}

/** Container name → filter string (`semver:~0.1`, `glob:main-*`, ...), validated with
 *  parseFilter so a bad annotation is reported by its key. */
export function fluxV1Filters(annotations: Record<string, string> | undefined, loc: Location = {}): Map<string, string> {
  const out = new Map<string, string>();
  const from = new Map<string, string>();
  for (const prefix of TAG_PREFIXES) {
    for (const [key, raw] of Object.entries(annotations ?? {})) {
      if (!key.startsWith(prefix)) continue;
      const container = key.slice(prefix.length);
      const field = `metadata.annotations.${key}`;
      if (container === '') {
        throw new PolicyError('POLICY_BAD_ANNOTATION', `annotation ${key} names no container`, { ...loc, field });
      }
      if (typeof raw !== 'string') {
        throw new PolicyError('POLICY_BAD_ANNOTATION', `annotation ${key} must be a string, got ${typeof raw}`, { ...loc, field });
      }
      const filter = normalizeFluxV1Filter(raw);
      // `:` cannot occur in an image tag, so such a glob is a mistyped prefix
      // (`semvar:~1`), which Flux v1 silently turned into a filter matching nothing.
      if (filter.startsWith('glob:') && filter.includes(':', 'glob:'.length)) {
        throw new PolicyError(
          'POLICY_BAD_FILTER',
          `annotation ${key} value "${raw}" has an unknown filter prefix; expected semver:, glob:, regex: or regexp:`,
          { ...loc, field },
        );
      }
      parseFilter(filter, { ...loc, field });
      const earlier = out.get(container);
      if (earlier === undefined) {
        out.set(container, filter);
        from.set(container, key);
      } else if (earlier !== filter) {
        throw new PolicyError(
          'POLICY_FLUX_CONFLICT',
          `annotations ${from.get(container)} (${earlier}) and ${key} (${filter}) give container ${container} different filters; keep one`,
          { ...loc, field },
        );
      }
    }
  }
  return out;
}

function firstPresent(annotations: Record<string, string> | undefined, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = annotations?.[k];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** `fluxcd.io/automated: "true"` (or the old `flux.weave.works/` prefix). Like Flux v1,
 *  only the exact string "true" turns it on. The newer prefix wins if both are set.
 *  Does not look at `locked`; see fluxV1Locked. */
export function fluxV1Automated(annotations: Record<string, string> | undefined): boolean {
  return firstPresent(annotations, AUTOMATED_KEYS) === 'true';
}

/** `fluxcd.io/locked: "true"`: Flux v1 made no changes at all to a locked workload. */
export function fluxV1Locked(annotations: Record<string, string> | undefined): boolean {
  return firstPresent(annotations, LOCKED_KEYS) === 'true';
}
