import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/rollout/clock.ts';
import { decideTick, type RolloutPolicy } from '../../src/rollout/decide.ts';
import { formatStatus, rolloutStateFromHistory, SKIP_BAKE_ACTION, type HistoryCommit } from '../../src/rollout/state.ts';

const steps = [10, 25, 60, 100];
const MIN = 60_000;
let n = 0;
const commit = (iso: string, trailers: Record<string, string>): HistoryCommit => ({
  sha: (++n).toString(16).padStart(40, '0'),
  trailers: { 'Gitops-Canary-App': 'podinfo', ...trailers },
  committerDate: new Date(iso),
});

// Oldest first here for readability; the function takes newest first.
const log = (...commits: HistoryCommit[]) => [...commits].reverse();

const release = commit('2026-03-03T09:00:00Z', { 'Gitops-Canary-Action': 'release', 'Gitops-Canary-Tag': 'v1.2.3', 'Gitops-Canary-Step': '1/4', 'Gitops-Canary-Weights': 'stable=90,canary=10' });
const step2 = commit('2026-03-03T09:20:00Z', { 'Gitops-Canary-Action': 'set-weight', 'Gitops-Canary-Step': '2/4', 'Gitops-Canary-Weights': 'stable=75,canary=25' });
const w25 = { stable: 75, canary: 25 };

