import { describe, expect, it } from 'vitest';
import { manualClock, systemClock } from '../../src/rollout/clock.ts';

describe('clocks', () => {
  it('manualClock starts where told and moves only when told', () => {
    const c = manualClock('2026-03-03T10:00:00Z');
    expect(c.now().toISOString()).toBe('2026-03-03T10:00:00.000Z');
    expect(c.now().toISOString()).toBe('2026-03-03T10:00:00.000Z');
    expect(c.advance(90_000).toISOString()).toBe('2026-03-03T10:01:30.000Z');
    expect(c.set(new Date('2027-01-01T00:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(c.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('manualClock hands out copies, so callers cannot move it', () => {
    const c = manualClock(0);
    c.now().setTime(123);
    expect(c.now().getTime()).toBe(0);
  });

  it('manualClock rejects an invalid start', () => {
    expect(() => manualClock('yesterday')).toThrow(/invalid start time/);
  });

  it('systemClock returns the current time', () => {
    const before = Date.now();
    const t = systemClock.now().getTime();
    expect(t).toBeGreaterThanOrEqual(before);
  });
});
