// What the status page and /api/status show: per config repo, each app's status and its
// timeline, with every link already resolved. Plain data, so the JSON and the HTML are
// the same facts.
import type { AppStatus } from '../jobs/status.ts';
import type { TimelinePoint } from '../jobs/timeline.ts';

export interface ReportPoint extends TimelinePoint {
  url?: string;
}

export interface ReportApp extends AppStatus {
  timeline: ReportPoint[];
  lastChangeUrl?: string;
}

export interface ReportRepo {
  /** `owner/name`, or the local config repo's path. */
  repo: string;
  url?: string;
  apps: ReportApp[];
  /** Why the repo could not be read (its config is invalid, the clone failed). */
  problem?: string;
}

export interface StatusReport {
  generatedAt: string;
  mode: string;
  repos: ReportRepo[];
}

/** Links for one repo: GitHub's commit and pull request pages, or the bot's own
 *  /commit page in local mode, where there is no forge to link to. */
export interface RepoLinks {
  commit(sha: string): string | undefined;
  pull(n: number): string | undefined;
}

export function githubLinks(webBase: string, repo: string): RepoLinks {
  const base = `${webBase.replace(/\/+$/, '')}/${repo}`;
  return { commit: (sha) => `${base}/commit/${sha}`, pull: (n) => `${base}/pull/${n}` };
}

export function localLinks(): RepoLinks {
  return { commit: (sha) => `/commit/${sha}`, pull: () => undefined };
}

export function reportApp(status: AppStatus, timeline: readonly TimelinePoint[], links: RepoLinks): ReportApp {
  const points: ReportPoint[] = timeline.map((p) => {
    const url = (p.pr !== undefined ? links.pull(p.pr) : undefined) ?? links.commit(p.sha);
    return url ? { ...p, url } : { ...p };
  });
  const last = status.lastChange ? points.find((p) => p.sha === status.lastChange!.sha)?.url ?? links.commit(status.lastChange.sha) : undefined;
  return { ...status, timeline: points, ...(last ? { lastChangeUrl: last } : {}) };
}