describe('rolloutStateFromHistory', () => {
  it('has no rollout without history and without canary weight', () => {
    expect(rolloutStateFromHistory([], { stable: 100, canary: 0 }, steps)).toEqual({ stepIndex: -1, weights: { stable: 100, canary: 0 }, paused: false, gateFailures: 0 });
  });

  it('takes step, tag and entry time from the newest step commit', () => {
    const s = rolloutStateFromHistory(log(release, step2), w25, steps);
    expect(s).toEqual({ tag: 'v1.2.3', stepIndex: 1, weights: w25, enteredAt: new Date('2026-03-03T09:20:00Z'), paused: false, gateFailures: 0 });
  });

  it('accepts trailer keys without prefix and in any case', () => {
    const c = commit('2026-03-03T09:00:00Z', { action: 'release', TAG: 'v2', step: '3/4' });
    expect(rolloutStateFromHistory([c], { stable: 40, canary: 60 }, steps)).toMatchObject({ tag: 'v2', stepIndex: 2 });
  });

  it('falls back to the weights when the Step trailer is missing', () => {
    const c = commit('2026-03-03T09:00:00Z', { 'Gitops-Canary-Action': 'set-weight', 'Gitops-Canary-Tag': 'v1.2.3' });
    expect(rolloutStateFromHistory([c], { stable: 40, canary: 60 }, steps).stepIndex).toBe(2);
    expect(rolloutStateFromHistory([c], { stable: 70, canary: 30 }, steps).stepIndex).toBe(1);
  });

  it('follows hand-edited weights without bot history, with no bake clock', () => {
    const s = rolloutStateFromHistory([], { stable: 75, canary: 25 }, steps);
    expect(s.stepIndex).toBe(1);
    expect(s.enteredAt).toBeUndefined();
    expect(rolloutStateFromHistory([], { stable: 95, canary: 5 }, steps)).toMatchObject({ stepIndex: 0 });
  });

  it('ends the rollout on promote, rollback and abort', () => {
    for (const action of ['promote', 'rollback', 'abort']) {
      const end = commit('2026-03-03T10:00:00Z', { 'Gitops-Canary-Action': action, 'Gitops-Canary-Tag': 'v1.2.3' });
      expect(rolloutStateFromHistory(log(release, step2, end), { stable: 100, canary: 0 }, steps).stepIndex).toBe(-1);
    }
  });

  it('starts again with a new release after a rollback', () => {
    const rb = commit('2026-03-03T10:00:00Z', { 'Gitops-Canary-Action': 'rollback', 'Gitops-Canary-Tag': 'v1.2.3', 'Gitops-Canary-Hold': 'v1.2.3' });
    const next = commit('2026-03-04T10:00:00Z', { 'Gitops-Canary-Action': 'release', 'Gitops-Canary-Tag': 'v1.2.4', 'Gitops-Canary-Step': '1/4' });
    const s = rolloutStateFromHistory(log(release, step2, rb, next), { stable: 90, canary: 10 }, steps);
    expect(s).toMatchObject({ tag: 'v1.2.4', stepIndex: 0, held: ['v1.2.3'], enteredAt: new Date('2026-03-04T10:00:00Z') });
  });

  it('reads pause and resume, newest wins, with who paused', () => {
    const pause = commit('2026-03-03T09:30:00Z', { 'Gitops-Canary-Action': 'pause', 'Gitops-Canary-Paused': '@alice' });
    const resume = commit('2026-03-03T09:40:00Z', { 'Gitops-Canary-Action': 'resume', 'Gitops-Canary-Paused': 'false' });
    expect(rolloutStateFromHistory(log(release, step2, pause), w25, steps)).toMatchObject({ paused: true, pausedBy: '@alice' });
    expect(rolloutStateFromHistory(log(release, step2, pause, resume), w25, steps)).toMatchObject({ paused: false });
    const bare = commit('2026-03-03T09:30:00Z', { 'Gitops-Canary-Action': 'pause' });
    expect(rolloutStateFromHistory(log(release, step2, bare), w25, steps)).toMatchObject({ paused: true });
    expect(rolloutStateFromHistory(log(release, step2, bare), w25, steps).pausedBy).toBeUndefined();
  });

  it('collects held tags; a later "-tag" or a release of the tag lifts the hold', () => {
    const hold = commit('2026-03-03T09:30:00Z', { 'Gitops-Canary-Action': 'pause', 'Gitops-Canary-Hold': 'v1.2.3, v1.2.2' });
    expect(rolloutStateFromHistory(log(release, step2, hold), w25, steps).held).toEqual(['v1.2.3', 'v1.2.2']);
    const unhold = commit('2026-03-03T09:40:00Z', { 'Gitops-Canary-Action': 'resume', 'Gitops-Canary-Hold': '-v1.2.3' });
    expect(rolloutStateFromHistory(log(release, step2, hold, unhold), w25, steps).held).toEqual(['v1.2.2']);
    const rerelease = commit('2026-03-03T09:50:00Z', { 'Gitops-Canary-Action': 'release', 'Gitops-Canary-Tag': 'v1.2.2', 'Gitops-Canary-Step': '1/4' });
    expect(rolloutStateFromHistory(log(release, step2, hold, rerelease), w25, steps).held).toEqual(['v1.2.3']);
  });

  it('takes gate failures only from records after the step was entered', () => {
    const g1 = commit('2026-03-03T09:10:00Z', { 'Gitops-Canary-Action': 'gate', 'Gitops-Canary-Gate-Failures': '1' });
    expect(rolloutStateFromHistory(log(release, g1, step2), w25, steps).gateFailures).toBe(0);
    const g2 = commit('2026-03-03T09:25:00Z', { 'Gitops-Canary-Action': 'gate', 'Gitops-Canary-Gate-Failures': '1' });
    const g3 = commit('2026-03-03T09:30:00Z', { 'Gitops-Canary-Action': 'gate', 'Gitops-Canary-Gate-Failures': '2' });
    expect(rolloutStateFromHistory(log(release, step2, g2, g3), w25, steps).gateFailures).toBe(2);
    const reset = commit('2026-03-03T09:35:00Z', { 'Gitops-Canary-Action': 'gate', 'Gitops-Canary-Gate-Failures': '0' });
    expect(rolloutStateFromHistory(log(release, step2, g2, g3, reset), w25, steps).gateFailures).toBe(0);
  });

  it(`sets skipBake from a ${SKIP_BAKE_ACTION} record newer than the step entry only`, () => {
    const skip = commit('2026-03-03T09:25:00Z', { 'Gitops-Canary-Action': SKIP_BAKE_ACTION, 'Gitops-Canary-Approved-By': 'alice' });
    expect(rolloutStateFromHistory(log(release, step2, skip), w25, steps).skipBake).toBe(true);
    const early = commit('2026-03-03T09:05:00Z', { 'Gitops-Canary-Action': SKIP_BAKE_ACTION });
    expect(rolloutStateFromHistory(log(release, early, step2), w25, steps).skipBake).toBeUndefined();
  });

  it('ignores other apps when asked', () => {
    const other = { ...commit('2026-03-03T09:30:00Z', { 'Gitops-Canary-Action': 'set-weight', 'Gitops-Canary-Step': '4/4' }), trailers: { 'Gitops-Canary-App': 'other', 'Gitops-Canary-Action': 'set-weight', 'Gitops-Canary-Step': '4/4' } };
    expect(rolloutStateFromHistory(log(release, step2, other), w25, steps, { app: 'podinfo' }).stepIndex).toBe(1);
  });

  it('clamps a Step trailer beyond the configured steps', () => {
    const c = commit('2026-03-03T09:00:00Z', { 'Gitops-Canary-Action': 'set-weight', 'Gitops-Canary-Step': '6/6' });
    expect(rolloutStateFromHistory([c], { stable: 0, canary: 100 }, steps).stepIndex).toBe(3);
  });

  it('continues after a restart mid-bake: the same history with a later clock', () => {
    const rollout: RolloutPolicy = { steps, bakeMs: 15 * MIN, approval: 'none', failures: 2, promote: true };
    const history = log(release, step2);
    const clock = manualClock('2026-03-03T09:25:00Z');

    const before = decideTick({ now: clock.now(), rollout, state: rolloutStateFromHistory(history, w25, steps) });
    expect(before).toMatchObject({ action: 'wait', code: 'BAKING', reason: 'baking at step 2/4 (25%): 10m of 15m left' });

    // The process restarts; nothing but git survives. Rebuild the state from the same history.
    clock.advance(7 * MIN);
    const mid = decideTick({ now: clock.now(), rollout, state: rolloutStateFromHistory(history, w25, steps) });
    expect(mid).toMatchObject({ action: 'wait', reason: 'baking at step 2/4 (25%): 3m of 15m left', nextCheckAfter: new Date('2026-03-03T09:35:00Z') });

    clock.set(mid.nextCheckAfter!);
    const done = decideTick({ now: clock.now(), rollout, state: rolloutStateFromHistory(history, w25, steps) });
    expect(done).toMatchObject({ action: 'advance', nextStep: { index: 2, weight: 60 } });
  });
});

