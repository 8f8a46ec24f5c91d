// "The stable and canary subsets select the workloads of their tracks": with subsets as
// traffic backends, the DestinationRule subset named by `traffic.stable.subset` must pick
// the pods of the stable track's files, and the canary subset those of the canary track.
// Swapped labels route every canary percent to the stable pods (and back): each manifest
// is valid and every reference resolves, so only the config, which says which file is
// which track, can tell. The objects are read through the analysis layer's view.
import { labelText, list, rec, str, stringMap } from '../analysis/data.ts';
import { clusterService, destinationRules, resolveHost, ruleHost, sameHost, sameNamespace, serviceHost, services } from '../analysis/hosts.ts';
import { isIstio, routeLists } from '../analysis/istio-routes.ts';
import type { RepoObject } from '../analysis/types.ts';
import { overlayView, type OverlayView } from '../analysis/view.ts';
import { podLabels, selects, WORKLOAD_KINDS } from '../analysis/workloads.ts';
import { YAML_FILE, type RepoFiles } from '../manifests/files.ts';
import { pathPositions, selectPathsIn } from '../manifests/scan.ts';
import { objectLabel } from '../plan.ts';
import { isGlob } from './paths.ts';
import type { AppConfig } from './schema.ts';

export interface TrackSubsetProblem {
  severity: 'error' | 'warning';
  code: string;
  track: Track;
  message: string;
}

type Track = 'stable' | 'canary';

// Enough files to find a track's workloads in; a glob over thousands is not read whole.
const MAX_FILES = 200;

const key = (w: RepoObject) => `${w.file}\0${objectLabel(w.ref)}`;
const named = (ws: RepoObject[]) => ws.slice(0, 3).map((w) => `${w.file} ${objectLabel(w.ref)}`).join('; ') + (ws.length > 3 ? ` and ${ws.length - 3} more` : '');

async function trackWorkloads(view: OverlayView, paths: readonly string[], files: readonly string[]): Promise<RepoObject[]> {
  const position = pathPositions(files);
  const picked = new Set([...selectPathsIn(files, paths.filter(isGlob)), ...paths.filter((p) => !isGlob(p) && position.has(p))]);
  const hits = [...picked].filter((f) => YAML_FILE.test(f)).sort((a, b) => position.get(a)! - position.get(b)!).slice(0, MAX_FILES);
  const objects = await Promise.all(hits.map((f) => view.fileObjects(f)));
  return objects.flat().filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.ref.kind));
}

/** What is wrong with the pods the two subsets pick; empty when the backends are hosts, or
 *  the route, the rules or the workloads are not in the repo (the other checks say so). */
export async function checkTrackSubsets(repo: RepoFiles, app: AppConfig, files: readonly string[], view: OverlayView = overlayView(repo)): Promise<TrackSubsetProblem[]> {
  const traffic = app.traffic;
  if (!traffic || traffic.stable.subset === undefined || traffic.canary.subset === undefined) return [];
  const routes = (await view.fileObjects(traffic.file)).filter((o) => o.ref.kind === 'VirtualService' && isIstio(o));
  if (routes.length === 0) return [];
  const workloads = {
    stable: await trackWorkloads(view, app.tracks.stable?.paths ?? [], files),
    canary: await trackWorkloads(view, app.tracks.canary?.paths ?? [], files),
  };
  // a file both tracks name says nothing about which track a subset belongs to
  const shared = new Set(workloads.stable.map(key).filter((k) => workloads.canary.some((w) => key(w) === k)));
  const rules = await destinationRules(view);
  const svcs = await services(view);
  const problems: TrackSubsetProblem[] = [];
  for (const track of ['stable', 'canary'] as const) {
    const other: Track = track === 'stable' ? 'canary' : 'stable';
    const backend = traffic[track];
    const subset = backend.subset!;
    const hosts = backend.host
      ? [resolveHost(backend.host, routes[0].ref.namespace)]
      : routes.flatMap((vs) => routeLists(vs).flatMap((r) => r.destinations.filter((d) => d.subset === subset && d.host).map((d) => resolveHost(d.host!, vs.ref.namespace))));
    for (const dr of rules) {
      const host = ruleHost(dr);
      if (host === undefined || !hosts.some((h) => sameHost(h, host))) continue;
      const def = list(rec(dr.value.spec)?.subsets).map(rec).find((s) => str(s?.name) === subset);
      if (!def) continue;
      const labels = stringMap(def.labels);
      const svc = svcs.find((s) => sameHost(serviceHost(s), host));
      const namespace = svc?.ref.namespace ?? clusterService(host)?.namespace ?? dr.ref.namespace;
      const selector = { ...stringMap(rec(svc?.value.spec)?.selector), ...labels };
      const picks = (ws: RepoObject[]) => ws.filter((w) => !shared.has(key(w)) && sameNamespace(w.ref.namespace, namespace) && selects(selector, podLabels(w)));
      const candidates = workloads[track].filter((w) => !shared.has(key(w)) && sameNamespace(w.ref.namespace, namespace));
      const mine = picks(workloads[track]);
      const theirs = picks(workloads[other]);
      const rule = `DestinationRule ${dr.ref.namespace ? `${dr.ref.namespace}/` : ''}${dr.ref.name}: ${labelText(labels)}`;
      if (mine.length === 0 && theirs.length > 0) {
        problems.push({ severity: 'error', code: 'CONFIG_SUBSET_WRONG_TRACK', track, message: `subset "${subset}" selects ${named(theirs)}, a workload of the ${other} track, and none of the ${track} track's (${rule})` });
      } else if (mine.length === 0 && candidates.length > 0) {
        // kustomize labels or a patch may still add them: a warning, not a refusal
        problems.push({ severity: 'warning', code: 'CONFIG_SUBSET_MISSES_TRACK', track, message: `subset "${subset}" selects none of the ${track} track's workloads (${named(candidates)}) (${rule})` });
      } else if (mine.length > 0 && theirs.length > 0) {
        problems.push({ severity: 'warning', code: 'CONFIG_SUBSET_BOTH_TRACKS', track, message: `subset "${subset}" selects ${named(theirs)} of the ${other} track too, so the ${track} weight goes to both tracks (${rule})` });
      }
    }
  }
  return unique(problems);
}

function unique(problems: TrackSubsetProblem[]): TrackSubsetProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(p.message) ? false : (seen.add(p.message), true)));
}
