import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/notify/delivery.ts';
import { Dispatcher } from '../../src/notify/dispatch.ts';
import { summary } from '../../src/notify/render.ts';
import { WebhookNotifier } from '../../src/notify/webhook.ts';
import { notice } from './fixtures.ts';
import { recordingLogger, refusedUrl, startServer } from './server.ts';
import type { Reply, TestServer } from './server.ts';

const GHS = 'ghs_abc123DEF456ghi789JKL012mno345PQR678';
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function target(reply?: (i: number) => Reply): Promise<TestServer> {
  server = await startServer(reply, '/hooks/gitops/7f3a9c2e5b1d');
  return server;
}

describe('WebhookNotifier', () => {
  it('POSTs the notice as JSON with event and a summary text', async () => {
    const s = await target(() => ({ status: 204 }));
    const n = notice({ kind: 'weight-changed' });
    await new WebhookNotifier(s.url).send(n);
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0];
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body);
    expect(body).toEqual({ event: 'weight-changed', ...n, text: summary(n) });
    expect(body.plan.edits).toHaveLength(2);
  });

  it('redacts tokens and its own URL from the body', async () => {
    const s = await target();
    await new WebhookNotifier(s.url).send(notice({ kind: 'failed', error: `clone https://x-access-token:${GHS}@github.com/o/r failed (${s.url})` }));
    const raw = s.requests[0].body;
    expect(raw).not.toContain(GHS);
    expect(raw).not.toContain('7f3a9c2e5b1d');
    expect(JSON.parse(raw).error).toContain('x-access-token:[REDACTED]@github.com/o/r');
  });

  it('sends configured headers and redacts their values from errors', async () => {
    const s = await target(() => ({ status: 401, body: 'bad token Secret-Value-123456' }));
    const err = (await new WebhookNotifier(s.url, { headers: { authorization: 'Secret-Value-123456' } }).send(notice()).catch((e: unknown) => e)) as DeliveryError;
    expect(s.requests[0].headers.authorization).toBe('Secret-Value-123456');
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.code).toBe('NOTIFY_HTTP_STATUS');
    expect(err.transient).toBe(false);
    expect(err.message).not.toContain('Secret-Value-123456');
  });

  it('classifies connection refused as transient', async () => {
    const err = (await new WebhookNotifier(await refusedUrl()).send(notice()).catch((e: unknown) => e)) as DeliveryError;
    expect(err.code).toBe('NOTIFY_UNREACHABLE');
    expect(err.transient).toBe(true);
    expect(err.message).not.toContain('7f3a9c2e5b1d');
  });

  it('is retried through the Dispatcher on 503 with Retry-After', async () => {
    const s = await target((i) => (i === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
    const delays: number[] = [];
    const d = new Dispatcher([new WebhookNotifier(s.url)], { log: recordingLogger(), sleep: async (ms) => void delays.push(ms) });
    d.notify(notice());
    await d.flush();
    expect(s.requests).toHaveLength(2);
    expect(delays).toEqual([1000]);
  });
});
