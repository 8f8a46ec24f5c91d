// A tag arrived (release, git tag or container package). For every config repo in
// reach: route by the apps' `source`, plan one change per app, deliver it, report back.
import { loadConfig } from '../config/index.ts';
import { BotError } from '../errors.ts';
import { repoName, type RepoId } from '../forge/types.ts';
import { appHistory } from '../jobs/history.ts';
import { planAppRelease, routeEvent, type ReleaseEvent } from '../jobs/release.ts';
import { botCommits } from '../jobs/run.ts';
import { deliver, type Delivered } from './deliver.ts';
import { noticeFor } from './notices.ts';
import type { BotDeps, Scope } from './types.ts';

export interface TagEvent extends ReleaseEvent {
  source: string;
  /** Commit the tag points at, for the status reported back on the app repo. */
  sha?: string;
}

export async function handleTag(deps: BotDeps, scope: Scope, ev: TagEvent): Promise<Delivered[]> {
  const out: Delivered[] = [];
  // 1. Every config repo this installation reaches.
  const repos = await scope.configRepos();
  const token = await scope.token();
  for (const repo of repos) {
    const results = await deps.workspaces.with(repo, token, async (ws) => {
      // 2. Config from the repo's default branch, as it is now.
      await ws.sync();
      const loaded = await loadConfig(ws.dir);
      if (!loaded) {
        scope.log.info({ repo: repoName(repo.id) }, 'no .github/gitops-canary.yml; skipping this repo');
        return [];
      }
      // 3. Route by source: only apps whose source is the event's repo may move.
      const routed = routeEvent(loaded.config, ev);
      if (routed.apps.length === 0) {
        scope.log.info({ repo: repoName(repo.id), source: ev.source, tag: ev.tag }, routed.reason ?? 'no app routed');
        return [];
      }
      // 4. One change per app, delivered the app's way.
      const commits = await botCommits(ws);
      const done: Delivered[] = [];
      for (const r of routed.apps) {
        const prepare = (files: Parameters<typeof planAppRelease>[0]) => planAppRelease(files, r, ev, appHistory(commits, r.app));
        try {
          const result = await deliver(ws, scope.forge, { repo, app: r.app, lane: 'release', config: r.config }, prepare);
          done.push(result);
          scope.log.info({ app: r.app, status: result.status, url: result.url, commit: result.commit }, result.plan.title);
          const notice = noticeFor(result, { repo });
          if (notice) deps.notify(notice);
        } catch (err) {
          if (!(err instanceof BotError)) throw err;
          scope.log.error({ app: r.app, code: err.code, err: err.message }, 'release failed');
          deps.notify({ kind: 'failed', app: r.app, tag: ev.tag, error: err.message, repo: repoName(repo.id) });
          done.push({ plan: { action: 'release', title: `${r.app}: ${ev.tag} failed`, app: r.app, edits: [], skipped: [], trailers: {} }, status: 'unchanged', message: err.message });
        }
      }
      return done;
    });
    out.push(...results);
  }
  // 5. Report back on the app repo: a commit status on the tag's commit.
  await reportBack(scope, ev, out);
  return out;
}

async function reportBack(scope: Scope, ev: TagEvent, results: Delivered[]): Promise<void> {
  if (!ev.sha) return;
  const changed = results.find((r) => r.status === 'committed' || r.status === 'pull-request');
  if (!changed) return;
  const [owner, name] = ev.source.split('/');
  const id: RepoId = { owner, name };
  try {
    await scope.forge.reportStatus(id, ev.sha, {
      state: changed.status === 'committed' ? 'success' : 'pending',
      url: changed.url,
      description: changed.status === 'committed' ? `${changed.plan.title}: committed to the config repo` : `${changed.plan.title}: config PR open`,
    });
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    scope.log.warn({ err: err.message }, 'could not report status back to the app repo');
  }
}
