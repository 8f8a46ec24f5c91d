// One scheduler tick for one app, as a pure function of (now, config, state from git, gate
// outcome). Replicas that see the same git history and clock reach the same decision, and
// git's compare-and-swap on push makes the resulting change happen exactly once.
import { formatDuration, parseDuration } from './duration.ts';
import { activeFreezeRange, parseFreeze } from './freeze.ts';
import { summarizeGates, type GateOutcome } from './gates.ts';
import { asStep, stepText, type StepLike } from './steps.ts';
import { isWindowOpen, parseWindow, type RolloutWindow, type WindowSpec } from './window.ts';
import type { TrafficExtras } from '../manifests/types.ts';

export type Approval = 'per-step' | 'first-step' | 'none';

export interface RolloutPolicy {
  /** The steps in order: A/B and mirror steps (canary weight 0), then canary weights
   *  ascending, normally ending at 100. A number is a weight step. */
  steps: readonly StepLike[];
  bakeMs: number;
  window?: WindowSpec | RolloutWindow;
  freeze?: readonly string[];
  approval: Approval;
  /** Consecutive failed gate evaluations that trigger a rollback. */
  failures: number;
  promote: boolean;
  /** Gates are configured: a tick evaluates them before every step. */
  gates?: boolean;
}

export interface Weights {
  stable: number;
  canary: number;
}

export interface RolloutState {
  tag?: string;
  /** Index into steps; -1 when no rollout is active. */
  stepIndex: number;
  weights: Weights;
  /** When the current step was entered (commit time of the bot's commit). */
  enteredAt?: Date;
  paused: boolean;
  /** Who or why, from the pause commit's `Paused` trailer, when recorded. */
  pausedBy?: string;
  held?: string[];
  /** The change for the previous step (a PR) is not merged yet. */
  pendingChange?: { url?: string; sinceStep: number };
  gateFailures: number;
  /** A `/canary promote` command was recorded after the step was entered. */
  skipBake?: boolean;
  /** The newest gate evaluation recorded (`Action: gate`) since the step was entered. */
  lastGate?: GateRecord;
}

export interface GateRecord {
  verdict: 'pass' | 'fail' | 'unknown';
  /** One line, every check with its value (the `Gate-Summary` trailer). */
  summary?: string;
  /** The reason's kind (gates.ts gateReason), when the record has a `Gate-Reason` trailer. */
  reason?: string;
  at: Date;
}

export interface TickInput {
  now: Date;
  rollout: RolloutPolicy;
  state: RolloutState;
  /** Absent when the app has no gates configured. */
  gate?: GateOutcome;
  /** Stands in for `gate` where gates are configured but not evaluated: `status` never
   *  queries Prometheus, so it decides on the last verdict the scheduler recorded at this
   *  step (state.lastGate). Its failures are already counted in state.gateFailures. */
  recorded?: GateRecord;
}

export type DecisionAction = 'wait' | 'advance' | 'promote' | 'rollback' | 'none';

export type DecisionCode =
  | 'NO_ROLLOUT'
  | 'PAUSED'
  | 'HELD'
  | 'GATES_FAILED'
  | 'GATES_FAILING'
  | 'PENDING_CHANGE'
  | 'BAKING'
  | 'FREEZE'
  | 'WINDOW_CLOSED'
  | 'GATES_UNKNOWN'
  | 'ADVANCE'
  | 'PROMOTE'
  | 'COMPLETE';

export interface Decision {
  action: DecisionAction;
  code: DecisionCode;
  reason: string;
  /** The step to take: its canary weight and, for A/B and mirror steps, what it adds. */
  nextStep?: { index: number; weight: number; extras?: TrafficExtras };
  /** Earliest time a new tick can decide differently (bake end, freeze end, window open). */
  nextCheckAfter?: Date;
  /** New consecutive gate-failure count when gates were evaluated; record it when it differs from state. */
  gateFailures?: number;
  /** How to apply an advance/promote/rollback: a PR awaiting approval, or a direct commit. */
  via?: 'pull-request' | 'commit';
}

