import { describe, expect, it } from 'vitest';
import { decideTick, rolloutPolicy, type RolloutPolicy, type RolloutState, type TickInput } from '../../src/rollout/decide.ts';
import type { GateOutcome } from '../../src/rollout/gates.ts';
import { ConfigError } from '../../src/errors.ts';

const MIN = 60_000;
const entered = new Date('2026-03-03T10:00:00Z'); // a Tuesday

const policy: RolloutPolicy = { steps: [10, 25, 60, 100], bakeMs: 15 * MIN, approval: 'none', failures: 2, promote: true };

const state = (over: Partial<RolloutState> = {}): RolloutState => ({
  tag: 'v1.2.3',
  stepIndex: 1,
  weights: { stable: 75, canary: 25 },
  enteredAt: entered,
  paused: false,
  gateFailures: 0,
  ...over,
});

const pass: GateOutcome = { verdict: 'pass', results: [{ name: 'success-rate', query: 'q', value: 0.999, min: 0.99, ok: true }] };
const fail: GateOutcome = { verdict: 'fail', results: [{ name: 'success-rate', query: 'q', value: 0.9, min: 0.99, ok: false, reason: '0.9 is below min 0.99' }] };
const unknown: GateOutcome = {
  verdict: 'unknown',
  results: [{ name: 'success-rate', query: 'q', value: null, min: 0.99, ok: null, reason: 'Prometheus unreachable: ECONNREFUSED' }],
};

const after = (ms: number) => new Date(entered.getTime() + ms);
const tick = (over: Partial<TickInput> = {}) => decideTick({ now: after(20 * MIN), rollout: policy, state: state(), ...over });

