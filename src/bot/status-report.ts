// The data behind the status page and /api/status: every config repo the bot can reach,
// read from git like `status` (so every replica shows the same), with each app's
// timeline. Reads are cached briefly: a page refreshed in a loop must not turn into a
// fetch per view.
import { loadConfig } from '../config/index.ts';
import { BotError } from '../errors.ts';
import { repoName } from '../forge/types.ts';
import type { LogEntry } from '../git/history.ts';
import { botCommitsIn, workspaceFiles } from '../jobs/run.ts';
import { repoStatus } from '../jobs/status.ts';
import { appTimelines } from '../jobs/timeline.ts';
import { githubLinks, localLinks, reportApp, type ReportRepo, type StatusReport } from '../web/report.ts';
import type { BotDeps, ConfigRepo, Scope } from './types.ts';
import { HISTORY_DEPTH } from '../jobs/history.ts';

export interface StatusSource {
  report(): Promise<StatusReport>;
  /** A commit the last report showed (local mode links its points here). */
  commit(sha: string): LogEntry | undefined;
}

export function statusSource(deps: BotDeps, scopes: () => Promise<Scope[]>, opts: { mode: string; cacheMs?: number }): StatusSource {
  const cacheMs = opts.cacheMs ?? 5000;
  let cached: { at: number; report: Promise<StatusReport> } | undefined;
  const commits = new Map<string, LogEntry>();

  async function readRepo(scope: Scope, repo: ConfigRepo): Promise<ReportRepo> {
    const name = opts.mode === 'local' ? repo.cloneUrl : repoName(repo.id);
    const links = repo.htmlUrl ? githubLinks(new URL(repo.htmlUrl).origin, repoName(repo.id)) : localLinks();
    try {
      return await deps.workspaces.with(repo, await scope.token(), async (ws) => {
        await ws.sync();
        const loaded = loadConfig(ws.dir);
        if (!loaded) return { repo: name, ...(repo.htmlUrl ? { url: repo.htmlUrl } : {}), apps: [], problem: 'no .github/gitops-canary.yml' };
        const log = await ws.log({ max: HISTORY_DEPTH });
        for (const e of log) commits.set(e.sha, e);
        const statuses = await repoStatus(workspaceFiles(ws), loaded.config, botCommitsIn(log), { log, now: deps.clock.now() });
        const timelines = appTimelines(log);
        const apps = statuses.map((s) => reportApp(s, timelines.get(s.app) ?? [], links));
        return { repo: name, ...(repo.htmlUrl ? { url: repo.htmlUrl } : {}), apps };
      });
    } catch (err) {
      // One unreadable repo (invalid config, failed fetch) must not blank the page.
      if (!(err instanceof BotError) && !(err instanceof Error)) throw err;
      return { repo: name, apps: [], problem: (err as Error).message };
    }
  }

  async function build(): Promise<StatusReport> {
    commits.clear();
    const repos: ReportRepo[] = [];
    for (const scope of await scopes()) for (const repo of await scope.configRepos()) repos.push(await readRepo(scope, repo));
    return { generatedAt: deps.clock.now().toISOString(), mode: opts.mode, repos };
  }

  return {
    report() {
      const now = Date.now();
      if (!cached || now - cached.at > cacheMs) {
        const report = build();
        cached = { at: now, report };
        // a failed build is not cached
        report.catch(() => (cached = undefined));
      }
      return cached.report;
    },
    commit: (sha) => commits.get(sha) ?? [...commits.values()].find((c) => sha.length >= 7 && c.sha.startsWith(sha)),
  };
}
