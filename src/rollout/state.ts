// Rollout state is never stored anywhere but git: the weights in the manifests and the
// trailers on the bot's commits. This module folds a commit history back into state.
//
// Trailers read (keys with or without the `Gitops-Canary-` prefix, case-insensitive):
//   App            the app a commit belongs to
//   Action         release | set-weight | promote | rollback | abort | pause | resume | gate | skip-bake
//   Tag            the canary tag
//   Step           `2/4`: the step entered (1-based). The only way to tell an A/B or mirror
//                  step (canary weight 0) from no rollout at all
//   Paused         on pause/resume commits: `true`/`false`, or who paused (implies true)
//   Hold           tag(s) that must not roll out, comma separated; `-v1.2.3` lifts a hold
//   Gate-Failures  consecutive failed gate evaluations at the current step
//   Gate-Verdict   pass | fail | unknown, on `gate` records; Gate-Summary says why
//   Gate-Reason    the kind of that reason (gates.ts gateReason: details and numbers
//                  masked), which the scheduler compares to decide whether a new `gate`
//                  record is due; absent on records written before it existed
//   At             the scheduler's clock when it wrote the commit (landed.ts), read as the
//                  time the step began
//
// `skip-bake` is the action recorded by the `/canary promote` command (an empty commit):
// it lets the current step advance before its bake time, and nothing else. `ab` (an A/B
// match set by hand) is no step either: the rollout keeps its step and bake.
import type { Decision, GateRecord, RolloutState, Weights } from './decide.ts';
import { stepLabel } from './decide.ts';
import { formatDuration } from './duration.ts';
import { describeResult, type GateOutcome } from './gates.ts';
import { asStep, stepKind, stepText, weightSteps, type StepLike } from './steps.ts';

export const SKIP_BAKE_ACTION = 'skip-bake';
export const GATE_ACTION = 'gate';

export interface HistoryCommit {
  sha: string;
  trailers: Record<string, string>;
  committerDate: Date;
}

const STEP_ACTIONS = new Set(['release', 'set-weight', 'promote', 'rollback', 'abort']);
const ENDING_ACTIONS = new Set(['promote', 'rollback', 'abort']);
const PREFIX = 'gitops-canary-';

/** Commits are newest first. With `app`, commits of other apps are ignored (commits without an
 *  App trailer are kept, as callers usually pre-filter by path). */
export function rolloutStateFromHistory(
  commits: readonly HistoryCommit[],
  weights: Weights,
  steps: readonly StepLike[],
  opts: { app?: string } = {},
): RolloutState {
  const history = commits
    .map((c) => ({ ...c, t: normalize(c.trailers) }))
    .filter((c) => !opts.app || c.t.app === undefined || c.t.app === opts.app);

  const stepAt = history.findIndex((c) => STEP_ACTIONS.has(action(c.t)));
  const newer = stepAt < 0 ? history : history.slice(0, stepAt);
  const state: RolloutState = { stepIndex: -1, weights: { ...weights }, paused: false, gateFailures: 0 };

  const pause = history.find((c) => action(c.t) === 'pause' || action(c.t) === 'resume');
  if (pause) {
    const flag = pause.t.paused;
    state.paused = flag === undefined ? action(pause.t) === 'pause' : !/^(false|no|0|off)$/i.test(flag);
    if (state.paused && flag && !/^(true|yes|1|on)$/i.test(flag)) state.pausedBy = flag;
  }

  const held = heldTags(history);
  if (held.length) state.held = held;

  const stepCommit = stepAt < 0 ? undefined : history[stepAt];
  if (stepCommit && ENDING_ACTIONS.has(action(stepCommit.t))) return state;

  if (stepCommit) {
    state.stepIndex = stepFromTrailer(stepCommit.t.step, steps) ?? stepFromWeights(weights, steps);
    state.enteredAt = stepCommit.committerDate;
    const tag = stepCommit.t.tag ?? history.slice(stepAt + 1).find((c) => action(c.t) === 'release')?.t.tag;
    if (tag) state.tag = tag;
  } else if (weights.canary > 0) {
    // Weights moved by hand with no bot history: follow the files, without a bake clock.
    state.stepIndex = stepFromWeights(weights, steps);
  }
  if (state.stepIndex < 0) return state;

  const gate = newer.find((c) => c.t['gate-failures'] !== undefined);
  if (gate) {
    const n = Number(gate.t['gate-failures']);
    if (Number.isInteger(n) && n >= 0) state.gateFailures = n;
  }
  if (newer.some((c) => action(c.t) === SKIP_BAKE_ACTION)) state.skipBake = true;
  const verdictAt = newer.find((c) => c.t['gate-verdict'] !== undefined);
  const verdict = verdictAt?.t['gate-verdict'].toLowerCase();
  if (verdictAt && (verdict === 'pass' || verdict === 'fail' || verdict === 'unknown')) {
    const record: GateRecord = { verdict, at: verdictAt.committerDate };
    if (verdictAt.t['gate-summary']) record.summary = verdictAt.t['gate-summary'];
    if (verdictAt.t['gate-reason']) record.reason = verdictAt.t['gate-reason'];
    state.lastGate = record;
  }
  return state;
}

/** Whether the commit sets the rollout's step (release, set-weight, promote, rollback,
 *  abort): the newest such commit of an app is where its state is read from. */
export function isStepCommit(trailers: Record<string, string>): boolean {
  return STEP_ACTIONS.has(action(normalize(trailers)));
}

