// An app's history as points in time, read from the trailers of the bot's commits: the
// canary weight and the tag of each track after every change, for the status page's
// timeline. Git is the only state, so this is the only record there is.
import type { LogEntry } from '../git/history.ts';

export interface TimelinePoint {
  sha: string;
  /** When the change took effect: the merge of its pull request, else the commit (the
   *  bot's own `At` trailer when present, which is the bot's clock rather than git's). */
  at: string;
  action: string;
  subject: string;
  /** Canary weight after the change, when the history says (null before any split). */
  canary: number | null;
  /** Tag per track after the change. */
  tags: Record<string, string>;
  step?: string;
  /** The pull request that carried the change, when it was merged from one. */
  pr?: number;
}

const WEIGHTS = /(?:^|,)\s*canary=(\d+)/;

function trailer(e: LogEntry, key: string): string | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(e.trailers)) {
    const name = k.toLowerCase().replace(/^gitops-canary-/, '');
    if (name === lower) return v;
  }
  return undefined;
}

/** `log` is the branch's log, newest first, merges included; returns oldest first. */
export function appTimeline(log: readonly LogEntry[], app: string): TimelinePoint[] {
  return appTimelines(log).get(app) ?? [];
}

/** Every app's timeline from one pass over the log (the status page shows them all). */
export function appTimelines(log: readonly LogEntry[]): Map<string, TimelinePoint[]> {
  // A bot commit merged from a PR is the second parent of a "Merge pull request #N" commit.
  const merged = new Map<string, { pr?: number; at: string }>();
  for (const m of log) {
    if (m.parents.length < 2) continue;
    const pr = /#(\d+)/.exec(m.subject)?.[1];
    merged.set(m.parents[1], { pr: pr === undefined ? undefined : Number(pr), at: m.committerDate });
  }
  const out = new Map<string, { points: TimelinePoint[]; tags: Record<string, string>; canary: number | null }>();
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i];
    const app = trailer(e, 'App');
    if (app === undefined) continue;
    let t = out.get(app);
    if (!t) out.set(app, (t = { points: [], tags: {}, canary: null }));
    const action = trailer(e, 'Action') ?? 'change';
    const weights = trailer(e, 'Weights');
    const w = weights === undefined ? undefined : WEIGHTS.exec(weights)?.[1];
    if (w !== undefined) t.canary = Number(w);
    const tag = trailer(e, 'Tag');
    const track = trailer(e, 'Track') ?? (action === 'release' || action === 'step' ? 'canary' : undefined);
    if (tag && track) t.tags[track] = tag;
    const via = merged.get(e.sha);
    const at = via?.at ?? trailer(e, 'At') ?? e.committerDate;
    const step = trailer(e, 'Step');
    t.points.push({ sha: e.sha, at, action, subject: e.subject, canary: t.canary, tags: { ...t.tags }, ...(step ? { step } : {}), ...(via?.pr !== undefined ? { pr: via.pr } : {}) });
  }
  return new Map([...out].map(([app, t]) => [app, t.points]));
}
