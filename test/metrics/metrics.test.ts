// /metrics after real deliveries, with the intake in this thread (the thread mode is
// covered by the process test, test/e2e/app/operations.test.ts): a signed release commits
// to a local config repo, so the delivery, change, push and event-to-push series move; a
// forged one moves the refusals.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { Check } from '../../src/health/readiness.ts';
import { startReadiness } from '../../src/health/readiness.ts';
import { createRuntime } from '../../src/handlers/runtime.ts';
import { ensureLocalConfigRepo } from '../../src/local/seed.ts';
import { countNotifyFailure, countTick, observePass, useMetrics } from '../../src/metrics/record.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import { createPages } from '../../src/pages.ts';
import { createProbot, startServer, WEBHOOKS_PATH, type Listener } from '../../src/server.ts';
import { releasePayload } from '../github-double/index.ts';
import { postWebhook } from '../helpers/app.ts';

const SECRET = 'metrics-secret';
const REGISTRY_TOKEN = 'registry-token';
let dir: string;
let server: Listener;
let base: string;
const stop: Array<() => void> = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'metrics-'));
  const repo = path.join(dir, 'config-repo');
  await ensureLocalConfigRepo(repo);
  const metrics = createMetrics();
  useMetrics(metrics);
  const probot = await createProbot({ webhookSecret: SECRET, logLevel: 'error' });
  const { runtime } = createRuntime({ mode: 'local', workDir: path.join(dir, 'work'), localConfigRepo: repo, env: {}, log: probot.log });
  const ok: Check = { name: 'test', run: async () => ({ ok: true }) };
  const readiness = startReadiness([ok], { log: probot.log });
  stop.push(() => readiness.stop());
  server = await startServer(probot, createApp(runtime), { port: 0, host: '127.0.0.1', mode: 'local', webhookSecret: SECRET, registryWebhookToken: REGISTRY_TOKEN }, { pages: createPages({ mode: 'local', readiness, metrics, webhooksPath: WEBHOOKS_PATH }) });
  base = `http://127.0.0.1:${server.port}`;
}, 30_000);

afterAll(async () => {
  for (const s of stop) s();
  await server?.close();
  useMetrics(undefined);
  await rm(dir, { recursive: true, force: true });
});

/** `name{labels} value` lines of the exposition, as a map. */
async function scrape(): Promise<{ text: string; value(series: string): number | undefined }> {
  const res = await fetch(`${base}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const values = new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
  return { text, value: (s) => values.get(s) };
}

describe('/metrics', () => {
  it('counts deliveries, refusals, changes and pushes, and times the delivery to its push', async () => {
    const before = await scrape();
    for (const name of ['webhook_deliveries_total', 'registry_notifications_total', 'changes_total', 'event_to_push_seconds', 'git_pushes_total', 'reconcile_duration_seconds', 'tick_duration_seconds', 'rollout_ticks_total', 'rollout_gate_results_total', 'notification_failures_total', 'ready']) {
      expect(before.text).toContain(`# TYPE gitops_canary_${name} `);
    }
    // Node's own: event-loop lag and the process figures
    expect(before.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(before.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(before.value('gitops_canary_webhook_deliveries_total{event="release",outcome="done",reason=""}')).toBeUndefined();

    const payload = releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.1' });
    expect((await postWebhook(base, 'release', payload, { secret: 'guess' })).status).toBe(401);
    expect((await postWebhook(base, 'release', payload, { secret: SECRET })).status).toBe(200);

    const after = await scrape();
    expect(after.value('gitops_canary_webhook_deliveries_total{event="release",outcome="done",reason=""}')).toBe(1);
    expect(after.value('gitops_canary_webhook_deliveries_total{event="release",outcome="refused",reason="signature"}')).toBe(1);
    expect(after.value('gitops_canary_changes_total{app="podinfo",track="canary",action="release",delivery="committed"}')).toBe(1);
    expect(after.value('gitops_canary_git_pushes_total{outcome="ok"}')).toBe(1);
    expect(after.value('gitops_canary_event_to_push_seconds_count{event="release"}')).toBe(1);
    expect(after.value('gitops_canary_event_to_push_seconds_sum{event="release"}')).toBeGreaterThan(0);
    expect(after.value('gitops_canary_ready{check="test"}')).toBe(1);
  }, 30_000);

  it('counts registry push notifications, accepted and refused, by kind and reason', async () => {
    const push = { events: [{ action: 'push', target: { repository: 'team/api', tag: '1.2.3', mediaType: 'application/vnd.oci.image.manifest.v1+json' }, request: { host: '127.0.0.1:5000' } }] };
    const post = (hook: string, token: string, body: string = JSON.stringify(push)) =>
      fetch(`${base}/api/registry/${hook}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    expect((await post('distribution', REGISTRY_TOKEN)).status).toBe(202);
    expect((await post('distribution', 'guess')).status).toBe(401);
    expect((await post('distribution', REGISTRY_TOKEN, '{not json')).status).toBe(400);
    // a path naming no kind the bot knows is counted as unknown, whatever it says
    expect((await post('made-up-kind-123', REGISTRY_TOKEN)).status).toBe(404);
    const m = await scrape();
    expect(m.value('gitops_canary_registry_notifications_total{kind="distribution",outcome="accepted",reason=""}')).toBe(1);
    expect(m.value('gitops_canary_registry_notifications_total{kind="distribution",outcome="refused",reason="token"}')).toBe(1);
    expect(m.value('gitops_canary_registry_notifications_total{kind="distribution",outcome="refused",reason="json"}')).toBe(1);
    expect(m.value('gitops_canary_registry_notifications_total{kind="unknown",outcome="refused",reason="no-such-hook"}')).toBe(1);
    expect(m.text).not.toContain('made');
  });

  it('records what the rollout, reconcile and notification layers report', async () => {
    countTick({ app: 'podinfo', outcome: 'advanced', gate: { verdict: 'pass' } });
    countTick({ app: 'podinfo', outcome: 'waited', gate: { verdict: 'unknown' } });
    observePass('reconcile', Date.now() - 1500);
    observePass('tick', Date.now());
    countNotifyFailure('slack', true);
    countNotifyFailure('slack', false);
    const m = await scrape();
    expect(m.value('gitops_canary_rollout_ticks_total{app="podinfo",outcome="advanced"}')).toBe(1);
    expect(m.value('gitops_canary_rollout_gate_results_total{app="podinfo",verdict="unknown"}')).toBe(1);
    expect(m.value('gitops_canary_reconcile_duration_seconds_count')).toBe(1);
    expect(m.value('gitops_canary_reconcile_duration_seconds_bucket{le="1"}')).toBe(0);
    expect(m.value('gitops_canary_reconcile_duration_seconds_bucket{le="2.5"}')).toBe(1);
    expect(m.value('gitops_canary_tick_duration_seconds_count')).toBe(1);
    expect(m.value('gitops_canary_notification_failures_total{notifier="slack",outcome="dropped"}')).toBe(1);
    expect(m.value('gitops_canary_notification_failures_total{notifier="slack",outcome="retried"}')).toBe(1);
  });

  it('serves a home page that says what the bot is and links the probes and metrics', async () => {
    const res = await fetch(`${base}/`);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('Running in <strong>local</strong> mode');
    for (const p of ['/healthz', '/readyz', '/metrics']) expect(html).toContain(`<a href="${p}">`);
    expect(html).not.toMatch(/<script|<link|src=/);
  });
});
