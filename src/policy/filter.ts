// Tag filters, Flux style: `semver:<range>`, `glob:<pattern>`, `regex:<pattern>`.
//
// Ordering, which decides "never downgrade":
// - semver: semver precedence; build metadata is ignored.
// - regex with named captures (`regex:^main-(?<ts>\d+)$`, or Go's `(?P<ts>...)` as in
//   Flux ImagePolicy): the captures, in declared order, compared naturally (digit runs
//   numerically, the rest by code unit), so `ts` values order as numbers.
// - glob, and regex without a named capture: there is no order. Flux ranks those by
//   image build time, which a pure function cannot see, and "last seen wins" would need
//   state, so compare() returns 0: a matching tag is never "older".
import { PolicyError, type Location } from '../errors.ts';
import { compareVersions, isValidImageTag, naturalCompare, parseRange, parseVersion, quoteTag } from './tags.ts';

export type FilterKind = 'semver' | 'glob' | 'regex';

export interface MatchOptions {
  /** Admit semver prereleases even when the range does not opt in with `-0`. */
  prerelease?: boolean;
}

export interface Filter {
  kind: FilterKind;
  /** The filter as written, prefix included; used in every message. */
  source: string;
  /** The part after the prefix, trimmed. */
  pattern: string;
  /** True when the semver range itself names a prerelease (`>=1.0.0-0`). */
  acceptsPrerelease: boolean;
  /** False when compare() cannot order tags (glob, regex without named capture). */
  ordered: boolean;
  matches(tag: string, opts?: MatchOptions): boolean;
  /** <0 if a is older than b, >0 if newer, 0 if equal or not comparable. */
  compare(a: string, b: string): number;
}

const PREFIXES: Record<string, FilterKind> = {
  'semver:': 'semver',
  'glob:': 'glob',
  'regex:': 'regex',
  // Flux v1 wrote `regexp:`; accepting it lets annotations be copied into config as-is.
  'regexp:': 'regex',
};

function bad(message: string, loc: Location): PolicyError {
  return new PolicyError('POLICY_BAD_FILTER', message, loc);
}

/** Parses and validates a filter; the config loader calls this to reject bad input
 *  early. Surrounding whitespace of the pattern is dropped: tags never contain any. */
export function parseFilter(s: string, loc: Location = {}): Filter {
  if (typeof s !== 'string') throw bad(`filter must be a string, got ${typeof s}`, loc);
  const source = s.trim();
  const prefix = Object.keys(PREFIXES).find((p) => source.startsWith(p));
  if (!prefix) {
    const head = /^[A-Za-z]+:/.exec(source)?.[0];
    const what = head ? `unknown filter prefix "${head}"` : `filter "${source}" has no prefix`;
    throw bad(`${what}; expected semver:<range>, glob:<pattern> or regex:<pattern>`, loc);
  }
  const kind = PREFIXES[prefix];
  const pattern = source.slice(prefix.length).trim();
  if (pattern === '') throw bad(`filter "${source}" has an empty ${kind} pattern`, loc);
  if (kind === 'semver') return semverFilter(source, pattern, loc);
  if (kind === 'glob') return globFilter(source, pattern);
  return regexFilter(source, pattern, loc);
}

function semverFilter(source: string, pattern: string, loc: Location): Filter {
  const range = parseRange(pattern);
  if (!range) {
    throw bad(`filter "${source}" is not a valid semver range (examples: 0.1.*, ~0.1, ^1.2.0, >=1.0.0 <2, >=1.0.0-0)`, loc);
  }
  return {
    kind: 'semver',
    source,
    pattern,
    acceptsPrerelease: range.optsIn,
    ordered: true,
    matches(tag, opts = {}) {
      const v = parseVersion(tag);
      return v !== undefined && range.satisfies(v.text, opts.prerelease ?? false);
    },
    compare(a, b) {
      const va = parseVersion(a);
      const vb = parseVersion(b);
      return va && vb ? compareVersions(va.text, vb.text) : 0;
    },
  };
}

