// Which release track a tag belongs to. Tracks are tried in declared order and the first
// match wins; other matches are reported, because overlapping tracks are usually a
// config mistake the user wants to hear about.
//
// A semver prerelease tag (`1.2.0-rc.1`) is routed only to a track that accepts
// prereleases: `prerelease: true`, or a semver range that opts in with `-0`. This holds
// for glob and regex tracks too, so a catch-all `glob:*` track does not pick up release
// candidates unless it says so.
import type { Location } from '../errors.ts';
import { parseFilter, type Filter } from './filter.ts';
import { isPrereleaseTag, parseVersion } from './tags.ts';

export interface TrackSpec {
  name: string;
  filter: string | Filter;
  prerelease?: boolean;
}

export type TrackDecision =
  | { track: string; also: string[]; note?: string }
  | { track: null; reasons: string[] };

/** Why `tag` does not belong to the track, or undefined if it does. */
function mismatch(t: TrackSpec, f: Filter, tag: string): string | undefined {
  const accepts = t.prerelease === true || f.acceptsPrerelease;
  if (isPrereleaseTag(tag) && !accepts) {
    return `tag ${tag} is a prerelease and the track does not accept prereleases (set prerelease: true, or use a range opting in with -0 such as semver:>=1.0.0-0)`;
  }
  if (f.matches(tag, { prerelease: t.prerelease === true })) return undefined;
  if (f.kind === 'semver' && !parseVersion(tag)) return `tag ${tag} is not a semver version (filter ${f.source})`;
  return `tag ${tag} does not match filter ${f.source}`;
}

export function decideTrack(tracks: TrackSpec[], tag: string, loc: Location = {}): TrackDecision {
  if (tracks.length === 0) return { track: null, reasons: ['no tracks are configured'] };
  const matched: string[] = [];
  const reasons: string[] = [];
  for (const t of tracks) {
    const f = typeof t.filter === 'string' ? parseFilter(t.filter, { ...loc, field: `tracks[${t.name}].filter` }) : t.filter;
    const why = mismatch(t, f, tag);
    if (why === undefined) matched.push(t.name);
    else reasons.push(`track ${t.name}: ${why}`);
  }
  if (matched.length === 0) return { track: null, reasons };
  const [track, ...also] = matched;
  if (also.length === 0) return { track, also };
  const others = also.length === 1 ? `track ${also[0]}` : `tracks ${also.join(', ')}`;
  return { track, also, note: `tag ${tag} also matches ${others}; using ${track}, the first declared` };
}