describe('decideTick', () => {
  it('does nothing without an active rollout', () => {
    expect(tick({ state: state({ stepIndex: -1, tag: undefined }) })).toEqual({ action: 'none', code: 'NO_ROLLOUT', reason: 'no rollout in progress' });
  });

  it('waits while paused, naming who paused, even when gates fail', () => {
    const d = tick({ state: state({ paused: true, pausedBy: '@alice', gateFailures: 5 }), gate: fail });
    expect(d).toEqual({ action: 'wait', code: 'PAUSED', reason: 'rollout of v1.2.3 paused by @alice at step 2/4 (25%)' });
  });

  it('waits while the tag is held', () => {
    const d = tick({ state: state({ held: ['v1.2.3'] }) });
    expect(d).toMatchObject({ action: 'wait', code: 'HELD', reason: 'tag v1.2.3 is held at step 2/4 (25%)' });
    expect(tick({ state: state({ held: ['v1.2.2'] }) }).action).toBe('advance');
  });

  it('waits for the previous step change to be merged', () => {
    const d = tick({ state: state({ pendingChange: { url: 'https://github.com/acme/config/pull/7', sinceStep: 1 } }) });
    expect(d).toMatchObject({ action: 'wait', code: 'PENDING_CHANGE', reason: 'waiting for the change to step 2/4 (25%) to be merged (https://github.com/acme/config/pull/7)' });
  });

  it('waits out the bake time, saying how long is left and when to look again', () => {
    const d = tick({ now: after(7 * MIN + 48_000) });
    expect(d).toEqual({
      action: 'wait',
      code: 'BAKING',
      reason: 'baking at step 2/4 (25%): 7m12s of 15m left',
      nextCheckAfter: after(15 * MIN),
    });
    expect(tick({ now: after(15 * MIN - 1) }).action).toBe('wait');
    expect(tick({ now: after(15 * MIN) }).action).toBe('advance');
  });

  it('skips the bake after a promote command, but not the window', () => {
    expect(tick({ now: after(MIN), state: state({ skipBake: true }) })).toMatchObject({ action: 'advance', reason: expect.stringContaining('bake skipped by command') });
    const windowed = { ...policy, window: { days: 'mon-fri', hours: '09:00-17:00', timezone: 'Europe/Berlin' } };
    const night = new Date('2026-03-03T20:00:00Z');
    expect(decideTick({ now: night, rollout: windowed, state: state({ skipBake: true }) }).code).toBe('WINDOW_CLOSED');
  });

  it('treats an unknown step entry time as baked', () => {
    expect(tick({ now: after(0), state: state({ enteredAt: undefined }) }).action).toBe('advance');
  });

  it('waits during a freeze, naming it and when it ends', () => {
    const frozen = { ...policy, freeze: ['2026-03-01/2026-03-05'] };
    const d = tick({ rollout: frozen });
    expect(d).toEqual({
      action: 'wait',
      code: 'FREEZE',
      reason: 'deploy freeze 2026-03-01/2026-03-05 in effect, holding at step 2/4 (25%)',
      nextCheckAfter: new Date('2026-03-06T00:00:00Z'),
    });
  });

  it('reads freeze dates in the window timezone', () => {
    const frozen = { ...policy, freeze: ['2026-03-04'], window: { timezone: 'Europe/Berlin' } };
    expect(decideTick({ now: new Date('2026-03-03T23:30:00Z'), rollout: frozen, state: state() }).code).toBe('FREEZE');
    expect(decideTick({ now: new Date('2026-03-03T22:30:00Z'), rollout: frozen, state: state() }).code).toBe('ADVANCE');
  });

  it('waits outside the window with the next opening', () => {
    const windowed = { ...policy, window: { days: 'mon-fri', hours: '09:00-17:00', timezone: 'Europe/Berlin' } };
    const d = decideTick({ now: new Date('2026-03-03T17:00:00Z'), rollout: windowed, state: state() });
    expect(d).toEqual({
      action: 'wait',
      code: 'WINDOW_CLOSED',
      reason: 'outside rollout window mon-fri 09:00-17:00 Europe/Berlin (now tue 18:00 Europe/Berlin), holding at step 2/4 (25%)',
      nextCheckAfter: new Date('2026-03-04T08:00:00Z'),
    });
    expect(decideTick({ now: new Date('2026-03-03T15:00:00Z'), rollout: windowed, state: state() }).action).toBe('advance');
  });

  it('counts a failing gate and waits until the threshold', () => {
    const d = tick({ gate: fail });
    expect(d).toMatchObject({ action: 'wait', code: 'GATES_FAILING', gateFailures: 1 });
    expect(d.reason).toBe('gates failed: success-rate: 0.9 (min 0.99) FAIL — 0.9 is below min 0.99 (1/2 consecutive before rollback)');
  });

  it('rolls back when consecutive failures reach the threshold, even mid-bake, in a freeze or outside the window', () => {
    const strict = { ...policy, freeze: ['2026-03-01/2026-03-05'], window: { days: 'sat' } };
    const d = decideTick({ now: after(MIN), rollout: strict, state: state({ gateFailures: 1 }), gate: fail });
    expect(d).toMatchObject({ action: 'rollback', code: 'GATES_FAILED', gateFailures: 2, via: 'commit' });
    expect(d.reason).toContain('(2/2 consecutive): rolling back v1.2.3 from step 2/4 (25%)');
  });

  it('rolls back on the first failure when failures is 1', () => {
    expect(tick({ rollout: { ...policy, failures: 1 }, gate: fail }).action).toBe('rollback');
  });

  it('waits when gates are inconclusive, keeping the failure count', () => {
    const d = tick({ state: state({ gateFailures: 1 }), gate: unknown });
    expect(d).toMatchObject({ action: 'wait', code: 'GATES_UNKNOWN', gateFailures: 1 });
    expect(d.reason).toMatch(/^gates inconclusive: success-rate: n\/a \(min 0.99\) unknown — Prometheus unreachable: ECONNREFUSED; holding at step 2\/4/);
  });

  it('resets the failure count when gates pass, also while baking', () => {
    expect(tick({ now: after(MIN), state: state({ gateFailures: 1 }), gate: pass })).toMatchObject({ action: 'wait', code: 'BAKING', gateFailures: 0 });
  });

  it('advances to the next step when baked and gates pass (or there are none)', () => {
    expect(tick({ gate: pass })).toEqual({
      action: 'advance',
      code: 'ADVANCE',
      reason: 'step 2/4 (25%) baked 15m, gates passed: advancing to step 3/4 (60%)',
      nextStep: { index: 2, weight: 60 },
      via: 'commit',
      gateFailures: 0,
    });
    expect(tick()).toMatchObject({ action: 'advance', nextStep: { index: 2, weight: 60 } });
    expect(tick().gateFailures).toBeUndefined();
  });

  it('asks for a pull request per step with approval per-step, commits otherwise', () => {
    expect(tick({ rollout: { ...policy, approval: 'per-step' } }).via).toBe('pull-request');
    expect(tick({ rollout: { ...policy, approval: 'first-step' } }).via).toBe('commit');
    expect(tick({ rollout: { ...policy, approval: 'per-step' }, gate: fail, state: state({ gateFailures: 1 }) }).via).toBe('commit');
  });

  it('promotes at the last step when promote is on', () => {
    const d = tick({ state: state({ stepIndex: 3, weights: { stable: 0, canary: 100 } }), gate: pass });
    expect(d).toMatchObject({ action: 'promote', code: 'PROMOTE', reason: 'step 4/4 (100%) baked 15m, gates passed: promoting v1.2.3 to stable', via: 'commit' });
    expect(d.nextStep).toBeUndefined();
    expect(tick({ rollout: { ...policy, approval: 'per-step' }, state: state({ stepIndex: 3 }) }).via).toBe('pull-request');
  });

  it('is complete at the last step without promote', () => {
    const d = tick({ rollout: { ...policy, promote: false }, state: state({ stepIndex: 3 }) });
    expect(d).toEqual({ action: 'none', code: 'COMPLETE', reason: 'rollout of v1.2.3 complete at step 4/4 (100%); promote is disabled' });
  });

  it('treats a step index beyond the configured steps as the last step', () => {
    expect(tick({ state: state({ stepIndex: 9 }) }).action).toBe('promote');
  });

  it('is deterministic: the same input gives the same decision', () => {
    const input: TickInput = {
      now: new Date('2026-03-03T17:00:00Z'),
      rollout: { ...policy, window: { days: 'mon-fri', hours: '09:00-17:00', timezone: 'Europe/Berlin' }, freeze: ['2026-12-24'] },
      state: state({ gateFailures: 1 }),
      gate: unknown,
    };
    const first = decideTick(input);
    for (let i = 0; i < 5; i++) expect(decideTick(input)).toEqual(first);
    expect(input.state.gateFailures).toBe(1);
  });
});

