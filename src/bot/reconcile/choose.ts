// Which tag each track of an app should run, judged from what its source offers. The
// same rules as an event: the tag as the app's template writes it, the first declared
// track that accepts it, prereleases only where a track opts in, and a held tag (rolled
// back) blocks its track until a newer one appears.
import type { AppConfig } from '../../config/index.ts';
import { BotError } from '../../errors.ts';
import type { SourceTag } from '../../forge/types.ts';
import { validateTag } from '../../policy/image.ts';
import { compareTags, decideTrack, renderTag } from '../../policy/index.ts';

export interface Pick {
  track: string;
  /** The tag as the source named it (a release's tag_name), which an event would carry. */
  tag: string;
  /** The image tag the app's template makes of it. */
  image: string;
  prerelease: boolean;
  /** The tag came from the registry (it is the image tag; see SourceTag.registry). */
  registry?: true;
}

export interface Choice {
  picks: Pick[];
  /** Tracks whose newest tag is held after a rollback: nothing moves there. */
  held: Pick[];
}

export function newestPerTrack(config: AppConfig, offered: readonly SourceTag[], held: readonly string[]): Choice {
  const tracks = Object.entries(config.tracks).map(([name, t]) => ({ name, filter: t.filter, prerelease: t.prerelease }));
  const best = new Map<string, Pick>();
  for (const s of offered) {
    let image: string;
    try {
      image = s.registry ? validateTag(s.tag) : renderTag(config.tagTemplate, s.tag);
    } catch (err) {
      // a tag the template cannot turn into an image tag is not a candidate, as with events
      if (err instanceof BotError) continue;
      throw err;
    }
    // a release marked pre-release goes only to tracks that accept prereleases
    const decided = decideTrack(s.prerelease ? tracks.filter((t) => t.prerelease) : tracks, image);
    if (decided.track === null) continue;
    const current = best.get(decided.track);
    // Sources list newest first; a filter without an order (glob) keeps the first seen.
    if (!current || compareTags(config.tracks[decided.track].filter, image, current.image) > 0) {
      best.set(decided.track, { track: decided.track, tag: s.tag, image, prerelease: s.prerelease, ...(s.registry ? { registry: true as const } : {}) });
    }
  }
  const all = [...best.values()];
  return { picks: all.filter((p) => !held.includes(p.image)), held: all.filter((p) => held.includes(p.image)) };
}
