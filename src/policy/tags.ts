// What an image tag is: a strict semver version (optionally `v`-prefixed), or an opaque
// string. This is the only module that imports `semver`; the filters and track routing
// go through the helpers below so the semver dialect is decided in one place.
import semver from 'semver';
import { PolicyError, type Location } from '../errors.ts';

/** OCI distribution spec tag grammar. Anything else cannot be pushed, so it cannot be
 *  written into a manifest either. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function isValidImageTag(tag: string): boolean {
  return IMAGE_TAG.test(tag);
}

export interface Version {
  /** The tag as given. */
  raw: string;
  /** `raw` without the optional leading `v`, build metadata kept. */
  text: string;
  prerelease: boolean;
}

/** Strict semver with an optional single lower-case `v`. semver.parse trims whitespace
 *  and accepts `v` itself; the whitespace check keeps ` 1.2.3` from passing as a tag. */
export function parseVersion(tag: string): Readonly<Version> | undefined {
  // a fleet's references share a handful of tags: each is parsed once
  let v = versions.get(tag);
  if (v === undefined) {
    v = parsed(tag);
    if (versions.size >= MAX_VERSIONS) versions.delete(versions.keys().next().value!);
    versions.set(tag, v);
  }
  return v ?? undefined;
}

const versions = new Map<string, Readonly<Version> | null>();
const MAX_VERSIONS = 4096;

function parsed(tag: string): Readonly<Version> | null {
  if (tag !== tag.trim() || tag === '') return null;
  const v = semver.parse(tag);
  if (!v) return null;
  const text = tag.startsWith('v') ? tag.slice(1) : tag;
  return Object.freeze({ raw: tag, text, prerelease: v.prerelease.length > 0 });
}

/** The version a tag or release name stands for: `v0.2.1` → `0.2.1`; undefined when
 *  the tag is not semver (then no `v` is stripped either: `vnext` stays opaque). */
export function versionOf(tagOrRelease: string): string | undefined {
  return parseVersion(tagOrRelease)?.text;
}

export function isPrereleaseTag(tag: string): boolean {
  return parseVersion(tag)?.prerelease ?? false;
}

/** Semver precedence; build metadata does not take part (semver.org §10). Both
 *  arguments must satisfy parseVersion. */
export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}

/** A parsed semver range. `optsIn` is true when the range itself names a prerelease
 *  (`>=1.0.0-0`), which, as in Flux (Masterminds semver), admits prereleases of any
 *  version in range, not only of the same major.minor.patch as node-semver would. */
export interface VersionRange {
  source: string;
  optsIn: boolean;
  satisfies(version: string, includePrerelease: boolean): boolean;
}

/** Parses a Flux-style range; undefined if invalid. Masterminds accepts `,` as AND,
 *  node-semver only a space, so commas are translated. */
export function parseRange(source: string): VersionRange | undefined {
  const normalized = source.replace(/,/g, ' ').trim();
  if (normalized === '') return undefined;
  let range: semver.Range;
  try {
    range = new semver.Range(normalized);
  } catch {
    return undefined;
  }
  // The desugared range gets `-0` bounds from x-ranges (`0.1.*` → `<0.2.0-0`), so opt-in
  // is read from the text as written: a version immediately followed by `-<ident>`.
  const optsIn = /[0-9xX*]-[0-9A-Za-z]/.test(normalized);
  return {
    source,
    optsIn,
    satisfies: (version, includePrerelease) =>
      semver.satisfies(version, range, { includePrerelease: includePrerelease || optsIn }),
  };
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN_PLACEHOLDERS = new Set(['version', 'tag']);

/** Validates a `tagTemplate` for the config loader: only `{version}` and `{tag}`, and at
 *  least one of them, since a constant template would write the same tag every release. */
export function checkTagTemplate(template: string, loc: Location = {}): void {
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
  const unknown = names.filter((n) => !KNOWN_PLACEHOLDERS.has(n));
  if (unknown.length > 0) {
    throw new PolicyError(
      'POLICY_BAD_TEMPLATE',
      `tagTemplate "${template}" uses unknown placeholder {${unknown[0]}}; only {version} and {tag} are supported`,
      loc,
    );
  }
  if (names.length === 0) {
    throw new PolicyError(
      'POLICY_BAD_TEMPLATE',
      `tagTemplate "${template}" contains no {version} or {tag} placeholder, so every release would write the same tag`,
      loc,
    );
  }
  const stray = template.replace(PLACEHOLDER, '');
  if (/[{}]/.test(stray)) {
    throw new PolicyError('POLICY_BAD_TEMPLATE', `tagTemplate "${template}" has an unbalanced brace`, loc);
  }
}

/** The image tag to write for a release. Default: the version without `v` when the
 *  release tag is semver, else the release tag unchanged. Throws when the template needs
 *  a version the tag does not have, or when the result is not a valid image tag (semver
 *  build metadata `+x` is not allowed in image tags, and is not rewritten silently
 *  because the pushed image would then not be the one named). */
export function renderTag(template: string | undefined, releaseTag: string, loc: Location = {}): string {
  const version = versionOf(releaseTag);
  let out: string;
  if (template === undefined || template === '') {
    out = version ?? releaseTag;
  } else {
    checkTagTemplate(template, loc);
    if (version === undefined && template.includes('{version}')) {
      throw new PolicyError(
        'TAG_NOT_SEMVER',
        `release tag ${releaseTag} is not a semver version, so tagTemplate "${template}" cannot fill {version}`,
        loc,
      );
    }
    out = template.replace(PLACEHOLDER, (_m, name: string) => (name === 'version' ? (version as string) : releaseTag));
  }
  if (!isValidImageTag(out)) {
    const from = out === releaseTag ? '' : ` (from release tag ${quoteTag(releaseTag)})`;
    throw new PolicyError(
      'TAG_INVALID',
      `${quoteTag(out)}${from} is not a valid image tag: use letters, digits, '_', '.', '-' (not first), at most 128 characters`,
      loc,
    );
  }
  return out;
}

/** A tag as messages show it: quoted and escaped (a newline in a tag must not start a
 *  new line of a log, a commit message or a comment) and cut short when very long. */
export function quoteTag(tag: string): string {
  return JSON.stringify(tag.length > 140 ? `${tag.slice(0, 140)}…` : tag);
}

/** Natural order: runs of digits compare as numbers (`9` < `10`, leading zeros ignored,
 *  any length), everything else by code unit. Used for regex capture ordering, where
 *  Flux's `numerical` policy would need all-digit values and its `alphabetical` one
 *  would put `main-10` before `main-9`. */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length < ny.length ? -1 : 1;
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ta.length !== tb.length) return ta.length < tb.length ? -1 : 1;
  // Equal up to leading zeros: fall back to the raw text so the order stays total.
  return a === b ? 0 : a < b ? -1 : 1;
}
