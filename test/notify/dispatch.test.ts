// Dispatcher behaviour with in-process notifiers (implementations of the interface, not
// mocks of HTTP); the HTTP paths are covered in slack.test.ts and webhook.test.ts.

import { describe, expect, it } from 'vitest';
import { ConfigError, NotifyError } from '../../src/errors.ts';
import { DeliveryError } from '../../src/notify/delivery.ts';
import { Dispatcher, isRetryable } from '../../src/notify/dispatch.ts';
import type { Notice, Notifier } from '../../src/notify/types.ts';
import { notice } from './fixtures.ts';
import { recordingLogger } from './server.ts';

class Scripted implements Notifier {
  readonly seen: Notice[] = [];
  constructor(
    readonly name: string,
    private readonly script: (i: number) => Promise<void>,
  ) {}
  send(n: Notice): Promise<void> {
    return this.script(this.seen.push(n) - 1);
  }
}

const ok = () => Promise.resolve();
const noWait = { sleep: async () => {} };

describe('Dispatcher', () => {
  it('does no work on the caller path and delivers a snapshot of the notice', async () => {
    const n = new Scripted('a', ok);
    const d = new Dispatcher([n], { log: recordingLogger() });
    const input = notice();
    d.notify(input);
    expect(n.seen).toHaveLength(0);
    input.app = 'mutated';
    input.plan!.edits.length = 0;
    await d.flush();
    expect(n.seen).toHaveLength(1);
    expect(n.seen[0].app).toBe('podinfo');
    expect(n.seen[0].plan!.edits).toHaveLength(2);
  });

  it('delivers to every notifier independently', async () => {
    const good = new Scripted('good', ok);
    const bad = new Scripted('bad', () => Promise.reject(new DeliveryError('NOTIFY_HTTP_STATUS', 'bad rejected: HTTP 404', { transient: false, status: 404 })));
    const log = recordingLogger();
    const d = new Dispatcher([bad, good], { log, ...noWait });
    d.notify(notice());
    d.notify(notice({ kind: 'merged' }));
    await d.flush();
    expect(good.seen.map((x) => x.kind)).toEqual(['pr-opened', 'merged']);
    expect(bad.seen).toHaveLength(2);
    expect(log.at('error').map((e) => e.obj.notifier)).toEqual(['bad', 'bad']);
    expect(log.at('error')[0].obj.summary).toContain('podinfo canary 0.2.0 → 0.2.1: PR opened');
  });

  it('never throws, even when a notifier throws synchronously', async () => {
    const throwing: Notifier = {
      name: 'sync',
      send() {
        throw new Error(`kaboom ghs_abcdefghijklmnopqrstuvwxyz0123456789`);
      },
    };
    const log = recordingLogger();
    const d = new Dispatcher([throwing], { log, attempts: 2, ...noWait });
    expect(() => d.notify(notice())).not.toThrow();
    await d.flush();
    expect(log.at('warn')).toHaveLength(2);
    expect(JSON.stringify(log.entries)).not.toContain('ghs_abcdef');
    expect(String(log.at('error')[0].obj.err)).toContain('kaboom [REDACTED]');
  });

  it('bounds a notifier that never settles with its own timeout', async () => {
    const stuck = new Scripted('stuck', () => new Promise<void>(() => {}));
    const log = recordingLogger();
    const d = new Dispatcher([stuck], { log, attempts: 3, timeoutMs: 20, ...noWait });
    d.notify(notice());
    await d.flush();
    expect(stuck.seen).toHaveLength(3);
    expect(log.at('warn').map((e) => e.obj.err)).toEqual(Array(3).fill('stuck did not answer within 20 ms'));
  });

  it('stops retrying as soon as an attempt succeeds', async () => {
    const flaky = new Scripted('flaky', (i) => (i === 0 ? Promise.reject(new Error('socket hang up')) : Promise.resolve()));
    const log = recordingLogger();
    const d = new Dispatcher([flaky], { log, ...noWait });
    d.notify(notice());
    await d.flush();
    expect(flaky.seen).toHaveLength(2);
    expect(log.at('error')).toEqual([]);
  });

  it('waits for notices sent while flushing', async () => {
    const n = new Scripted('a', ok);
    const d = new Dispatcher([n], { log: recordingLogger() });
    d.notify(notice());
    const flushed = d.flush();
    d.notify(notice({ kind: 'merged' }));
    await flushed;
    expect(n.seen).toHaveLength(2);
    await expect(new Dispatcher([], { log: recordingLogger() }).flush()).resolves.toBeUndefined();
  });

  it('backs off exponentially with jitter in the upper half, capped at maxDelayMs', () => {
    const low = new Dispatcher([], { log: recordingLogger(), baseDelayMs: 500, maxDelayMs: 8000, random: () => 0 });
    const high = new Dispatcher([], { log: recordingLogger(), baseDelayMs: 500, maxDelayMs: 8000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6].map((a) => low.delayFor(a))).toEqual([250, 500, 1000, 2000, 4000, 4000]);
    expect([1, 2, 3, 4, 5, 6].map((a) => high.delayFor(a))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    const after = new DeliveryError('NOTIFY_HTTP_STATUS', 'x', { transient: true, status: 429, retryAfterMs: 2500 });
    expect(low.delayFor(1, after)).toBe(2500);
    expect(low.delayFor(1, new DeliveryError('X', 'x', { transient: true, retryAfterMs: 60_000 }))).toBe(8000);
  });

  it('rejects nonsensical options with a NotifyError naming the option', () => {
    expect(() => new Dispatcher([], { log: recordingLogger(), attempts: 0 })).toThrow(/attempts must be a positive integer/);
    expect(() => new Dispatcher([], { log: recordingLogger(), timeoutMs: -1 })).toThrow(NotifyError);
    expect(() => new Dispatcher([], { log: recordingLogger(), baseDelayMs: Number.NaN })).toThrow(/baseDelayMs/);
  });

  it('retries transient bot errors and foreign errors, not permanent bot errors', () => {
    expect(isRetryable(new DeliveryError('NOTIFY_TIMEOUT', 't', { transient: true }))).toBe(true);
    expect(isRetryable(new DeliveryError('NOTIFY_HTTP_STATUS', 'p', { transient: false, status: 400 }))).toBe(false);
    expect(isRetryable(new ConfigError('C', 'c'))).toBe(false);
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
  });
});
