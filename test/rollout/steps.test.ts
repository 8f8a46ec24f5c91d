// The step model: labels and trailers for each kind of step, state read back from trailers
// when A/B and mirror steps (canary weight 0) are in the list, and the scheduler's next step.
import { describe, expect, it } from 'vitest';
import { abMatchProblem, parseAbCommand, parseAbWords, regexProblem } from '../../src/rollout/ab-match.ts';
import { decideTick, stepLabel, type RolloutPolicy } from '../../src/rollout/decide.ts';
import { formatStatus, rolloutStateFromHistory, type HistoryCommit } from '../../src/rollout/state.ts';
import {
  describeTrafficTrailer, extrasFromTrailer, extrasOf, stepKind, stepText, toRolloutStep, trafficTrailer, weightStepIndex, type RolloutStep,
} from '../../src/rollout/steps.ts';

const FIREFOX = { headers: { 'user-agent': { regex: '.*Firefox.*' } } };
const steps: RolloutStep[] = [{ match: FIREFOX }, { mirror: 50 }, 10, 60, 100].map(toRolloutStep);
const MIN = 60_000;

let n = 0;
const commit = (iso: string, trailers: Record<string, string>): HistoryCommit => ({
  sha: (++n).toString(16).padStart(40, '0'),
  trailers: { App: 'podinfo', ...trailers },
  committerDate: new Date(iso),
});
const newestFirst = (...commits: HistoryCommit[]) => [...commits].reverse();
const none = { stable: 100, canary: 0 };

describe('step labels and texts', () => {
  it('names each kind of step', () => {
    expect(stepLabel(0, steps)).toBe('step 1/5 (A/B header user-agent ~ .*Firefox.*)');
    expect(stepLabel(1, steps)).toBe('step 2/5 (mirror 50%)');
    expect(stepLabel(2, steps)).toBe('step 3/5 (10%)');
    expect(stepLabel(4, [10, 60, 100])).toBe('step 5/3');
    expect(steps.map(stepKind)).toEqual(['ab', 'mirror', 'weight', 'weight', 'weight']);
    expect(stepText({ weight: 0, extras: { ab: { queryParams: { v: { exact: '2' } }, cookies: { user: { prefix: 'al' } } } } })).toBe('A/B query v = 2 and cookie user ^= al');
  });

  it('finds a step by its weight only among weight steps', () => {
    expect(weightStepIndex(steps, 0)).toBe(-1);
    expect(weightStepIndex(steps, 60)).toBe(3);
    expect(weightStepIndex([10, 60, 100], 60)).toBe(1);
  });

  it('writes a Traffic trailer that reads back', () => {
    const ab = trafficTrailer(steps[0].extras);
    expect(ab).toMatch(/^ab: header user-agent~\.\*Firefox\.\*$/);
    expect(extrasFromTrailer(ab)).toEqual({ ab: FIREFOX });
    expect(trafficTrailer({ mirror: 50 })).toBe('mirror=50');
    expect(describeTrafficTrailer('mirror=50')).toBe('mirror 50%');
    const spaced = { ab: { headers: { 'user-agent': { regex: '.*Mozilla/5.0 \\(X11.*' } } } };
    expect(extrasFromTrailer(trafficTrailer(spaced))).toEqual(spaced);
    expect(trafficTrailer(undefined)).toBeUndefined();
    expect(trafficTrailer({})).toBeUndefined();
    // an unreadable trailer is shown as written, never an error
    expect(extrasFromTrailer('nonsense')).toBeUndefined();
    expect(describeTrafficTrailer('nonsense')).toBe('nonsense');
  });

  it('reads a route state into extras, nothing when it has neither', () => {
    expect(extrasOf({ ab: FIREFOX })).toEqual({ ab: FIREFOX });
    expect(extrasOf({ mirror: 10 })).toEqual({ mirror: 10 });
    expect(extrasOf({})).toBeUndefined();
  });
});

