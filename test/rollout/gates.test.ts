import { describe, expect, it } from 'vitest';
import { describeResult, evaluateGates, summarizeGates, type QueryFn } from '../../src/rollout/gates.ts';
import type { QueryResult } from '../../src/rollout/prometheus.ts';

const checks = [
  { name: 'success-rate', query: 'SR', min: 0.99 },
  { name: 'p99-latency-ms', query: 'P99', max: 500 },
];

/** A plain lookup table standing in for Prometheus; it also records the queries it saw. */
function table(answers: Record<string, QueryResult | Error>): QueryFn & { seen: string[] } {
  const seen: string[] = [];
  const fn = async (q: string): Promise<QueryResult> => {
    seen.push(q);
    const a = answers[q];
    if (a instanceof Error) throw a;
    if (!a) throw new Error(`unexpected query ${q}`);
    return a;
  };
  return Object.assign(fn, { seen });
}

const ok = (value: number): QueryResult => ({ status: 'ok', value });

describe('evaluateGates', () => {
  it('passes when every check is within bounds', async () => {
    const q = table({ SR: ok(0.995), P99: ok(120) });
    const out = await evaluateGates({ checks }, q);
    expect(out.verdict).toBe('pass');
    expect(out.results).toEqual([
      { name: 'success-rate', query: 'SR', value: 0.995, min: 0.99, ok: true },
      { name: 'p99-latency-ms', query: 'P99', value: 120, max: 500, ok: true },
    ]);
    expect(q.seen.sort()).toEqual(['P99', 'SR']);
    expect(summarizeGates(out)).toBe('gates passed (success-rate, p99-latency-ms)');
  });

  it('treats the bounds as inclusive', async () => {
    const out = await evaluateGates({ checks }, table({ SR: ok(0.99), P99: ok(500) }));
    expect(out.verdict).toBe('pass');
  });

  it('fails when any check is out of bounds, even if another is unknown', async () => {
    const out = await evaluateGates({ checks }, table({ SR: ok(0.9), P99: { status: 'unreachable', reason: 'ECONNREFUSED' } }));
    expect(out.verdict).toBe('fail');
    expect(out.results[0]).toMatchObject({ ok: false, value: 0.9, reason: '0.9 is below min 0.99' });
    expect(out.results[1]).toMatchObject({ ok: null, value: null });
    expect(summarizeGates(out)).toBe('gates failed: success-rate: 0.9 (min 0.99) FAIL — 0.9 is below min 0.99');
  });

  it('fails on max, and on an infinite latency', async () => {
    const out = await evaluateGates({ checks }, table({ SR: ok(1), P99: ok(Infinity) }));
    expect(out.verdict).toBe('fail');
    expect(out.results[1].reason).toBe('Infinity is above max 500');
  });

  it('is unknown (neither pass nor fail) when Prometheus is unreachable or has no data', async () => {
    const out = await evaluateGates(
      { checks },
      table({ SR: { status: 'no-data', reason: 'query returned no series' }, P99: { status: 'unreachable', reason: 'timed out' } }),
    );
    expect(out.verdict).toBe('unknown');
    expect(out.results.map((r) => r.ok)).toEqual([null, null]);
    expect(out.results[0].reason).toBe('no data: query returned no series');
    expect(out.results[1].reason).toBe('Prometheus unreachable: timed out');
    expect(summarizeGates(out)).toMatch(/^gates inconclusive: success-rate: n\/a \(min 0.99\) unknown — no data/);
  });

  it('is unknown when one check passes and another cannot be evaluated', async () => {
    const out = await evaluateGates({ checks }, table({ SR: ok(1), P99: { status: 'error', reason: 'ambiguous: 2 series' } }));
    expect(out.verdict).toBe('unknown');
    expect(out.results[1].reason).toBe('query error: ambiguous: 2 series');
  });

  it('turns a throwing query function into an unknown result', async () => {
    const out = await evaluateGates({ checks }, table({ SR: ok(1), P99: new Error('socket hang up') }));
    expect(out.verdict).toBe('unknown');
    expect(out.results[1].reason).toBe('query failed: socket hang up');
  });

  it('passes with no checks', async () => {
    const out = await evaluateGates({ checks: [] }, table({}));
    expect(out).toEqual({ verdict: 'pass', results: [] });
  });

  it('describes results for status output', () => {
    expect(describeResult({ name: 'sr', query: 'x', value: 0.123456789, min: 0.1, max: 1, ok: true })).toBe('sr: 0.123457 (min 0.1, max 1) ok');
  });
});
