// A tag arrived (release, git tag or container package). For every config repo in
// reach: route by the apps' `source`, plan one change per app, deliver it, report back.
import type { AppConfig } from '../config/index.ts';
import { loadConfigAt } from '../config/load.ts';
import { BotError } from '../errors.ts';
import { parseRepoName, repoName } from '../forge/types.ts';
import type { Workspace } from '../git/workspace.ts';
import { appHistory } from '../jobs/history.ts';
import { imageTagOf, planAppRelease, routeEvent, type ReleaseEvent, type Routed } from '../jobs/release.ts';
import { botCommits } from '../jobs/run.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { decideTrack } from '../policy/index.ts';
import { deliver, type Delivered } from './deliver.ts';
import { noticeFor } from './notices.ts';
import { reportBack } from './report.ts';
import { replicaOf } from './tick/steps.ts';
import { autoMerge } from './review.ts';
import type { BotDeps, ConfigRepo, Scope } from './types.ts';

interface AutoMerge {
  repo: ConfigRepo;
  app: string;
  config: AppConfig;
  result: Delivered;
}

export interface TagEvent extends ReleaseEvent {
  source: string;
  /** Commit the tag points at, for the status reported back on the app repo. */
  sha?: string;
}

/** The track a tag goes to, naming the PR branch; null when it goes nowhere (the plan
 *  then says why, and nothing is pushed). */
export function trackOf(r: Routed, ev: Pick<ReleaseEvent, 'tag' | 'imageTag'>): string | null {
  try {
    const rendered = imageTagOf(r.config.tagTemplate, ev);
    const tracks = Object.entries(r.config.tracks).map(([name, t]) => ({ name, filter: t.filter, prerelease: t.prerelease }));
    return decideTrack(tracks, rendered).track;
  } catch (err) {
    if (err instanceof BotError) return null;
    throw err;
  }
}

/** A GitHub release marked "pre-release" goes only to tracks that accept prereleases,
 *  whatever its tag looks like. */
function forPrerelease(r: Routed): Routed | null {
  const tracks = Object.fromEntries(Object.entries(r.config.tracks).filter(([, t]) => t.prerelease));
  return Object.keys(tracks).length ? { app: r.app, config: { ...r.config, tracks } } : null;
}

/** `only`: the config repos to apply the tag to (reconciliation applies it repo by repo);
 *  by default every config repo the installation reaches. */
export async function handleTag(deps: BotDeps, scope: Scope, ev: TagEvent, only?: ConfigRepo[]): Promise<Delivered[]> {
  const out: Delivered[] = [];
  // 1. Every config repo this installation reaches.
  const repos = only ?? (await scope.configRepos());
  if (repos.length === 0) {
    scope.log.info({ source: ev.source, tag: ev.tag }, 'no config repository in reach of this installation; nothing to do');
    return out;
  }
  const token = await scope.token();
  // The tag's commit is looked up only once something is about to change.
  let sha: Promise<string | undefined> | undefined;
  const sourceCommit = () => (sha ??= resolveSourceCommit(scope, ev));
  const auto: AutoMerge[] = [];
  for (const repo of repos) {
    try {
      out.push(...(await deps.workspaces.with(repo, token, (ws) => releaseIn(deps, scope, ev, repo, ws, sourceCommit, auto))));
    } catch (err) {
      // One broken config repo (invalid config, unreachable remote) must not stop the others.
      if (!(err instanceof BotError)) throw err;
      scope.log.error({ repo: repoName(repo.id), code: err.code, err: err.message }, 'release not applied to this config repository');
    }
  }
  // 5. Report back on the app repo: a commit status on the tag's commit.
  const commit = out.some((r) => r.status === 'committed' || r.status === 'pull-request' || r.error) ? await sourceCommit() : undefined;
  if (commit) await reportBack(scope, parseRepoName(ev.source), commit, out);
  // 6. `merge: auto` PRs, merged outside the working copy's lock (a merge reports success).
  for (const a of auto) await autoMerge(deps, scope, a.repo, a.app, a.config, a.result);
  return out;
}

async function releaseIn(
  deps: BotDeps,
  scope: Scope,
  ev: TagEvent,
  repo: ConfigRepo,
  ws: Workspace,
  sourceCommit: () => Promise<string | undefined>,
  auto: AutoMerge[],
): Promise<Delivered[]> {
  // 2. Config from the repo's default branch, as it is now.
  await ws.sync();
  // remembered per tree: the analysis of each app's change asks for it again
  const loaded = loadConfigAt(ws.dir, await ws.cleanTree());
  if (!loaded) {
    scope.log.info({ repo: repoName(repo.id) }, 'no .github/gitops-canary.yml; skipping this repo');
    return [];
  }
  // 3. Route by source: only apps whose source is the event's repo may move.
  const routed = routeEvent(loaded.config, ev);
  if (routed.apps.length === 0) {
    scope.log.info({ repo: repoName(repo.id), source: ev.source, tag: ev.tag, event: ev.event }, routed.reason ?? 'no app routed');
    return [];
  }
  // 4. One change per app, delivered the app's way, on the branch of the decided track.
  const commits = await botCommits(ws);
  const done: Delivered[] = [];
  // True while the working copy is the default branch as synced (plus our own pushed commits).
  let synced = true;
  for (const candidate of routed.apps) {
    const r = ev.prerelease ? forPrerelease(candidate) : candidate;
    if (!r) {
      scope.log.info({ app: candidate.app, tag: ev.tag }, 'pre-release and no track of the app accepts prereleases; nothing changes');
      continue;
    }
    const track = trackOf(r, ev);
    const source = await sourceCommit();
    const prepare = async (files: RepoFiles) => {
      const stamp = r.config.delivery === 'commit' ? { at: deps.clock.now(), replica: replicaOf(deps) } : undefined;
      const prepared = await planAppRelease(files, r, ev, appHistory(commits, r.app), deps.registry, stamp);
      if (source) prepared.plan.trailers['Source-Commit'] = source;
      return prepared;
    };
    try {
      const result = await deliver(ws, scope, { repo, app: r.app, lane: track ?? 'release', config: r.config }, prepare, { synced });
      synced &&= r.config.delivery === 'commit' && !r.config.branch;
      done.push(result);
      if (r.config.merge === 'auto' && result.pr) auto.push({ repo, app: r.app, config: r.config, result });
      scope.log.info({ app: r.app, status: result.status, url: result.url, commit: result.commit, skipped: result.plan.skipped.map((s) => s.reason) }, result.plan.title);
      const notice = noticeFor(result, { repo });
      if (notice) deps.notify(notice, r.config.notify);
    } catch (err) {
      synced = false;
      if (!(err instanceof BotError)) throw err;
      scope.log.error({ app: r.app, code: err.code, err: err.message }, 'release failed');
      deps.notify({ kind: 'failed', app: r.app, track: track ?? undefined, tag: ev.tag, error: err.message, repo: repoName(repo.id) }, r.config.notify);
      done.push({ plan: { action: 'release', title: `${r.app}: ${ev.tag} failed`, app: r.app, edits: [], skipped: [], trailers: {} }, status: 'unchanged', message: err.message, error: err.message });
    }
  }
  return done;
}

async function resolveSourceCommit(scope: Scope, ev: TagEvent): Promise<string | undefined> {
  if (ev.sha) return ev.sha;
  try {
    return (await scope.forge.tagCommit(parseRepoName(ev.source), ev.tag)) ?? undefined;
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    scope.log.warn({ source: ev.source, tag: ev.tag, err: err.message }, 'could not look up the commit of the tag; no status will be reported');
    return undefined;
  }
}