/** Everything a tick's decision depends on, as one comparable string. A replica re-reads
 *  the state right before it commits and gives up when the key changed: someone else
 *  acted on the state it decided on. */
export function stateKey(s: RolloutState): string {
  return JSON.stringify([
    s.tag ?? null,
    s.stepIndex,
    s.enteredAt?.getTime() ?? null,
    s.weights.stable,
    s.weights.canary,
    s.paused,
    [...(s.held ?? [])].sort(),
    s.gateFailures,
    s.lastGate?.verdict ?? null,
    s.lastGate?.at.getTime() ?? null,
    s.skipBake ?? false,
  ]);
}

/** Lines for `gitops-canary status`. */
export function formatStatus(
  state: RolloutState,
  decision: Decision,
  opts: { now?: Date; steps?: readonly StepLike[]; bakeMs?: number; gate?: GateOutcome; app?: string } = {},
): string[] {
  const lines: string[] = [];
  const prefix = opts.app ? `${opts.app}: ` : '';
  const w = `stable=${state.weights.stable} canary=${state.weights.canary}`;
  if (state.stepIndex < 0) {
    lines.push(`${prefix}no rollout in progress (weights ${w})`);
  } else {
    lines.push(`${prefix}canary ${state.tag ?? '(unknown tag)'}`);
    const step = opts.steps ? stepLabel(state.stepIndex, opts.steps) : `step ${state.stepIndex + 1}`;
    lines.push(`  ${step}, weights ${w}`);
    // `/canary weight` (or a hand edit) can leave the canary between steps; the next step
    // is still the one after the highest step below it.
    const at = opts.steps?.[state.stepIndex];
    if (opts.steps && at !== undefined && asStep(at).weight !== state.weights.canary) {
      lines.push(`  canary weight ${state.weights.canary}% is off the configured steps (${opts.steps.map((x) => (stepKind(x) === 'weight' ? String(asStep(x).weight) : stepText(x))).join(', ')})`);
    }
    if (state.enteredAt) {
      const since = state.enteredAt.toISOString();
      lines.push(opts.now ? `  at this step for ${roundDuration(opts.now.getTime() - state.enteredAt.getTime())} (since ${since})` : `  at this step since ${since}`);
    }
    if (state.gateFailures > 0) lines.push(`  consecutive gate failures: ${state.gateFailures}`);
    if (state.skipBake) lines.push('  bake skipped by command');
  }
  if (state.paused) lines.push(`  paused${state.pausedBy ? ` by ${state.pausedBy}` : ''}`);
  if (state.held?.length) lines.push(`  held tags: ${state.held.join(', ')}`);
  if (state.pendingChange) lines.push(`  waiting for merge${state.pendingChange.url ? `: ${state.pendingChange.url}` : ''}`);
  if (opts.gate) {
    lines.push(`  gates: ${opts.gate.verdict}`);
    for (const r of opts.gate.results) lines.push(`    ${describeResult(r)}`);
  } else if (state.stepIndex >= 0 && state.lastGate) {
    const g = state.lastGate;
    lines.push(`  gates: ${g.verdict} (recorded ${g.at.toISOString()})${g.summary ? ` — ${g.summary}` : ''}`);
  }
  lines.push(`  next: ${decision.action} — ${decision.reason}`);
  if (decision.nextCheckAfter) {
    const wait = opts.now ? ` (in ${roundDuration(decision.nextCheckAfter.getTime() - opts.now.getTime())})` : '';
    lines.push(`  next step possible at ${decision.nextCheckAfter.toISOString()}${wait}`);
  }
  return lines;
}

function normalize(trailers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(trailers ?? {})) {
    const key = k.toLowerCase();
    out[key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key] = String(v).trim();
  }
  return out;
}

function action(t: Record<string, string>): string {
  return (t.action ?? '').toLowerCase();
}

function stepFromTrailer(value: string | undefined, steps: readonly StepLike[]): number | undefined {
  const m = value ? /^\s*(\d+)\s*(?:\/\s*(\d+))?\s*$/.exec(value) : null;
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n < 1) return undefined;
  // Steps may have been edited in config since; never point past the last one.
  return Math.min(n, steps.length) - 1;
}

/** The weight step whose weight the canary has; between steps, the highest step not above
 *  it. A/B and mirror steps are never found this way: their weight, 0, is also the weight
 *  of no rollout at all. */
function stepFromWeights(weights: Weights, steps: readonly StepLike[]): number {
  const candidates = weightSteps(steps).filter((s) => s.weight > 0);
  const exact = candidates.find((s) => s.weight === weights.canary);
  if (exact) return exact.index;
  let best = -1;
  for (const s of candidates) if (s.weight <= weights.canary) best = s.index;
  return weights.canary > 0 && best < 0 ? (candidates[0]?.index ?? -1) : best;
}

/** Oldest first, so a later `-tag` lifts an earlier hold and a later release of a held tag
 *  (someone forced it) lifts it too. */
function heldTags(history: ReadonlyArray<{ t: Record<string, string> }>): string[] {
  const held = new Set<string>();
  for (const c of [...history].reverse()) {
    if (action(c.t) === 'release' && c.t.tag) held.delete(c.t.tag);
    for (const raw of (c.t.hold ?? '').split(',')) {
      const tag = raw.trim();
      if (!tag) continue;
      if (tag.startsWith('-')) held.delete(tag.slice(1));
      else held.add(tag);
    }
  }
  return [...held];
}

function roundDuration(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000) * 1000));
}
