// The intake in its own thread: deliveries cross to this thread and back, /healthz is
// answered by the intake thread, and fails once this thread stops checking in.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Listener } from '../../src/intake/http.ts';
import { sign } from '../../src/intake/signature.ts';
import { intakeConfig, startThread } from '../../src/intake/start.ts';

const SECRET = 'thread-secret';
let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

const lines: Array<{ level: string; obj: object; msg: string }> = [];
const log = {
  info: (obj: object, msg: string) => void lines.push({ level: 'info', obj, msg }),
  warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj, msg }),
  error: (obj: object, msg: string) => void lines.push({ level: 'error', obj, msg }),
};

/** A status code fetched by another process, while this thread is blocked in execFileSync. */
function statusFromOutside(url: string): number {
  return Number(execFileSync(process.execPath, ['-e', `fetch(${JSON.stringify(url)}).then((r) => console.log(r.status))`], { encoding: 'utf8' }).trim());
}

describe('the intake thread', () => {
  it('hands verified deliveries to this thread and answers with their outcome', async () => {
    const seen: Array<{ id: string; name: string; payload: unknown }> = [];
    listener = await startThread(
      intakeConfig({ port: 0, host: '127.0.0.1', mode: 'local', webhookSecret: SECRET }),
      async (d, payload) => {
        seen.push({ id: d.id, name: d.name, payload });
        return { status: (payload as { fail?: boolean }).fail ? 'failed' : 'done' };
      },
      log,
    );
    const post = (id: string, payload: object, secret = SECRET) => {
      const body = JSON.stringify(payload);
      return fetch(`http://127.0.0.1:${listener!.port}/api/github/webhooks`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': sign(secret, body) },
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    };
    expect(await post('d-1', { zen: 'ok' })).toEqual({ status: 200, body: { status: 'ok', delivery: 'd-1' } });
    expect(await post('d-2', { fail: true })).toEqual({ status: 500, body: { error: "delivery d-2 failed; the bot's log has the reason" } });
    expect(await post('d-3', { zen: 'forged' }, 'other')).toMatchObject({ status: 401 });
    expect(seen).toEqual([
      { id: 'd-1', name: 'ping', payload: { zen: 'ok' } },
      { id: 'd-2', name: 'ping', payload: { fail: true } },
    ]);
    expect(lines.filter((l) => l.msg === 'webhook refused').map((l) => l.obj)).toEqual([
      { delivery: 'd-3', event: 'ping', size: 16, status: 401, reason: 'signature does not match the body and the webhook secret' },
    ]);
  });

  it('/healthz fails when the handlers thread stops checking in, and recovers', async () => {
    listener = await startThread(intakeConfig({ port: 0, host: '127.0.0.1', mode: 'local', webhookSecret: SECRET }, { stallMs: 400 }), async () => ({ status: 'done' }), log);
    const url = `http://127.0.0.1:${listener.port}/healthz`;
    expect((await fetch(url)).status).toBe(200);
    // Block this thread: no check-ins while the other process asks.
    const until = Date.now() + 800;
    while (Date.now() < until);
    expect(statusFromOutside(url)).toBe(503);
    await new Promise((r) => setTimeout(r, 600));
    expect((await fetch(url)).status).toBe(200);
  });
});