/** Flux globs (ryanuber/go-glob) know only `*`, matching any run of characters,
 *  including none; everything else is literal and the whole tag must match. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

function globFilter(source: string, pattern: string): Filter {
  const re = globToRegExp(pattern);
  return {
    kind: 'glob',
    source,
    pattern,
    acceptsPrerelease: false,
    ordered: false,
    matches: (tag) => re.test(tag),
    compare: () => 0,
  };
}

function regexFilter(source: string, pattern: string, loc: Location): Filter {
  // Flux ImagePolicy patterns are Go RE2, whose named groups are `(?P<name>...)`.
  const jsPattern = pattern.replace(/\(\?P</g, '(?<');
  let re: RegExp;
  try {
    re = new RegExp(jsPattern, 'u');
  } catch (err) {
    throw bad(`filter "${source}" is not a valid regular expression: ${(err as Error).message}`, loc);
  }
  // An empty alternative makes the match succeed on '' and still lists every group name.
  const names = Object.keys(new RegExp(`(?:${jsPattern})|`, 'u').exec('')?.groups ?? {});
  const key = (tag: string): string[] | undefined => {
    const g = re.exec(tag)?.groups;
    return g ? names.map((n) => g[n] ?? '') : undefined;
  };
  return {
    kind: 'regex',
    source,
    pattern,
    acceptsPrerelease: false,
    ordered: names.length > 0,
    matches: (tag) => re.test(tag),
    compare(a, b) {
      const ka = key(a);
      const kb = key(b);
      if (!ka || !kb) return 0;
      for (let i = 0; i < ka.length; i++) {
        const c = naturalCompare(ka[i], kb[i]);
        if (c !== 0) return c;
      }
      return 0;
    },
  };
}

function toFilter(f: Filter | string): Filter {
  return typeof f === 'string' ? parseFilter(f) : f;
}

export function compareTags(filter: Filter | string, a: string, b: string): number {
  return toFilter(filter).compare(a, b);
}

export type TagCode = 'TAG_NOT_MATCHED' | 'TAG_OLDER' | 'TAG_SAME' | 'TAG_PRERELEASE' | 'TAG_INVALID';
export type TagDecision = { ok: true } | { ok: false; code: TagCode; reason: string };

/** Whether `tag` passes the filter on its own, with the reason when it does not. */
export function checkTag(filter: Filter | string, tag: string, opts: MatchOptions = {}): TagDecision {
  const f = toFilter(filter);
  const by = `(filter ${f.source})`;
  if (!isValidImageTag(tag)) {
    return { ok: false, code: 'TAG_INVALID', reason: `tag ${quoteTag(tag)} is not a valid image tag ${by}` };
  }
  if (f.matches(tag, opts)) return { ok: true };
  if (f.kind === 'semver') {
    const v = parseVersion(tag);
    if (!v) {
      return { ok: false, code: 'TAG_NOT_MATCHED', reason: `tag ${tag} is not a semver version ${by}` };
    }
    if (v.prerelease && f.matches(tag, { prerelease: true })) {
      return {
        ok: false,
        code: 'TAG_PRERELEASE',
        reason: `tag ${tag} is a prerelease and ${f.source} does not accept prereleases; opt in with a range ending in -0 (e.g. semver:>=1.0.0-0) or prerelease: true`,
      };
    }
    return { ok: false, code: 'TAG_NOT_MATCHED', reason: `tag ${tag} is outside the range ${f.pattern} ${by}` };
  }
  return { ok: false, code: 'TAG_NOT_MATCHED', reason: `tag ${tag} does not match ${by.slice(1, -1)}` };
}

/** Whether `candidate` may replace `current`: it must pass the filter and must not be
 *  older. Equal semver precedence (`1.0.0+b2` over `1.0.0+b1`, `v1.0.0` over `1.0.0`)
 *  counts as the same version. For glob and regex an equal or unknown order is accepted,
 *  since there is nothing to say the candidate is older. A current tag the filter cannot
 *  order (e.g. `latest` under a semver filter) does not block an update. */
export function decideTag(
  filter: Filter | string,
  current: string | undefined,
  candidate: string,
  opts: MatchOptions = {},
): TagDecision {
  const f = toFilter(filter);
  const check = checkTag(f, candidate, opts);
  if (!check.ok || current === undefined || current === '') return check;
  const by = `(filter ${f.source})`;
  if (candidate === current) {
    return { ok: false, code: 'TAG_SAME', reason: `tag ${candidate} is already deployed ${by}` };
  }
  const c = f.compare(candidate, current);
  if (c < 0) {
    return { ok: false, code: 'TAG_OLDER', reason: `tag ${candidate} is older than ${current} already deployed ${by}` };
  }
  if (c === 0 && f.kind === 'semver' && parseVersion(current)) {
    return {
      ok: false,
      code: 'TAG_SAME',
      reason: `tag ${candidate} is the same version as ${current} already deployed; build metadata and a v prefix do not make it newer ${by}`,
    };
  }
  return { ok: true };
}
