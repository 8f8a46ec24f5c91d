// What the bot remembers lives in its commits' trailers. This reads one app's history
// out of them: held tags (rolled back, not re-applied until a newer tag) and pause state.
import type { LogEntry } from '../git/workspace.ts';

export type BotCommit = LogEntry;

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
