// Rollout logic never reads the wall clock itself: every decision takes `now` from a Clock so
// tests (and replicas replaying history) get the same answer for the same input.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ManualClock extends Clock {
  advance(ms: number): Date;
  set(at: Date): Date;
}

export function manualClock(start: Date | string | number): ManualClock {
  let t = new Date(start).getTime();
  if (Number.isNaN(t)) throw new RangeError(`manualClock: invalid start time ${String(start)}`);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
      return new Date(t);
    },
    set(at: Date) {
      t = at.getTime();
      return new Date(t);
    },
  };
}
