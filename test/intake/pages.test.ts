// GET pages rendered by the handlers' thread (/readyz, /metrics, /, /api/status): the
// intake forwards them, in its own thread by a message round trip, inline by a call, and
// answers 503 when the handlers do not answer in time. Deliveries, refusals included,
// are reported back for the metrics.
import { afterEach, describe, expect, it } from 'vitest';
import type { Listener } from '../../src/intake/http.ts';
import type { Pages } from '../../src/intake/pages.ts';
import { sign } from '../../src/intake/signature.ts';
import { intakeConfig, startInline, startThread } from '../../src/intake/start.ts';
import type { DeliveryCount } from '../../src/intake/webhook.ts';

const SECRET = 'pages-secret';
const log = { info: () => {}, warn: () => {}, error: () => {} };
let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

const asked: string[] = [];
const pages: Pages = async (path, query) => {
  asked.push(`${path}?${query.toString()}`);
  if (path === '/readyz') return { status: 503, contentType: 'application/json', body: '{"status":"not ready"}' };
  if (path === '/metrics') return { status: 200, contentType: 'text/plain', body: Buffer.from('m 1\n') };
  if (path === '/') return new Promise(() => {}); // never answers
  return undefined;
};

async function get(path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${listener!.port}${path}`, { method });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

function post(id: string, payload: object, secret = SECRET) {
  const body = JSON.stringify(payload);
  return fetch(`http://127.0.0.1:${listener!.port}/api/github/webhooks`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': sign(secret, body) },
  });
}

const modes = { thread: startThread, inline: startInline } as const;

describe.each(Object.keys(modes) as Array<keyof typeof modes>)('pages, intake %s', (mode) => {
  it('forwards the page paths with their query, answers 404 for the rest and 503 when the handlers do not answer', async () => {
    const counts: DeliveryCount[] = [];
    const cfg = intakeConfig({ port: 0, host: '127.0.0.1', mode: 'local', webhookSecret: SECRET }, { pageTimeoutMs: 300 });
    listener = await modes[mode](cfg, async () => ({ status: 'done' }), log, { pages, count: (c) => void counts.push(c) });
    asked.length = 0;
    expect(await get('/readyz?verbose=1')).toEqual({ status: 503, type: 'application/json', body: '{"status":"not ready"}' });
    expect(await get('/metrics/')).toEqual({ status: 200, type: 'text/plain', body: 'm 1\n' });
    expect(await get('/api/status')).toMatchObject({ status: 404 });
    expect(await get('/elsewhere')).toMatchObject({ status: 404 });
    expect(await get('/metrics', 'DELETE')).toMatchObject({ status: 405 });
    expect(await get('/metrics', 'HEAD')).toEqual({ status: 200, type: 'text/plain', body: '' });
    const started = Date.now();
    expect(await get('/')).toEqual({ status: 503, type: 'application/json', body: '{"status":"handlers not answering"}\n' });
    expect(Date.now() - started).toBeLessThan(2000);
    // /healthz stays the intake's own
    expect(await get('/healthz')).toMatchObject({ status: 200 });
    expect(asked).toEqual(['/readyz?verbose=1', '/metrics?', '/api/status?', '/metrics?', '/?']);

    expect((await post('p-1', { zen: 'ok' })).status).toBe(200);
    expect((await post('p-2', { zen: 'forged' }, 'other')).status).toBe(401);
    for (let i = 0; i < 50 && counts.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(counts).toEqual([
      { event: 'ping', outcome: 'done' },
      { event: 'ping', outcome: 'refused', reason: 'signature' },
    ]);
  });
});

it('counts a delivery under an event name no GitHub event has as `other`', async () => {
  const counts: DeliveryCount[] = [];
  listener = await startInline(intakeConfig({ port: 0, host: '127.0.0.1', mode: 'local', webhookSecret: SECRET }), async () => ({ status: 'done' }), log, { count: (c) => void counts.push(c) });
  await fetch(`http://127.0.0.1:${listener.port}/api/github/webhooks`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json', 'x-github-event': 'x'.repeat(40), 'x-github-delivery': 'p-3' },
  });
  expect(counts).toEqual([{ event: 'other', outcome: 'refused', reason: 'signature' }]);
});