describe('rolloutPolicy', () => {
  it('converts the loaded rollout section', () => {
    const p = rolloutPolicy(
      { bake: '15m', window: { days: 'mon-fri', hours: '09:00-17:00', timezone: 'Europe/Berlin' }, freeze: ['2026-12-20/2027-01-04'], approval: 'first-step', gates: { failures: 2 }, promote: true },
      [10, 50, 100],
    );
    expect(p).toMatchObject({ steps: [10, 50, 100], bakeMs: 15 * MIN, approval: 'first-step', failures: 2, promote: true, freeze: ['2026-12-20/2027-01-04'] });
    expect(p.window).toMatchObject({ timezone: 'Europe/Berlin', start: 540, end: 1020 });
    expect(rolloutPolicy({}, [100])).toEqual({ steps: [100], bakeMs: 0, approval: 'per-step', failures: 1, promote: false });
  });

  it('rejects bad window and freeze entries with the field', () => {
    expect(() => rolloutPolicy({ window: { hours: 'later' } }, [100])).toThrow(ConfigError);
    expect(() => rolloutPolicy({ window: { hours: 'later' } }, [100])).toThrow(/rollout\.window\.hours/);
    expect(() => rolloutPolicy({ freeze: ['xmas'] }, [100])).toThrow(/rollout\.freeze\[0\]/);
  });
});
