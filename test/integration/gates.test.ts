import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateGates, prometheusQuery, type GateCheck, type GateOutcome } from '../../src/rollout/gates.ts';
import { queryInstant } from '../../src/rollout/prometheus.ts';
import { startMetricsServer, type MetricsServer } from '../helpers/metrics-server.ts';
import { pollUntil, startPrometheus, type PrometheusServer } from '../helpers/prometheus.ts';

// 1s scrapes, so a 5s range holds ~5 samples: enough for rate(), short enough that a change
// in traffic shows within seconds.
const canary = 'destination_workload="podinfo-canary"';
const checks: GateCheck[] = [
  {
    name: 'success-rate',
    query: `sum(rate(istio_requests_total{${canary},response_code!~"5.."}[5s])) / sum(rate(istio_requests_total{${canary}}[5s]))`,
    min: 0.99,
  },
  {
    name: 'p99-latency-ms',
    query: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${canary}}[5s])))`,
    max: 500,
  },
];

let metrics: MetricsServer;
let prom: PrometheusServer;

beforeAll(async () => {
  metrics = await startMetricsServer({ traffic: { ok: 100, errors: 0, latencyMs: 20 } });
  prom = await startPrometheus({ targets: [metrics.target] });
});

afterAll(async () => {
  await prom?.stop();
  await metrics?.close();
});

const evaluate = (): Promise<GateOutcome> => evaluateGates({ checks }, prometheusQuery({ url: prom.url, timeout: '5s' }));

describe('gates against a real Prometheus', () => {
  it('passes a healthy canary', async () => {
    const out = await pollUntil(evaluate, (o) => o.verdict === 'pass');
    expect(out.verdict, JSON.stringify(out.results)).toBe('pass');
    expect(out.results[0]).toMatchObject({ name: 'success-rate', ok: true, value: 1 });
    expect(out.results[1]).toMatchObject({ name: 'p99-latency-ms', ok: true });
    expect(out.results[1].value).toBeLessThanOrEqual(25);
  });

  it('fails once errors and slow responses are injected', async () => {
    metrics.setTraffic({ ok: 50, errors: 50, latencyMs: 900 });
    const out = await pollUntil(evaluate, (o) => o.verdict === 'fail' && o.results.every((r) => r.ok === false));
    expect(out.verdict, JSON.stringify(out.results)).toBe('fail');
    expect(out.results[0].ok).toBe(false);
    expect(out.results[0].value).toBeLessThan(0.99);
    expect(out.results[0].reason).toMatch(/is below min 0\.99/);
    expect(out.results[1].ok).toBe(false);
    expect(out.results[1].value).toBeGreaterThan(500);

    metrics.setTraffic({ ok: 100, errors: 0, latencyMs: 20 });
    const healed = await pollUntil(evaluate, (o) => o.verdict === 'pass');
    expect(healed.verdict, JSON.stringify(healed.results)).toBe('pass');
  });

  it('is unknown for a series that does not exist', async () => {
    const missing = `sum(rate(istio_requests_total{destination_workload="no-such-workload"}[5s]))`;
    const out = await evaluateGates({ checks: [{ name: 'missing', query: missing, min: 0.99 }] }, prometheusQuery({ url: prom.url, timeout: '5s' }));
    expect(out.verdict).toBe('unknown');
    expect(out.results[0]).toMatchObject({ ok: null, value: null, reason: 'no data: query returned no series (no matching data)' });
  });

  it('reports several series as ambiguous', async () => {
    const r = await queryInstant(prom.url, `istio_requests_total{${canary}}`, { timeoutMs: 5000 });
    expect(r.status).toBe('error');
    expect(r.status !== 'ok' && r.reason).toMatch(/ambiguous: it returned 2 series/);
  });

  it("reports Prometheus's parse error", async () => {
    const r = await queryInstant(prom.url, 'sum(rate(', { timeoutMs: 5000 });
    expect(r.status).toBe('error');
    expect(r.status !== 'ok' && r.reason).toMatch(/HTTP 400 \(bad_data: .*parse error/);
  });

  it('is unknown when Prometheus is down', async () => {
    await prom.stop();
    const out = await evaluate();
    expect(out.verdict).toBe('unknown');
    for (const r of out.results) {
      expect(r.ok).toBeNull();
      expect(r.reason).toMatch(/^Prometheus unreachable: Prometheus at http:\/\/127\.0\.0\.1:\d+ unreachable: ECONNREFUSED/);
    }
  });
});
