// When did a bot commit take effect? Not necessarily its own commit date: a step
// delivered as a pull request takes effect when the PR is merged, which is the date of
// the mainline commit that brought it in. A commit the scheduler made directly carries
// an `At` trailer with the scheduler's clock, so bake times are measured on one clock
// (the injected one) even when git's dates come from elsewhere.
import type { HistoryCommit } from './state.ts';

export interface LoggedCommit {
  sha: string;
  parents: readonly string[];
  trailers: Record<string, string>;
  /** ISO 8601. */
  committerDate: string;
}

export const AT_TRAILER = 'At';

/** For every commit in `log` (newest first, `log[0]` the branch head), the first-parent
 *  (mainline) commit that brought it onto the branch: itself for direct commits, the
 *  merge commit for commits merged from a PR branch. Commits beyond the log are ignored. */
export function landedOn(log: readonly LoggedCommit[]): Map<string, LoggedCommit> {
  const bySha = new Map(log.map((c) => [c.sha, c]));
  const mainline: LoggedCommit[] = [];
  let c: LoggedCommit | undefined = log[0];
  while (c && mainline.length < log.length) {
    mainline.push(c);
    c = c.parents[0] === undefined ? undefined : bySha.get(c.parents[0]);
  }
  const landed = new Map<string, LoggedCommit>();
  // Oldest mainline commit first: whatever an older one already reaches landed earlier.
  for (const m of mainline.reverse()) {
    const stack = [m.sha];
    while (stack.length) {
      const sha = stack.pop()!;
      if (landed.has(sha)) continue;
      const c = bySha.get(sha);
      if (!c) continue;
      landed.set(sha, m);
      stack.push(...c.parents);
    }
  }
  return landed;
}

/** One app's commits (App trailer, case-insensitive key) as state.ts reads them, newest
 *  first, each dated by when it took effect on the branch. */
export function appCommits(log: readonly LoggedCommit[], app: string): HistoryCommit[] {
  return [...(commitsByApp(log).get(app) ?? [])];
}

// A scheduler tick or a status reads every app's state from one log: the mainline walk
// and the grouping by app are done once per log (read from git, never changed after),
// not once per app.
const grouped = new WeakMap<readonly LoggedCommit[], Map<string, HistoryCommit[]>>();

function commitsByApp(log: readonly LoggedCommit[]): Map<string, HistoryCommit[]> {
  let byApp = grouped.get(log);
  if (byApp) return byApp;
  byApp = new Map();
  const landed = landedOn(log);
  for (const c of log) {
    const app = trailer(c.trailers, 'App');
    if (app === undefined) continue;
    let list = byApp.get(app);
    if (!list) byApp.set(app, (list = []));
    list.push({ sha: c.sha, trailers: c.trailers, committerDate: effectiveDate(c, landed.get(c.sha)) });
  }
  grouped.set(log, byApp);
  return byApp;
}

function effectiveDate(c: LoggedCommit, on: LoggedCommit | undefined): Date {
  if (on && on.sha !== c.sha) return new Date(on.committerDate);
  const at = trailer(c.trailers, AT_TRAILER);
  const parsed = at ? new Date(at) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date(c.committerDate);
}

function trailer(t: Record<string, string>, key: string): string | undefined {
  const want = key.toLowerCase();
  for (const [k, v] of Object.entries(t)) {
    const low = k.toLowerCase();
    if (low === want || low === `gitops-canary-${want}`) return v;
  }
  return undefined;
}
