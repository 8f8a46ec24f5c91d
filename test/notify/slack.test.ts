import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/notify/dispatch.ts';
import { DeliveryError } from '../../src/notify/delivery.ts';
import { SlackNotifier } from '../../src/notify/slack.ts';
import { blockKitProblems } from './blockkit.ts';
import { notice } from './fixtures.ts';
import { recordingLogger, refusedUrl, startServer } from './server.ts';
import type { Reply, TestServer } from './server.ts';

const GHS = 'ghs_abc123DEF456ghi789JKL012mno345PQR678';
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function slack(reply?: (i: number) => Reply): Promise<TestServer> {
  server = await startServer(reply);
  return server;
}

const noWait = { sleep: async () => {}, baseDelayMs: 1, maxDelayMs: 8000 };

describe('SlackNotifier', () => {
  it('posts a Block Kit message naming app, track, tags, weights and the PR', async () => {
    const s = await slack();
    await new SlackNotifier(s.url).send(notice());
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/services/T0001/B0002/abcdefSECRETxyz');
    expect(req.headers['content-type']).toContain('application/json');
    const payload = JSON.parse(req.body);
    expect(blockKitProblems(payload)).toEqual([]);
    expect(payload.text).toContain('podinfo canary 0.2.0 → 0.2.1: PR opened (#12)');
    const text = JSON.stringify(payload.blocks);
    for (const part of ['podinfo', 'canary', '`0.2.0` → `0.2.1`', 'canary 0% → 10%', 'https://github.com/org/config/pull/12', 'apps/podinfo/deploy-1.yaml']) {
      expect(text).toContain(part);
    }
    expect(payload.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
  });

  it('redacts tokens and its own URL from everything it sends', async () => {
    const s = await slack();
    const n = notice({
      kind: 'failed',
      error: `git push https://x-access-token:${GHS}@github.com/org/config.git failed; also posted to ${s.url}`,
      actor: `bot ${GHS}`,
    });
    await new SlackNotifier(s.url).send(n);
    const body = s.requests[0].body;
    expect(body).not.toContain(GHS);
    expect(body).not.toContain('abc123');
    expect(body).not.toContain('abcdefSECRETxyz');
    expect(body).toContain('[REDACTED]');
  });

  it('reports 4xx as permanent and keeps secrets out of the error', async () => {
    const s = await slack(() => ({ status: 400, body: `invalid_payload ${GHS}` }));
    const err = await new SlackNotifier(s.url).send(notice()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).status).toBe(400);
    expect((err as DeliveryError).transient).toBe(false);
    expect((err as DeliveryError).message).toContain('invalid_payload');
    expect((err as DeliveryError).message).not.toContain(GHS);
    expect((err as DeliveryError).message).not.toContain('abcdefSECRETxyz');
  });

  it('treats a redirect as a permanent failure instead of following it', async () => {
    const s = await slack(() => ({ status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' } }));
    const err = (await new SlackNotifier(s.url).send(notice()).catch((e: unknown) => e)) as DeliveryError;
    expect(err.status).toBe(302);
    expect(err.transient).toBe(false);
  });
});

describe('Slack through the Dispatcher', () => {
  it('delivers once after two 500s, with three attempts', async () => {
    const s = await slack((i) => (i < 2 ? { status: 500, body: 'internal_error' } : { status: 200, body: 'ok' }));
    const log = recordingLogger();
    const d = new Dispatcher([new SlackNotifier(s.url)], { log, ...noWait });
    d.notify(notice());
    await d.flush();
    expect(s.requests).toHaveLength(3);
    expect(s.requests.map((r) => r.body)).toEqual([s.requests[0].body, s.requests[0].body, s.requests[0].body]);
    expect(log.at('warn').map((e) => e.obj.attempt)).toEqual([1, 2]);
    expect(log.at('warn')[0].obj).toMatchObject({ notifier: 'slack', retry: true });
    expect(log.at('error')).toEqual([]);
    expect(log.at('debug')[0].obj).toMatchObject({ notifier: 'slack', attempt: 3 });
  });

  it('gives up after the bounded attempts when Slack is down, without blocking or throwing', async () => {
    const url = await refusedUrl();
    const log = recordingLogger();
    const d = new Dispatcher([new SlackNotifier(url)], { log, attempts: 3, ...noWait });
    const returned: unknown = d.notify(notice());
    expect(returned).toBeUndefined();
    expect(log.entries).toEqual([]);
    await expect(d.flush()).resolves.toBeUndefined();
    expect(log.at('warn')).toHaveLength(3);
    expect(String(log.at('warn')[0].obj.err)).toMatch(/unreachable.*ECONNREFUSED/);
    expect(log.at('error')).toHaveLength(1);
    expect(log.at('error')[0].obj).toMatchObject({ notifier: 'slack', attempts: 3 });
    expect(JSON.stringify(log.entries)).not.toContain('abcdefSECRETxyz');
  });

  it('times out a Slack that never answers and retries a bounded number of times', async () => {
    const s = await slack(() => 'hang');
    const log = recordingLogger();
    const d = new Dispatcher([new SlackNotifier(s.url, { timeoutMs: 150 })], { log, attempts: 2, timeoutMs: 150, ...noWait });
    d.notify(notice());
    await d.flush();
    // two attempts, each given up on: what the dispatcher logged says so (the server may not
    // yet have read an attempt that was given up on when this process was busy for 150 ms)
    expect(log.at('warn').map((e) => String(e.obj.err))).toEqual([expect.stringMatching(/did not answer/), expect.stringMatching(/did not answer/)]);
    expect(log.at('error')).toHaveLength(1);
    expect(log.at('error')[0].obj).toMatchObject({ notifier: 'slack', attempts: 2 });
    expect(s.requests.length).toBeGreaterThanOrEqual(1);
    expect(s.requests.length).toBeLessThanOrEqual(2);
  });

  it('does not retry 400 invalid_payload', async () => {
    const s = await slack(() => ({ status: 400, body: 'invalid_payload' }));
    const log = recordingLogger();
    const d = new Dispatcher([new SlackNotifier(s.url)], { log, ...noWait });
    d.notify(notice());
    await d.flush();
    expect(s.requests).toHaveLength(1);
    expect(log.at('warn')[0].obj).toMatchObject({ attempt: 1, retry: false });
    expect(String(log.at('error')[0].obj.err)).toContain('HTTP 400 Bad Request: invalid_payload');
  });

  it.each([403, 404, 410])('does not retry %i', async (status) => {
    const s = await slack(() => ({ status, body: 'no_service' }));
    const d = new Dispatcher([new SlackNotifier(s.url)], { log: recordingLogger(), ...noWait });
    d.notify(notice());
    await d.flush();
    expect(s.requests).toHaveLength(1);
  });

  it('retries 429 and honours Retry-After up to maxDelayMs', async () => {
    const s = await slack((i) => (i === 0 ? { status: 429, body: 'rate_limited', headers: { 'retry-after': '3' } } : i === 1 ? { status: 429, headers: { 'retry-after': '60' } } : { status: 200, body: 'ok' }));
    const delays: number[] = [];
    const d = new Dispatcher([new SlackNotifier(s.url)], {
      log: recordingLogger(),
      baseDelayMs: 100,
      maxDelayMs: 8000,
      sleep: async (ms) => void delays.push(ms),
    });
    d.notify(notice());
    await d.flush();
    expect(s.requests).toHaveLength(3);
    expect(delays).toEqual([3000, 8000]);
  });

  it('retries 408 and 503', async () => {
    const s = await slack((i) => (i === 0 ? { status: 408 } : i === 1 ? { status: 503 } : { status: 200, body: 'ok' }));
    const d = new Dispatcher([new SlackNotifier(s.url)], { log: recordingLogger(), ...noWait });
    d.notify(notice());
    await d.flush();
    expect(s.requests).toHaveLength(3);
  });
});
