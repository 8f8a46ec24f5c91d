// Deciding on a recorded gate verdict (what `status` does, never querying Prometheus) and
// the reason kind that decides when a new gate record is due.
import { describe, expect, it } from 'vitest';
import { decideTick, rolloutPolicy, type GateRecord, type RolloutPolicy, type RolloutState } from '../../src/rollout/decide.ts';
import { gateReason, reasonKind, type GateOutcome } from '../../src/rollout/gates.ts';
import { rolloutStateFromHistory, type HistoryCommit } from '../../src/rollout/state.ts';

const MIN = 60_000;
const entered = new Date('2026-03-03T10:00:00Z');
const policy: RolloutPolicy = { steps: [10, 50, 100], bakeMs: 15 * MIN, approval: 'none', failures: 2, promote: true, gates: true };
const state = (over: Partial<RolloutState> = {}): RolloutState => ({ tag: 'v1.2.3', stepIndex: 0, weights: { stable: 90, canary: 10 }, enteredAt: entered, paused: false, gateFailures: 0, ...over });
const at = new Date('2026-03-03T10:20:00Z');
const record = (verdict: GateRecord['verdict'], summary: string): GateRecord => ({ verdict, summary, at });
const now = new Date('2026-03-03T10:30:00Z');

const unknown = (reason: string): GateOutcome => ({ verdict: 'unknown', results: [{ name: 'success-rate', query: 'q', value: null, min: 0.99, ok: null, reason }] });

describe('decideTick on a recorded verdict', () => {
  it('holds on a recorded inconclusive gate, with its reason and when it was recorded, instead of advancing', () => {
    const recorded = record('unknown', 'success-rate: n/a (min 0.99) unknown — Prometheus unreachable: ECONNREFUSED');
    const d = decideTick({ now, rollout: policy, state: state({ lastGate: recorded }), recorded });
    expect(d).toEqual({
      action: 'wait',
      code: 'GATES_UNKNOWN',
      reason: 'gates inconclusive (recorded 2026-03-03T10:20:00.000Z): success-rate: n/a (min 0.99) unknown — Prometheus unreachable: ECONNREFUSED; holding at step 1/3 (10%)',
    });
    // the bake comes first, as in the tick
    expect(decideTick({ now: new Date('2026-03-03T10:05:00Z'), rollout: policy, state: state(), recorded }).code).toBe('BAKING');
  });

  it('shows a recorded failure with the count already recorded, and never adds one', () => {
    const recorded = record('fail', 'success-rate: 0.8 (min 0.99) FAIL — 0.8 is below min 0.99');
    const d = decideTick({ now, rollout: policy, state: state({ gateFailures: 1, lastGate: recorded }), recorded });
    expect(d).toMatchObject({ action: 'wait', code: 'GATES_FAILING' });
    expect(d.reason).toBe('gates failed (recorded 2026-03-03T10:20:00.000Z): success-rate: 0.8 (min 0.99) FAIL — 0.8 is below min 0.99 (1/2 consecutive before rollback)');
    expect(d.gateFailures).toBeUndefined();
  });

  it('says a step is due only if the gates pass at the next tick when none is evaluated', () => {
    const recorded = record('pass', 'success-rate: 1 (min 0.99) ok');
    expect(decideTick({ now, rollout: policy, state: state(), recorded }).reason).toBe(
      'step 1/3 (10%) baked 15m, gates passed (recorded 2026-03-03T10:20:00.000Z): advancing to step 2/3 (50%) if the gates pass at the next tick',
    );
    expect(decideTick({ now, rollout: policy, state: state() }).reason).toBe('step 1/3 (10%) baked 15m: advancing to step 2/3 (50%) if the gates pass at the next tick');
    expect(decideTick({ now, rollout: { ...policy, gates: undefined }, state: state() }).reason).toBe('step 1/3 (10%) baked 15m: advancing to step 2/3 (50%)');
  });

  it('lets a live evaluation override the record (the tick)', () => {
    const recorded = record('unknown', 'x');
    const pass: GateOutcome = { verdict: 'pass', results: [{ name: 'success-rate', query: 'q', value: 1, min: 0.99, ok: true }] };
    expect(decideTick({ now, rollout: policy, state: state(), gate: pass, recorded })).toMatchObject({ action: 'advance', reason: 'step 1/3 (10%) baked 15m, gates passed: advancing to step 2/3 (50%)' });
  });

  it('marks a policy with gates', () => {
    expect(rolloutPolicy({ gates: { failures: 3 } }, [100])).toMatchObject({ gates: true, failures: 3 });
    expect(rolloutPolicy({}, [100])).not.toHaveProperty('gates');
  });
});