describe('formatStatus', () => {
  it('shows tag, step, weights, time at step, gates, next step time', () => {
    const s = { ...rolloutStateFromHistory(log(release, step2), w25, steps), gateFailures: 1, held: ['v1.2.2'] };
    const now = new Date('2026-03-03T09:27:00Z');
    const rollout: RolloutPolicy = { steps, bakeMs: 15 * MIN, approval: 'none', failures: 2, promote: true };
    const gate = { verdict: 'pass' as const, results: [{ name: 'success-rate', query: 'q', value: 0.999, min: 0.99, ok: true }] };
    const d = decideTick({ now, rollout, state: s, gate });
    expect(formatStatus(s, d, { now, steps, gate, app: 'podinfo' })).toEqual([
      'podinfo: canary v1.2.3',
      '  step 2/4 (25%), weights stable=75 canary=25',
      '  at this step for 7m (since 2026-03-03T09:20:00.000Z)',
      '  consecutive gate failures: 1',
      '  held tags: v1.2.2',
      '  gates: pass',
      '    success-rate: 0.999 (min 0.99) ok',
      '  next: wait — baking at step 2/4 (25%): 8m of 15m left',
      '  next step possible at 2026-03-03T09:35:00.000Z (in 8m)',
    ]);
  });

  it('says when the canary weight is off the configured steps', () => {
    const s = { ...rolloutStateFromHistory(log(release, step2), { stable: 70, canary: 30 }, steps) };
    const d = decideTick({ now: new Date('2026-03-03T09:27:00Z'), rollout: { steps, bakeMs: 15 * MIN, approval: 'none', failures: 2, promote: true }, state: s });
    const lines = formatStatus(s, d, { steps });
    expect(lines.slice(1, 3)).toEqual(['  step 2/4 (25%), weights stable=70 canary=30', `  canary weight 30% is off the configured steps (${steps.join(', ')})`]);
    expect(formatStatus({ ...s, weights: w25 }, d, { steps }).join('\n')).not.toContain('off the configured steps');
  });

  it('shows no rollout and pause', () => {
    const s = { stepIndex: -1, weights: { stable: 100, canary: 0 }, paused: true, pausedBy: '@bob', gateFailures: 0 };
    expect(formatStatus(s, { action: 'none', code: 'NO_ROLLOUT', reason: 'no rollout in progress' })).toEqual([
      'no rollout in progress (weights stable=100 canary=0)',
      '  paused by @bob',
      '  next: none — no rollout in progress',
    ]);
  });
});