describe('rollout state with A/B and mirror steps', () => {
  const release = commit('2026-03-03T09:00:00Z', { Action: 'release', Tag: '0.2.5', Step: '1/5', Weights: 'stable=100,canary=0', Traffic: 'ab: header user-agent~.*Firefox.*' });
  const mirror = commit('2026-03-03T10:00:00Z', { Action: 'set-weight', Tag: '0.2.5', Step: '2/5', Weights: 'stable=100,canary=0', Traffic: 'mirror=50' });

  it('takes the step from the Step trailer, though the canary weight is 0', () => {
    expect(rolloutStateFromHistory(newestFirst(release), none, steps)).toMatchObject({ tag: '0.2.5', stepIndex: 0, enteredAt: new Date('2026-03-03T09:00:00Z') });
    expect(rolloutStateFromHistory(newestFirst(release, mirror), none, steps)).toMatchObject({ tag: '0.2.5', stepIndex: 1, enteredAt: new Date('2026-03-03T10:00:00Z') });
  });

  it('never reads an A/B or mirror step from a weight of 0', () => {
    expect(rolloutStateFromHistory([], none, steps).stepIndex).toBe(-1);
    // a weight set by hand to 0, without a Step trailer: no rollout, not step 1
    const manual = commit('2026-03-03T11:00:00Z', { Action: 'set-weight', Weights: 'stable=100,canary=0' });
    expect(rolloutStateFromHistory(newestFirst(release, mirror, manual), none, steps).stepIndex).toBe(-1);
  });

  it('reads hand-edited weights against the weight steps only', () => {
    expect(rolloutStateFromHistory([], { stable: 95, canary: 5 }, steps).stepIndex).toBe(2);
    expect(rolloutStateFromHistory([], { stable: 70, canary: 30 }, steps).stepIndex).toBe(2);
    expect(rolloutStateFromHistory([], { stable: 40, canary: 60 }, steps).stepIndex).toBe(3);
  });

  it('keeps the step and its bake when an A/B match is set by hand', () => {
    const ab = commit('2026-03-03T10:30:00Z', { Action: 'ab', Traffic: 'ab: header x-beta=yes; mirror=50' });
    expect(rolloutStateFromHistory(newestFirst(release, mirror, ab), none, steps)).toMatchObject({ stepIndex: 1, enteredAt: new Date('2026-03-03T10:00:00Z') });
  });

  it('shows the step in status, with the weights it has', () => {
    const state = rolloutStateFromHistory(newestFirst(release), none, steps);
    const rollout: RolloutPolicy = { steps, bakeMs: 60 * MIN, approval: 'none', failures: 1, promote: true };
    const lines = formatStatus(state, decideTick({ now: new Date('2026-03-03T09:30:00Z'), rollout, state }), { steps });
    expect(lines[1]).toBe('  step 1/5 (A/B header user-agent ~ .*Firefox.*), weights stable=100 canary=0');
    expect(lines.join('\n')).not.toMatch(/off the configured steps/);
    const off = formatStatus({ ...state, weights: { stable: 80, canary: 20 } }, decideTick({ now: new Date('2026-03-03T09:30:00Z'), rollout, state }), { steps });
    expect(off).toContain('  canary weight 20% is off the configured steps (A/B header user-agent ~ .*Firefox.*, mirror 50%, 10, 60, 100)');
  });
});

