// What the bot remembers lives in its commits' trailers. This reads one app's history
// out of them: held tags (rolled back, not re-applied until a newer tag) and pause state;
// and which commits an app's rollout state is read from when the branch's history read
// once for every app (HISTORY_DEPTH commits) does not reach back to the app's last step.
import { logWindow, readLog, type LogEntry, type LogWindow } from '../git/history.ts';
import type { TrafficState } from '../manifests/types.ts';
import { AT_TRAILER, appCommits, type LoggedCommit } from '../rollout/landed.ts';
import { isStepCommit } from '../rollout/state.ts';
import { extrasOf } from '../rollout/steps.ts';

export type BotCommit = LogEntry;

/** How many commits of a branch are read at once for all its apps. */
export const HISTORY_DEPTH = 1000;

export interface AppHistory {
  /** This app's bot commits, newest first. */
  commits: BotCommit[];
  held: string[];
  paused: boolean;
}

export function appHistory(all: BotCommit[], app: string): AppHistory {
  const commits = all.filter((c) => c.trailers.App === app);
  const held = commits.map((c) => c.trailers.Hold).filter((t): t is string => Boolean(t));
  const toggle = commits.find((c) => c.trailers.Action === 'pause' || c.trailers.Action === 'resume');
  return { commits, held: [...new Set(held)], paused: toggle?.trailers.Action === 'pause' };
}

/** The commits `app`'s rollout state is read from, newest first. Normally `log` itself
 *  (a branch's newest commits, read once for every app). But when `log` stopped at its
 *  depth with older commits left out, and the app is in a rollout by its route (a canary
 *  weight, or the A/B match or mirror a step put there) while none of the commits in
 *  `log` sets its step, the state would come from the weights alone, with no bake clock:
 *  then the app's own commits are read (appOwnLog). Every reader of rollout state (the
 *  tick, its check before a push, status, `promote`) comes through here, so they agree
 *  however much the repo's other apps committed since. */
export async function rolloutLog<T extends LoggedCommit>(log: readonly T[], app: string, traffic: Pick<TrafficState, 'canary' | 'ab' | 'mirror'>): Promise<readonly T[]> {
  if (!logWindow(log) || (traffic.canary <= 0 && !extrasOf(traffic))) return log;
  if (appCommits(log, app).some((c) => isStepCommit(c.trailers))) return log;
  return appOwnLog(log, app);
}

// One read per log and app: the log is never changed after it was read.
const own = new WeakMap<readonly unknown[], Map<string, Promise<LogEntry[]>>>();

/** `app`'s own newest commits (HISTORY_DEPTH of them, found by their App trailer) as of
 *  the head `log` was read from, whatever the other apps committed since; `log` itself
 *  when it holds the branch's whole history. */
export async function appOwnLog<T extends LoggedCommit>(log: readonly T[], app: string): Promise<readonly T[]> {
  const window = logWindow(log);
  if (!window) return log;
  let byApp = own.get(log);
  if (!byApp) own.set(log, (byApp = new Map()));
  let read = byApp.get(app);
  if (!read) {
    const reads = byApp;
    read = readOwn(window, app);
    reads.set(app, read);
    // a failed read (a git error) is not remembered
    read.catch(() => reads.delete(app));
  }
  // a window is only ever made of what git's log gives
  return (await read) as unknown as T[];
}

async function readOwn(window: LogWindow, app: string): Promise<LogEntry[]> {
  const commits = await readLog(window.runner, { ref: window.head, max: window.max, grepTrailer: { key: 'App', value: app } });
  // A step delivered as a pull request began when it was merged, and the merge carries
  // no trailer of the app: date the step that sets the state by the mainline commit that
  // brought it in, as the branch's log would (rollout/landed.ts). The scheduler's own
  // commits carry their time in the At trailer and need no lookup.
  const i = commits.findIndex((c) => isStepCommit(c.trailers));
  if (i >= 0 && !hasTrailer(commits[i].trailers, AT_TRAILER)) {
    const landed = await landingDate(window, commits[i].sha);
    if (landed) commits[i] = { ...commits[i], committerDate: landed };
  }
  return commits;
}

/** The committer date of the merge that brought `sha` onto the head's first-parent line,
 *  or undefined when `sha` is on that line itself. */
async function landingDate(window: LogWindow, sha: string): Promise<string | undefined> {
  const { stdout } = await window.runner.run(['log', '--first-parent', '--ancestry-path', '--format=%H %P %cI', `${sha}..${window.head}`, '--']);
  const last = stdout.trim().split('\n').at(-1);
  if (!last) return undefined;
  const [, firstParent, ...rest] = last.split(' ');
  return firstParent === sha ? undefined : rest.at(-1);
}

function hasTrailer(trailers: Record<string, string>, key: string): boolean {
  const want = key.toLowerCase();
  return Object.keys(trailers).some((k) => k.toLowerCase() === want || k.toLowerCase() === `gitops-canary-${want}`);
}
