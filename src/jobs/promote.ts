// Promotion: the canary has had all the traffic; the stable track takes the canary's
// tag and traffic goes back to stable 100 / canary 0, in one change.
import type { AppConfig } from '../config/index.ts';
import { EditError } from '../errors.ts';
import type { Plan } from '../plan.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { planImages, scanImageRefs } from './images.ts';
import type { Prepared } from './prepared.ts';
import { planWeightChanges } from './weights.ts';

export async function canaryTag(repo: RepoFiles, app: string, config: AppConfig): Promise<string> {
  const canary = config.tracks.canary;
  if (!canary) throw new EditError('PROMOTE_NO_CANARY', `app ${app} has no canary track`, { field: `apps.${app}.tracks.canary` });
  const scan = await scanImageRefs(repo, config.image, canary.paths);
  const tags = [...new Set(scan.refs.map((r) => r.ref.tag).filter((t): t is string => Boolean(t)))];
  if (tags.length !== 1) {
    throw new EditError('PROMOTE_CANARY_TAG', `canary track of ${app} runs ${tags.length ? `several tags (${tags.join(', ')})` : 'no tagged image'}; cannot tell what to promote`, {
      field: `apps.${app}.tracks.canary.paths`,
    });
  }
  return tags[0];
}

export async function planPromotion(repo: RepoFiles, app: string, config: AppConfig, extra: Record<string, string> = {}): Promise<Prepared> {
  const tag = await canaryTag(repo, app, config);
  const stable = config.tracks.stable;
  if (!stable) throw new EditError('PROMOTE_NO_STABLE', `app ${app} has no stable track`, { field: `apps.${app}.tracks.stable` });
  // Explicit promotion: the canary tag was already accepted, so only never-downgrade applies.
  const images = await planImages(repo, { image: config.image, tag, paths: stable.paths });
  const writes = new Map(images.writes);
  const plan: Plan = {
    action: 'promote',
    app,
    track: 'stable',
    title: `${app}: promote ${tag} to stable`,
    edits: [...images.edits],
    skipped: [...images.skipped],
    trailers: { App: app, Action: 'promote', Track: 'stable', Tag: tag, ...extra },
  };
  const oldTag = images.refs.find((r) => r.tag && r.tag !== tag)?.tag;
  if (oldTag) plan.trailers['Old-Tag'] = oldTag;
  if (config.traffic) {
    const w = await planWeightChanges(repo, app, config, 0);
    plan.edits.push(...w.edits);
    plan.skipped.push(...w.skipped);
    for (const [f, t] of w.writes) writes.set(f, t);
    Object.assign(plan.trailers, w.trailers);
    plan.title += ', traffic back to stable';
  }
  return { plan, writes };
}