describe('the scheduler through mixed steps', () => {
  const rollout: RolloutPolicy = { steps, bakeMs: 60 * MIN, approval: 'none', failures: 1, promote: true };
  const at = (stepIndex: number, canary = 0) => ({ tag: '0.2.5', stepIndex, weights: { stable: 100 - canary, canary }, enteredAt: new Date('2026-03-03T09:00:00Z'), paused: false, gateFailures: 0 });
  const later = new Date('2026-03-03T10:00:00Z');

  it('bakes at an A/B step like at a weight step', () => {
    expect(decideTick({ now: new Date('2026-03-03T09:30:00Z'), rollout, state: at(0) })).toMatchObject({
      action: 'wait',
      code: 'BAKING',
      reason: 'baking at step 1/5 (A/B header user-agent ~ .*Firefox.*): 30m of 1h left',
    });
  });

  it('advances with the next step\'s extras, and none for a weight step', () => {
    const toMirror = decideTick({ now: later, rollout, state: at(0) });
    expect(toMirror).toMatchObject({ action: 'advance', nextStep: { index: 1, weight: 0, extras: { mirror: 50 } } });
    expect(toMirror.reason).toBe('step 1/5 (A/B header user-agent ~ .*Firefox.*) baked 1h: advancing to step 2/5 (mirror 50%)');
    const toWeight = decideTick({ now: later, rollout, state: at(1) });
    expect(toWeight.nextStep).toEqual({ index: 2, weight: 10 });
    expect(decideTick({ now: later, rollout, state: at(4, 100) })).toMatchObject({ action: 'promote' });
  });
});

describe('A/B matches typed by hand', () => {
  it('reads one condition, several joined by &, and off', () => {
    expect(parseAbCommand('header user-agent ~ .*Firefox.*')).toEqual({ ok: true, match: FIREFOX });
    expect(parseAbCommand('query v ^= beta & cookie user = alice')).toEqual({ ok: true, match: { queryParams: { v: { prefix: 'beta' } }, cookies: { user: { exact: 'alice' } } } });
    expect(parseAbCommand('OFF')).toEqual({ ok: true, match: null });
    // one condition may carry spaces without quotes
    expect(parseAbCommand('header user-agent ~ .*Mozilla/5.0 \\(X11.*')).toEqual({ ok: true, match: { headers: { 'user-agent': { regex: '.*Mozilla/5.0 \\(X11.*' } } } });
  });

  it('takes the value of command-line words as the shell passed it', () => {
    expect(parseAbWords(['header', 'user-agent', '~', '.*Firefox.*'])).toEqual({ ok: true, match: FIREFOX });
    expect(parseAbWords(['cookie', 'user', '=', 'a b'])).toEqual({ ok: true, match: { cookies: { user: { exact: 'a b' } } } });
    expect(parseAbWords(['off'])).toEqual({ ok: true, match: null });
    expect(parseAbWords(['header', 'x', '~', 'a', '&', 'query', 'v', '=', '2'])).toEqual({ ok: true, match: { headers: { x: { regex: 'a' } }, queryParams: { v: { exact: '2' } } } });
  });

  it.each([
    [['header', 'User-Agent', '=', 'x'], /header names are lower case/],
    [['header', 'x', '~', '(?<=a)b'], /lookbehind .* not supported by RE2/],
    [['header', 'x', '~', '(a'], /does not compile/],
    [['head', 'x', '~', 'a'], /expected header, query or cookie/],
    [['header', 'x', '^', 'a'], /expected =, \^= or ~/],
    [['header', 'x'], /expected/],
    [['cookie', 'a;b', '=', 'x'], /not a cookie name|expected/],
  ])('refuses %j', (words, re) => {
    const r = parseAbWords(words);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(re);
  });

  it('checks regexes for what RE2 lacks, outside character classes only', () => {
    expect(regexProblem('[(?=x)]+')).toBeUndefined();
    expect(regexProblem('a\\(?=b')).toBeUndefined();
    expect(regexProblem('(?P<name>a)')).toBeUndefined();
    expect(regexProblem('(?i)firefox')).toBeUndefined();
    expect(regexProblem('(?<n>a)\\k<n>')).toMatch(/named backreferences/);
    expect(regexProblem('')).toMatch(/empty/);
    expect(regexProblem('a\nb')).toMatch(/one line/);
    expect(abMatchProblem({})).toMatch(/at least one/);
  });
});