export function decideTick(input: TickInput): Decision {
  const { now, rollout, state, gate } = input;
  const recorded = gate ? undefined : input.recorded;
  const verdict = gate?.verdict ?? recorded?.verdict;
  const gateSummary = () => (gate ? summarizeGates(gate) : recordedSummary(recorded!));
  const steps = rollout.steps;
  if (state.stepIndex < 0 || steps.length === 0) {
    return { action: 'none', code: 'NO_ROLLOUT', reason: 'no rollout in progress' };
  }
  const index = Math.min(state.stepIndex, steps.length - 1);
  const last = index === steps.length - 1;
  const here = stepLabel(index, steps);
  const tag = state.tag ? ` of ${state.tag}` : '';
  const canary = state.tag ?? 'the canary';

  // A human's pause or hold beats everything, including automatic rollback.
  if (state.paused) {
    return { action: 'wait', code: 'PAUSED', reason: `rollout${tag} paused${state.pausedBy ? ` by ${state.pausedBy}` : ''} at ${here}` };
  }
  if (state.tag && state.held?.includes(state.tag)) {
    return { action: 'wait', code: 'HELD', reason: `tag ${state.tag} is held at ${here}` };
  }

  const gateFailures = nextGateFailures(state.gateFailures, gate);
  const withGates = gateFailures === undefined ? {} : { gateFailures };

  // Failing gates are acted on before bake, freeze and window: those limit how fast a
  // canary may grow, and a rollback only ever shrinks its exposure.
  if (verdict === 'fail') {
    const threshold = Math.max(1, Math.floor(rollout.failures));
    const summary = gateSummary();
    const failures = gateFailures ?? state.gateFailures;
    if (failures >= threshold) {
      return { action: 'rollback', code: 'GATES_FAILED', reason: `${summary} (${failures}/${threshold} consecutive): rolling back ${canary} from ${here}`, via: 'commit', ...withGates };
    }
    return { action: 'wait', code: 'GATES_FAILING', reason: `${summary} (${failures}/${threshold} consecutive before rollback)`, ...withGates };
  }

  if (state.pendingChange) {
    const p = state.pendingChange;
    return {
      action: 'wait',
      code: 'PENDING_CHANGE',
      reason: `waiting for the change to ${stepLabel(p.sinceStep, steps)} to be merged${p.url ? ` (${p.url})` : ''}`,
      ...withGates,
    };
  }

  if (state.enteredAt && !state.skipBake) {
    const bakeEnd = new Date(state.enteredAt.getTime() + rollout.bakeMs);
    if (now.getTime() < bakeEnd.getTime()) {
      const left = formatDuration(Math.ceil((bakeEnd.getTime() - now.getTime()) / 1000) * 1000);
      return {
        action: 'wait',
        code: 'BAKING',
        reason: `baking at ${here}: ${left} of ${formatDuration(rollout.bakeMs)} left`,
        nextCheckAfter: bakeEnd,
        ...withGates,
      };
    }
  }

  const window = rollout.window ? asWindow(rollout.window) : undefined;
  if (rollout.freeze && rollout.freeze.length > 0) {
    const freeze = activeFreezeRange(parseFreeze(rollout.freeze, window?.timezone ?? 'UTC', { field: 'rollout.freeze' }), now);
    if (freeze) {
      return { action: 'wait', code: 'FREEZE', reason: `deploy freeze ${freeze.label} in effect, holding at ${here}`, nextCheckAfter: freeze.end, ...withGates };
    }
  }
  if (window) {
    const w = isWindowOpen(window, now);
    if (!w.open) {
      return { action: 'wait', code: 'WINDOW_CLOSED', reason: `${w.reason}, holding at ${here}`, ...(w.nextOpen ? { nextCheckAfter: w.nextOpen } : {}), ...withGates };
    }
  }

  if (verdict === 'unknown') {
    return { action: 'wait', code: 'GATES_UNKNOWN', reason: `${gateSummary()}; holding at ${here}`, ...withGates };
  }

  // Without a live evaluation the step still waits for the gates at the next tick.
  const gatesWhy = gate ? 'gates passed' : recorded ? `gates passed (recorded ${recorded.at.toISOString()})` : '';
  const why = [state.skipBake ? 'bake skipped by command' : `baked ${formatDuration(rollout.bakeMs)}`, gatesWhy].filter(Boolean).join(', ');
  const ifGates = !gate && rollout.gates ? ' if the gates pass at the next tick' : '';
  if (last) {
    if (!rollout.promote) {
      return { action: 'none', code: 'COMPLETE', reason: `rollout${tag} complete at ${here}; promote is disabled`, ...withGates };
    }
    return {
      action: 'promote',
      code: 'PROMOTE',
      reason: `${here} ${why}: promoting ${canary} to stable${ifGates}`,
      via: rollout.approval === 'per-step' ? 'pull-request' : 'commit',
      ...withGates,
    };
  }
  const next = index + 1;
  const nextStep = asStep(steps[next]);
  return {
    action: 'advance',
    code: 'ADVANCE',
    reason: `${here} ${why}: advancing to ${stepLabel(next, steps)}${ifGates}`,
    nextStep: { index: next, weight: nextStep.weight, ...(nextStep.extras ? { extras: nextStep.extras } : {}) },
    via: viaFor(rollout.approval, next),
    ...withGates,
  };
}

