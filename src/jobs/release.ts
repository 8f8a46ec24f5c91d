// The event path: a tag from a source repo (or an image pushed to a registry) becomes
// one plan per app that the config routes it to. Config and tag policies decide the app
// and track; the plan touches only that track's files.
import type { AppConfig, Config } from '../config/index.ts';
import { findAppsForSource } from '../config/index.ts';
import { PolicyError } from '../errors.ts';
import type { Plan, Skipped } from '../plan.ts';
import { decideTag, decideTrack, renderTag } from '../policy/index.ts';
import { sameRepository, validateTag } from '../policy/image.ts';
import type { RepoFiles } from '../manifests/files.ts';
import type { Registry } from '../registry/index.ts';
import { withPinnedDigests } from './digests.ts';
import type { AppHistory } from './history.ts';
import { planImages, type Verdict } from './images.ts';
import type { Prepared } from './prepared.ts';
import { planWeightChanges, trafficOwnedSkip } from './weights.ts';
import { stepLabel } from '../rollout/decide.ts';
import { AT_TRAILER } from '../rollout/landed.ts';
import { toRolloutStep } from '../rollout/steps.ts';

export interface ReleaseEvent {
  /** The tag as published (release tag_name, git tag, or image tag). */
  tag: string;
  /** `owner/repo` the event came from; required for webhook events. */
  source?: string;
  /** Image repository, when the event names it (registry package, CLI `release`). */
  image?: string;
  prerelease?: boolean;
  /** Which event delivered it (release, tag, package), recorded in a trailer. */
  event?: string;
  /** The image's digest, when the event names one (CLI `image:tag@sha256:…`): written
   *  beside the tag. */
  digest?: string;
  /** The tag is already the image tag (read from the registry), so the app's
   *  tagTemplate does not apply. */
  imageTag?: boolean;
}

/** The image tag an event writes: the release tag through the app's template, or the
 *  registry's tag as it is. */
export function imageTagOf(template: string | undefined, ev: Pick<ReleaseEvent, 'tag' | 'imageTag'>): string {
  return ev.imageTag ? validateTag(ev.tag) : renderTag(template, ev.tag);
}

export interface Routed {
  app: string;
  config: AppConfig;
}

/** Which apps an event may change. The app's `source` is the authorization boundary:
 *  an event from any other repo changes nothing. */
export function routeEvent(config: Config, ev: ReleaseEvent): { apps: Routed[]; reason?: string } {
  let apps = Object.entries(config.apps).map(([app, c]) => ({ app, config: c }));
  if (ev.source !== undefined) {
    const allowed = new Set(findAppsForSource(config, ev.source).map((a) => (typeof a === 'string' ? a : a.name)));
    apps = apps.filter((a) => allowed.has(a.app));
    if (apps.length === 0) return { apps, reason: `${ev.source} is not the source of any app in the config; nothing changes` };
  }
  if (ev.image !== undefined) {
    const image = ev.image;
    apps = apps.filter((a) => sameRepository(a.config.image, image));
    if (apps.length === 0) return { apps, reason: `no app${ev.source ? ` with source ${ev.source}` : ''} uses image ${image}` };
  }
  return { apps };
}

/** Who writes a release that starts a rollout, and when by their clock: the bot's
 *  direct commits carry them as the `At` and `Replica` trailers, like the steps after. */
export interface ReleaseStamp {
  at: Date;
  replica: string;
}

/** Plans one app's release: track by filter, tag by template, never downgrade, held tags stay held.
 *  `stamp`: set by the bot for a direct commit (a PR's step begins when it is merged). */
