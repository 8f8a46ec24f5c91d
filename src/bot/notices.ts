// Turning a delivery result into what people are told. Nothing changed, nothing said.
import type { Notice, NoticeKind } from '../notify/index.ts';
import { repoName } from '../forge/types.ts';
import type { Delivered } from './deliver.ts';
import type { ConfigRepo } from './types.ts';
import { describeTrafficTrailer } from '../rollout/steps.ts';
import type { Trailers } from '../plan.ts';

/** What a change routes besides weights: `step 2/5: mirror 50%`, `A/B header user-agent ~
 *  .*Firefox.*`, or `step 3/5: mirror 50% removed` when it takes out what an earlier step or
 *  command routed. Weight steps are told by their weights alone. */
function trafficOf(t: Trailers): string | undefined {
  const routed = t.Traffic ? describeTrafficTrailer(t.Traffic) : t['Old-Traffic'] ? `${describeTrafficTrailer(t['Old-Traffic'])} removed` : undefined;
  return routed && t.Step ? `step ${t.Step}: ${routed}` : routed;
}

function weightsOf(s: string | undefined): { stable: number; canary: number } | undefined {
  const m = s ? /stable=(\d+),canary=(\d+)/.exec(s) : null;
  return m ? { stable: Number(m[1]), canary: Number(m[2]) } : undefined;
}

function kindOf(r: Delivered): NoticeKind | null {
  if (r.status === 'unchanged' || r.status === 'dry-run') return null;
  if (r.status === 'pull-request') return r.created ? 'pr-opened' : 'pr-updated';
  switch (r.plan.action) {
    case 'rollback':
      return 'rolled-back';
    case 'promote':
      return 'promoted';
    case 'set-weight':
    case 'abort':
      return 'weight-changed';
    case 'pause':
      return 'paused';
    case 'resume':
      return 'resumed';
    default:
      return 'committed';
  }
}

export function noticeFor(r: Delivered, ctx: { repo: ConfigRepo; actor?: string }): Notice | null {
  const kind = kindOf(r);
  if (!kind) return null;
  const t = r.plan.trailers;
  const url = r.url ?? undefined;
  const traffic = trafficOf(t);
  return {
    kind,
    app: r.plan.app ?? t.App ?? 'unknown',
    track: r.plan.track ?? t.Track,
    tag: t.Tag,
    oldTag: t['Old-Tag'],
    weights: weightsOf(t.Weights),
    oldWeights: weightsOf(t['Old-Weights']),
    ...(traffic ? { traffic } : {}),
    link: url ? { url, label: r.pr ? `#${r.pr.number}` : (r.commit ?? '').slice(0, 12) } : undefined,
    repo: repoName(ctx.repo.id),
    plan: r.plan,
    actor: ctx.actor,
  };
}