/** The loaded `rollout:` section (durations still as written) as decideTick wants it. */
export function rolloutPolicy(
  rollout: {
    bake?: string;
    window?: WindowSpec;
    freeze?: readonly string[];
    approval?: Approval;
    gates?: { failures?: number };
    promote?: boolean;
  },
  steps: readonly StepLike[],
): RolloutPolicy {
  const policy: RolloutPolicy = {
    steps,
    bakeMs: parseDuration(rollout.bake ?? '0s', { field: 'rollout.bake' }),
    approval: rollout.approval ?? 'per-step',
    failures: rollout.gates?.failures ?? 1,
    promote: rollout.promote ?? false,
  };
  if (rollout.gates) policy.gates = true;
  if (rollout.window) policy.window = parseWindow(rollout.window, { field: 'rollout.window' });
  if (rollout.freeze) {
    parseFreeze(rollout.freeze, policy.window?.timezone ?? 'UTC', { field: 'rollout.freeze' });
    policy.freeze = rollout.freeze;
  }
  return policy;
}

/** `step 2/4 (25%)`, `step 1/5 (A/B header user-agent ~ .*Firefox.*)`, `step 2/5 (mirror 50%)`. */
export function stepLabel(index: number, steps: readonly StepLike[]): string {
  const step = steps[index];
  return `step ${index + 1}/${steps.length}${step === undefined ? '' : ` (${stepText(step)})`}`;
}

/** `gates inconclusive (recorded 2026-…): success-rate: n/a (min 0.99) unknown — no data: …` */
function recordedSummary(r: GateRecord): string {
  const label = r.verdict === 'pass' ? 'gates passed' : r.verdict === 'fail' ? 'gates failed' : 'gates inconclusive';
  return `${label} (recorded ${r.at.toISOString()})${r.summary ? `: ${r.summary}` : ''}`;
}

function nextGateFailures(current: number, gate: GateOutcome | undefined): number | undefined {
  if (!gate) return undefined;
  if (gate.verdict === 'fail') return current + 1;
  if (gate.verdict === 'pass') return 0;
  // Unknown neither extends nor breaks a run of failures.
  return current;
}

function viaFor(approval: Approval, nextIndex: number): 'pull-request' | 'commit' {
  if (approval === 'per-step') return 'pull-request';
  if (approval === 'first-step') return nextIndex === 0 ? 'pull-request' : 'commit';
  return 'commit';
}

function asWindow(w: WindowSpec | RolloutWindow): RolloutWindow {
  return isParsedWindow(w) ? w : parseWindow(w, { field: 'rollout.window' });
}

function isParsedWindow(w: WindowSpec | RolloutWindow): w is RolloutWindow {
  return typeof (w as RolloutWindow).start === 'number' && (w as RolloutWindow).days instanceof Set;
}
