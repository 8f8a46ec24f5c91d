// Per-app status read from the repo and the bot's history: what each track runs, how
// traffic is split, whether the app is paused or has held tags, and where its scheduled
// rollout stands. Gate results are the last ones the scheduler recorded in git (status
// never queries Prometheus itself, so it answers the same on every replica).
import { rolloutSteps, type AppConfig, type Config } from '../config/index.ts';
import { BotError } from '../errors.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { systemClock } from '../rollout/clock.ts';
import { decideTick, rolloutPolicy, stepLabel, type Decision, type RolloutPolicy, type RolloutState } from '../rollout/decide.ts';
import { appCommits, type LoggedCommit } from '../rollout/landed.ts';
import { formatStatus, rolloutStateFromHistory } from '../rollout/state.ts';
import { appHistory, type BotCommit } from './history.ts';
import { scanImageRefs } from './images.ts';
import { loadTraffic } from './weights.ts';

export interface RolloutSnapshot {
  app: string;
  steps: number[];
  policy: RolloutPolicy;
  state: RolloutState;
}

/** The app's rollout state from the files (weights) and `log` (the branch's commits,
 *  newest first, merges included so PR steps are dated by their merge). Null when the
 *  app has no `rollout:` section. */
export async function readRollout(repo: RepoFiles, app: string, config: AppConfig, log: readonly LoggedCommit[]): Promise<RolloutSnapshot | null> {
  if (!config.rollout || !config.traffic) return null;
  const steps = rolloutSteps(config);
  const policy = rolloutPolicy(config.rollout, steps);
  const { file, editor, spec } = await loadTraffic(repo, app, config);
  const w = editor.read(file, spec);
  const state = rolloutStateFromHistory(appCommits(log, app), { stable: w.stable, canary: w.canary }, steps, { app });
  return { app, steps, policy, state };
}

export interface RolloutStatus {
  tag?: string;
  /** `step 2/4 (25%)`, or null when no rollout is in progress. */
  step: string | null;
  weights: { stable: number; canary: number };
  enteredAt?: string;
  paused: boolean;
  pausedBy?: string;
  held: string[];
  gateFailures: number;
  lastGate?: { verdict: string; summary?: string; at: string };
  next: { action: Decision['action']; code: Decision['code']; reason: string; at?: string };
  /** Human lines, as formatStatus renders them. */
  lines: string[];
}

export function rolloutStatus(snap: RolloutSnapshot, now: Date): RolloutStatus {
  const { state, steps, policy } = snap;
  const decision = decideTick({ now, rollout: policy, state });
  const out: RolloutStatus = {
    step: state.stepIndex >= 0 ? stepLabel(state.stepIndex, steps) : null,
    weights: state.weights,
    paused: state.paused,
    held: state.held ?? [],
    gateFailures: state.gateFailures,
    next: { action: decision.action, code: decision.code, reason: decision.reason, ...(decision.nextCheckAfter ? { at: decision.nextCheckAfter.toISOString() } : {}) },
    lines: formatStatus(state, decision, { now, steps, bakeMs: policy.bakeMs }),
  };
  if (state.tag) out.tag = state.tag;
  if (state.enteredAt) out.enteredAt = state.enteredAt.toISOString();
  if (state.pausedBy) out.pausedBy = state.pausedBy;
  if (state.lastGate) out.lastGate = { ...state.lastGate, at: state.lastGate.at.toISOString() };
  return out;
}

export interface TrackStatus {
  track: string;
  filter: string;
  tags: string[];
  files: string[];
}

export interface AppStatus {
  app: string;
  image: string;
  tracks: TrackStatus[];
  weights?: { stable: number; canary: number; others: number };
  held: string[];
  paused: boolean;
  lastChange?: { sha: string; subject: string; at: string; action?: string; step?: string };
  rollout?: RolloutStatus;
  problems: string[];
}

export interface StatusOptions {
  /** Defaults to the system clock. */
  now?: Date;
  /** The branch's whole log (merges included); without it, `commits` stand in and PR
   *  steps are dated by their own commit instead of their merge. */
  log?: readonly LoggedCommit[];
}

async function trackStatus(repo: RepoFiles, config: AppConfig, track: string): Promise<TrackStatus> {
  const t = config.tracks[track];
  const scan = await scanImageRefs(repo, config.image, t.paths);
  const tags = [...new Set(scan.refs.map((r) => r.ref.tag ?? r.ref.digest ?? '(untagged)'))];
  return { track, filter: t.filter, tags, files: [...new Set(scan.refs.map((r) => r.ref.file))] };
}

export async function appStatus(repo: RepoFiles, app: string, config: AppConfig, commits: BotCommit[], opts: StatusOptions = {}): Promise<AppStatus> {
  const history = appHistory(commits, app);
  const problems: string[] = [];
  const tracks: TrackStatus[] = [];
  for (const track of Object.keys(config.tracks)) tracks.push(await trackStatus(repo, config, track));
  let weights: AppStatus['weights'];
  if (config.traffic) {
    try {
      const { file, editor, spec } = await loadTraffic(repo, app, config);
      const s = editor.read(file, spec);
      weights = { stable: s.stable, canary: s.canary, others: s.others };
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      problems.push(err.message);
    }
  }
  let rollout: RolloutStatus | undefined;
  if (config.rollout && weights) {
    try {
      const snap = await readRollout(repo, app, config, opts.log ?? commits);
      if (snap) rollout = rolloutStatus(snap, opts.now ?? systemClock.now());
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      problems.push(err.message);
    }
  }
  const last = history.commits[0];
  return {
    app,
    ...(rollout ? { rollout } : {}),
    image: config.image,
    tracks,
    weights,
    held: history.held,
    paused: history.paused,
    lastChange: last && { sha: last.sha, subject: last.subject, at: last.committerDate, action: last.trailers.Action, step: last.trailers.Step },
    problems,
  };
}

export async function repoStatus(repo: RepoFiles, config: Config, commits: BotCommit[], opts: StatusOptions = {}): Promise<AppStatus[]> {
  const out: AppStatus[] = [];
  for (const [app, c] of Object.entries(config.apps)) out.push(await appStatus(repo, app, c, commits, opts));
  return out;
}

export function statusText(s: AppStatus): string {
  const lines = [`${s.app} (${s.image})${s.paused ? ' [paused]' : ''}`];
  for (const t of s.tracks) lines.push(`  ${t.track.padEnd(8)} ${t.tags.join(', ') || '(no references)'}  [${t.filter}]`);
  if (s.weights) lines.push(`  weights  stable ${s.weights.stable}% / canary ${s.weights.canary}%${s.weights.others ? ` / others ${s.weights.others}%` : ''}`);
  if (s.held.length) lines.push(`  held     ${s.held.join(', ')}`);
  if (s.lastChange) lines.push(`  last     ${s.lastChange.sha.slice(0, 12)} ${s.lastChange.subject} (${s.lastChange.at})`);
  if (s.rollout) {
    const [first, ...rest] = s.rollout.lines;
    lines.push(`  rollout  ${first}`, ...rest.map((l) => `         ${l}`));
  }
  for (const p of s.problems) lines.push(`  problem  ${p}`);
  return lines.join('\n');
}