describe('reason kinds', () => {
  it('tells causes apart: no data, connection refused, HTTP 503, HTTP 500, a timeout', () => {
    const kinds = [
      'no data: query returned no series (no matching data)',
      'Prometheus unreachable: Prometheus at http://127.0.0.1:9090 unreachable: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9090)',
      'Prometheus unreachable: Prometheus at http://127.0.0.1:9090 answered HTTP 503 (upstream overloaded)',
      'query error: Prometheus at http://127.0.0.1:9090 answered HTTP 500 (internal: boom)',
      'Prometheus unreachable: Prometheus at http://127.0.0.1:9090 unreachable: no answer within 5000ms',
    ].map(reasonKind);
    expect(new Set(kinds).size).toBe(5);
    expect(kinds[2]).toBe('Prometheus unreachable: Prometheus at http://#.#.#.#:# answered HTTP 503');
  });

  it('is the same kind when only numbers or details change', () => {
    expect(reasonKind('0.8 is below min 0.99')).toBe(reasonKind('0.79 is below min 0.99'));
    expect(reasonKind('Prometheus at http://p:9090 answered HTTP 503 (request 7)')).toBe(reasonKind('Prometheus at http://p:9090 answered HTTP 503 (request 8 (retry))'));
    expect(reasonKind('query is ambiguous: it returned 3 series (a{x="1"}, b{x="2"}); aggregate it')).toBe('query is ambiguous: it returned # series; aggregate it');
  });

  it('gives one line per outcome, the same for answers that differ only in detail', () => {
    const a = unknown('Prometheus unreachable: Prometheus at http://p:9090 answered HTTP 503 (request 1)');
    const b = unknown('Prometheus unreachable: Prometheus at http://p:9090 answered HTTP 503 (request 2)');
    expect(gateReason(a)).toBe('success-rate unknown: Prometheus unreachable: Prometheus at http://p:# answered HTTP 503');
    expect(gateReason(a)).toBe(gateReason(b));
    expect(gateReason(unknown('no data: query returned no series'))).not.toBe(gateReason(a));
    const pass: GateOutcome = { verdict: 'pass', results: [{ name: 'success-rate', query: 'q', value: 0.995, min: 0.99, ok: true }] };
    expect(gateReason(pass)).toBe('success-rate ok');
  });
});

describe('gate records read back', () => {
  const c = (iso: string, trailers: Record<string, string>): HistoryCommit => ({ sha: iso, trailers: { App: 'podinfo', ...trailers }, committerDate: new Date(iso) });
  const release = c('2026-03-03T10:00:00Z', { Action: 'release', Tag: 'v1.2.3', Step: '1/3' });

  it('keeps the recorded reason kind, and none for records written before it existed', () => {
    const gate = c('2026-03-03T10:20:00Z', { Action: 'gate', 'Gate-Failures': '0', 'Gate-Verdict': 'unknown', 'Gate-Summary': 'success-rate: n/a unknown — no data', 'Gate-Reason': 'success-rate unknown: no data' });
    const s = rolloutStateFromHistory([gate, release], { stable: 90, canary: 10 }, [10, 50, 100]);
    expect(s.lastGate).toEqual({ verdict: 'unknown', summary: 'success-rate: n/a unknown — no data', reason: 'success-rate unknown: no data', at: new Date('2026-03-03T10:20:00Z') });
    const old = c('2026-03-03T10:20:00Z', { Action: 'gate', 'Gate-Failures': '0', 'Gate-Verdict': 'unknown' });
    expect(rolloutStateFromHistory([old, release], { stable: 90, canary: 10 }, [10, 50, 100]).lastGate).not.toHaveProperty('reason');
  });
});