export async function planAppRelease(repo: RepoFiles, routed: Routed, ev: ReleaseEvent, history: AppHistory, registry?: Registry, stamp?: ReleaseStamp): Promise<Prepared> {
  const { app, config } = routed;
  const tag = imageTagOf(config.tagTemplate, ev);
  validateTag(tag);
  const base: Omit<Plan, 'title' | 'edits' | 'skipped'> = { action: 'release', app, trailers: { App: app, Action: 'release', Tag: tag } };
  const tracks = Object.entries(config.tracks).map(([name, t]) => ({ name, filter: t.filter, prerelease: t.prerelease }));
  const decided = decideTrack(tracks, tag);
  if (decided.track === null) {
    // one reason per track, in declared order, so each names the filter that refused the tag
    const skipped = decided.reasons.map((reason, i) => ({
      file: '.github/gitops-canary.yml',
      ...(decided.reasons.length === tracks.length ? { field: `apps.${app}.tracks.${tracks[i].name}.filter` } : {}),
      code: 'TAG_NO_TRACK',
      reason,
    }));
    return noChange({ ...base, title: `${app}: tag ${tag} matches no track` }, skipped);
  }
  const track = decided.track;
  const trackCfg = config.tracks[track];
  if (history.held.includes(tag)) {
    return noChange({ ...base, track, title: `${app}: ${tag} is held after a rollback` }, [
      { file: '.github/gitops-canary.yml', code: 'TAG_HELD', reason: `tag ${tag} was rolled back and is held until a newer tag arrives` },
    ]);
  }
  const gate = (ref: { tag?: string; filter?: string }): Verdict => {
    const own = decideTag(trackCfg.filter, ref.tag, tag, { prerelease: trackCfg.prerelease });
    if (!own.ok || !ref.filter || ref.filter === trackCfg.filter) return own;
    return decideTag(ref.filter, ref.tag, tag, { prerelease: trackCfg.prerelease });
  };
  const images = await planImages(repo, withPinnedDigests({ image: config.image, tag, digest: ev.digest, paths: trackCfg.paths, gate }, registry));
  const oldTag = images.edits.length ? images.refs.find((r) => r.tag && r.tag !== tag)?.tag : undefined;
  const plan: Plan = {
    ...base,
    track,
    title: images.edits.length ? `${app}: ${track} ${oldTag ? `${oldTag} → ` : ''}${tag}` : `${app}: ${track} stays ${current(images.refs) ?? 'as it is'}; ${tag} not applied`,
    edits: images.edits,
    skipped: images.skipped,
    trailers: { ...base.trailers, Track: track, ...(oldTag ? { 'Old-Tag': oldTag } : {}), ...(ev.source ? { Source: ev.source } : {}), ...(ev.event ? { Event: ev.event } : {}) },
  };
  const writes = images.writes;
  // A new canary tag starts a rollout: image and first weight in one change, so a
  // reviewer approves both together.
  const steps = config.rollout?.steps;
  // A route an Argo Rollout or Flagger Canary owns gets its weights from there: the image still moves.
  const owned = track === 'canary' && steps && config.traffic && images.edits.length > 0 ? await trafficOwnedSkip(repo, app, config) : undefined;
  if (owned) plan.skipped.push(owned);
  else if (track === 'canary' && steps && config.traffic && images.edits.length > 0) {
    // an A/B or mirror first step inserts its route here, with the image
    const first = toRolloutStep(steps[0]);
    const w = await planWeightChanges(repo, app, config, first.weight, first.extras);
    plan.edits.push(...w.edits);
    plan.skipped.push(...w.skipped);
    for (const [f, t] of w.writes) writes.set(f, t);
    Object.assign(plan.trailers, w.trailers, { Step: `1/${steps.length}` });
    // step 1's bake is timed from the bot's clock, not git's (landed.ts); Replica keeps
    // two replicas' same-second releases from being byte-identical commits
    if (stamp) Object.assign(plan.trailers, { [AT_TRAILER]: stamp.at.toISOString(), Replica: stamp.replica });
    plan.title += first.extras ? `, ${stepLabel(0, steps.map(toRolloutStep))}` : `, canary weight ${first.weight}%`;
  }
  return { plan, writes };
}

/** The tags a track runs now, for a "stays at" title. */
function current(refs: Array<{ tag?: string; digest?: string }>): string | undefined {
  const tags = [...new Set(refs.map((r) => r.tag ?? r.digest).filter((t): t is string => Boolean(t)))];
  return tags.length ? `at ${tags.join(', ')}` : undefined;
}

function noChange(base: Omit<Plan, 'edits' | 'skipped'>, skipped: Skipped[]): Prepared {
  return { plan: { ...base, edits: [], skipped }, writes: new Map() };
}

/** Zero-config path (no bot config, e.g. a Flux v2 repo): every reference with its own
 *  filter (Flux v1 annotation or v2 ImagePolicy marker) moves when the tag passes it. */
export async function planUnconfiguredRelease(repo: RepoFiles, ev: ReleaseEvent & { image: string }, registry?: Registry): Promise<Prepared> {
  // The tag the image carries, by the same rule as a configured app without tagTemplate.
  const tag = imageTagOf(undefined, ev);
  validateTag(tag);
  const gate = (ref: { tag?: string; filter?: string }): Verdict => {
    if (!ref.filter) return { ok: false, code: 'TAG_NO_POLICY', reason: `no bot config and no Flux policy on this reference to ${ev.image}` };
    try {
      // decided on the tag that gets written, so a glob like `v*` never lets `0.2.1` in
      return decideTag(ref.filter, ref.tag, tag);
    } catch (err) {
      if (err instanceof PolicyError) return { ok: false, code: err.code, reason: err.message };
      throw err;
    }
  };
  const images = await planImages(repo, withPinnedDigests({ image: ev.image, tag, digest: ev.digest, gate }, registry));
  const name = ev.image.split('/').pop() ?? ev.image;
  const plan: Plan = {
    action: 'release',
    app: name,
    title: `${name}: ${tag} by Flux image policies`,
    edits: images.edits,
    skipped: images.skipped,
    trailers: { App: name, Action: 'release', Tag: tag, Image: ev.image },
  };
  return { plan, writes: images.writes };
}
