// The step model. A rollout step sets the canary weight and, for A/B and mirror steps, the
// routing the bot adds beside the weights (TrafficExtras). A/B and mirror steps have canary
// weight 0, so a step is identified by its position (`Step: i/N`), never by its weight
// alone; only weight steps (no extras) may be found from a weight.
import { describeExtras, extrasTrailer, parseExtrasTrailer } from '../manifests/extras-text.ts';
import type { AbMatch, TrafficExtras, TrafficState } from '../manifests/types.ts';

export interface RolloutStep {
  /** Canary weight in percent while the step is in effect. */
  weight: number;
  /** The A/B route and mirror of the step; absent for a plain weight step. */
  extras?: TrafficExtras;
}

/** A step as the config writes it: a weight, `{ match: … }` or `{ mirror: P }`. */
export type StepConfig = number | { match: AbMatch } | { mirror: number };

/** Callers that only know weights may still pass numbers. */
export type StepLike = number | RolloutStep;

export type StepKind = 'weight' | 'ab' | 'mirror';

export function toRolloutStep(s: StepConfig): RolloutStep {
  if (typeof s === 'number') return { weight: s };
  if ('match' in s) return { weight: 0, extras: { ab: s.match } };
  return { weight: 0, extras: { mirror: s.mirror } };
}

export function asStep(s: StepLike): RolloutStep {
  return typeof s === 'number' ? { weight: s } : s;
}

export function hasExtras(e: TrafficExtras | undefined): e is TrafficExtras {
  return e !== undefined && (e.ab !== undefined || e.mirror !== undefined);
}

export function stepKind(s: StepLike): StepKind {
  const { extras } = asStep(s);
  if (extras?.ab !== undefined) return 'ab';
  if (extras?.mirror !== undefined) return 'mirror';
  return 'weight';
}

/** `10%`, `A/B header user-agent ~ .*Firefox.*`, `mirror 50%`. */
export function stepText(s: StepLike): string {
  const step = asStep(s);
  return hasExtras(step.extras) ? describeExtras(step.extras) : `${step.weight}%`;
}

/** The `Step` trailer: `2/5`. */
export function stepNumber(index: number, steps: readonly StepLike[]): string {
  return `${index + 1}/${steps.length}`;
}

/** Index of the weight step (a step without extras) with this canary weight, or -1. */
export function weightStepIndex(steps: readonly StepLike[], canary: number): number {
  return steps.findIndex((s) => {
    const step = asStep(s);
    return !hasExtras(step.extras) && step.weight === canary;
  });
}

/** The weight steps with their positions, for finding where a weight lies. */
export function weightSteps(steps: readonly StepLike[]): Array<{ index: number; weight: number }> {
  const out: Array<{ index: number; weight: number }> = [];
  steps.forEach((s, index) => {
    const step = asStep(s);
    if (!hasExtras(step.extras)) out.push({ index, weight: step.weight });
  });
  return out;
}

/** What a route holds besides its weights, as the editor read it. */
export function extrasOf(state: Pick<TrafficState, 'ab' | 'mirror'>): TrafficExtras | undefined {
  const e: TrafficExtras = {};
  if (state.ab !== undefined) e.ab = state.ab;
  if (state.mirror !== undefined) e.mirror = state.mirror;
  return hasExtras(e) ? e : undefined;
}

/** The `Traffic` trailer value for extras (`ab header user-agent~.*Firefox.*`, `mirror=50`). */
export function trafficTrailer(extras: TrafficExtras | undefined): string | undefined {
  return hasExtras(extras) ? extrasTrailer(extras) : undefined;
}

/** A `Traffic` trailer read back, or undefined when it cannot be read. */
export function extrasFromTrailer(value: string | undefined): TrafficExtras | undefined {
  if (!value) return undefined;
  try {
    const e = parseExtrasTrailer(value) as TrafficExtras | undefined | null;
    return hasExtras(e ?? undefined) ? (e as TrafficExtras) : undefined;
  } catch {
    return undefined;
  }
}

/** Human text for a `Traffic` trailer; the trailer itself when it cannot be read. */
export function describeTrafficTrailer(value: string): string {
  const e = extrasFromTrailer(value);
  return e ? describeExtras(e) : value;
}
