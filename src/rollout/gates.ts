// Metric gates decide whether a canary step is healthy. Three outcomes, on purpose: a check
// that cannot be evaluated (Prometheus down, no traffic, an ambiguous query) is `unknown`,
// which holds the canary where it is — it neither counts towards a rollback nor lets it advance.
import { parseDuration } from './duration.ts';
import { queryInstant, type QueryResult } from './prometheus.ts';

export interface GateCheck {
  name: string;
  query: string;
  min?: number;
  max?: number;
}

export interface GatesConfig {
  checks: readonly GateCheck[];
}

export type QueryFn = (promql: string) => Promise<QueryResult>;

export interface CheckResult {
  name: string;
  query: string;
  value: number | null;
  min?: number;
  max?: number;
  /** null when the check could not be evaluated. */
  ok: boolean | null;
  reason?: string;
}

export type Verdict = 'pass' | 'fail' | 'unknown';

export interface GateOutcome {
  verdict: Verdict;
  results: CheckResult[];
}

export async function evaluateGates(gates: GatesConfig, query: QueryFn): Promise<GateOutcome> {
  const results = await Promise.all(gates.checks.map((check) => evaluateCheck(check, query)));
  return { verdict: verdictOf(results), results };
}

/** A definite failure outweighs checks that could not be evaluated. */
export function verdictOf(results: readonly CheckResult[]): Verdict {
  if (results.some((r) => r.ok === false)) return 'fail';
  if (results.some((r) => r.ok === null)) return 'unknown';
  return 'pass';
}

async function evaluateCheck(check: GateCheck, query: QueryFn): Promise<CheckResult> {
  const base: CheckResult = { name: check.name, query: check.query, value: null, ok: null };
  if (check.min !== undefined) base.min = check.min;
  if (check.max !== undefined) base.max = check.max;
  let res: QueryResult;
  try {
    res = await query(check.query);
  } catch (err) {
    return { ...base, reason: `query failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.status !== 'ok') {
    const what = res.status === 'no-data' ? 'no data' : res.status === 'unreachable' ? 'Prometheus unreachable' : 'query error';
    return { ...base, reason: `${what}: ${res.reason}` };
  }
  const value = res.value;
  if (check.min !== undefined && !(value >= check.min)) return { ...base, value, ok: false, reason: `${fmt(value)} is below min ${fmt(check.min)}` };
  if (check.max !== undefined && !(value <= check.max)) return { ...base, value, ok: false, reason: `${fmt(value)} is above max ${fmt(check.max)}` };
  return { ...base, value, ok: true };
}

/** A QueryFn bound to one Prometheus server. `timeout` is a duration (`10s`) or milliseconds. */
export function prometheusQuery(prometheus: { url: string; timeout?: string | number }, opts: { at?: Date; fetch?: typeof fetch } = {}): QueryFn {
  const timeoutMs =
    prometheus.timeout === undefined ? 10_000 : typeof prometheus.timeout === 'number' ? prometheus.timeout : parseDuration(prometheus.timeout, { field: 'rollout.gates.prometheus.timeout' });
  return (promql) => queryInstant(prometheus.url, promql, { timeoutMs, ...opts });
}

/** One line per check, for status output, PR comments and Slack. */
export function describeResult(r: CheckResult): string {
  const bounds = [r.min !== undefined ? `min ${fmt(r.min)}` : '', r.max !== undefined ? `max ${fmt(r.max)}` : ''].filter(Boolean).join(', ');
  const state = r.ok === true ? 'ok' : r.ok === false ? 'FAIL' : 'unknown';
  const value = r.value === null ? 'n/a' : fmt(r.value);
  return `${r.name}: ${value}${bounds ? ` (${bounds})` : ''} ${state}${r.reason ? ` — ${r.reason}` : ''}`;
}

export function summarizeGates(outcome: GateOutcome): string {
  if (outcome.results.length === 0) return 'no gate checks';
  const bad = outcome.results.filter((r) => (outcome.verdict === 'fail' ? r.ok === false : r.ok !== true));
  if (outcome.verdict === 'pass') return `gates passed (${outcome.results.map((r) => r.name).join(', ')})`;
  const label = outcome.verdict === 'fail' ? 'gates failed' : 'gates inconclusive';
  return `${label}: ${bad.map(describeResult).join('; ')}`;
}

/** What a gate result says, without what changes from one evaluation to the next: one
 *  `name state[: reason]` per check. The scheduler records a gate result when the verdict,
 *  the failure count or this text changes; recording on every change of the raw reason
 *  would write a commit per tick (a latency value, a request id in an error body, a
 *  timeout in ms). See reasonKind. */
export function gateReason(outcome: GateOutcome): string {
  const line = outcome.results
    .map((r) => `${r.name} ${r.ok === true ? 'ok' : r.ok === false ? 'FAIL' : 'unknown'}${r.reason ? `: ${reasonKind(r.reason)}` : ''}`)
    .join('; ');
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

/** The kind of a reason: parenthesised details dropped (error bodies, socket addresses,
 *  series lists, NaN explanations) and every number masked as `#`, except an HTTP status
 *  (`HTTP 503`), since a 503 and a 500 are different causes. So `no data`, `ECONNREFUSED`,
 *  `answered HTTP 503` and `0.8 is below min 0.99` are four kinds, and `0.8` becoming
 *  `0.79` is not a new one. */
export function reasonKind(reason: string): string {
  let s = reason;
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(/\s*\([^()]*\)/g, '');
  }
  s = s.replace(/\bHTTP \d{3}\b|\d+/g, (m) => (m.startsWith('HTTP') ? m : '#'));
  return s.replace(/\s+/g, ' ').trim();
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}
