// A scheduled tick against a real Prometheus: the canary starts failing, the gate fails
// on `failures` consecutive ticks and the rollout is reverted in git.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickApp } from '../../src/bot/tick/tick.ts';
import { manualClock } from '../../src/rollout/clock.ts';
import { evaluateGates, prometheusQuery } from '../../src/rollout/gates.ts';
import { git } from '../helpers/git-remote.ts';
import { startMetricsServer, type MetricsServer } from '../helpers/metrics-server.ts';
import { pollUntil, startPrometheus, type PrometheusServer } from '../helpers/prometheus.ts';
import { setup, trailersOnRemote, weightsOf, type Env } from '../e2e/rollout/fixture.ts';

const canary = 'destination_workload="podinfo-canary"';
const query = `sum(rate(istio_requests_total{${canary},response_code!~"5.."}[10s])) / sum(rate(istio_requests_total{${canary}}[10s]))`;

let metrics: MetricsServer;
let prom: PrometheusServer;
let env: Env | undefined;

beforeAll(async () => {
  metrics = await startMetricsServer({ traffic: { ok: 100, errors: 0, latencyMs: 20 } });
  prom = await startPrometheus({ targets: [metrics.target] });
});

afterAll(async () => {
  await env?.cleanup();
  await prom?.stop();
  await metrics?.close();
});

describe('rollout gates against a real Prometheus', () => {
  it('rolls back after the configured number of failed ticks', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h', gates: true, failures: 2, prometheusUrl: prom.url, checkQuery: query });
    const before = await env.headSha();
    await env.release('0.2.1');
    // Real time: Prometheus evaluates each query at the tick's `now`.
    const clock = manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const deps = { ...env.replica(clock), gateQuery: undefined };
    const gate = () => evaluateGates({ checks: [{ name: 'success-rate', query, min: 0.99 }] }, prometheusQuery({ url: prom.url, timeout: '5s' }));

    await pollUntil(gate, (o) => o.verdict === 'pass');
    clock.set(new Date());
    const healthy = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(healthy.decision?.code, JSON.stringify(healthy)).toBe('BAKING');
    expect(healthy.gate?.verdict).toBe('pass');

    metrics.setTraffic({ ok: 50, errors: 50 });
    await pollUntil(gate, (o) => o.verdict === 'fail');
    clock.set(new Date());
    const first = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(first, JSON.stringify(first.gate)).toMatchObject({ outcome: 'recorded', decision: { code: 'GATES_FAILING', gateFailures: 1 } });
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });

    clock.set(new Date());
    const second = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(second, JSON.stringify(second.gate)).toMatchObject({ outcome: 'rolled-back', decision: { code: 'GATES_FAILED', gateFailures: 2 } });
    await git(env.remote.bare, 'diff', '--quiet', before, 'main', '--', 'apps/');
    expect((await trailersOnRemote(env.remote))[0]).toMatchObject({ Action: 'rollback', Hold: '0.2.1', 'Gate-Verdict': 'fail' });
    const failed = env.notices.find((n) => n.kind === 'gate-failed');
    expect(failed?.checks?.[0]).toMatchObject({ name: 'success-rate', ok: false, min: 0.99 });
    expect(failed?.checks?.[0].value).toBeLessThan(0.99);
    expect(env.notices.at(-1)?.kind).toBe('rolled-back');
  });
});
