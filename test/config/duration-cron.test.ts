import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { explainCron, scheduleCron, validateCron } from '../../src/rollout/cron.ts';
import { formatDuration, parseDuration } from '../../src/rollout/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1d2h3m4s5ms', 93_784_005],
    [' 5m ', 300_000],
  ])('%j → %i', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', '15 m', '1m1h', '1m1m', '-5m', '1.5h', 'm', '5x', '5M', '1h 30m'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(ConfigError);
    try {
      parseDuration(text, { file: 'c.yml', field: 'bake' });
    } catch (err) {
      expect((err as ConfigError).code).toBe('CONFIG_DURATION');
      expect((err as Error).message).toMatch(/^c\.yml bake: invalid duration/);
    }
  });

  it('formats what it parses', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1500)).toBe('1s500ms');
    expect(() => formatDuration(-1)).toThrow(RangeError);
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});

describe('cron', () => {
  it('validates expressions', () => {
    for (const ok of ['*/5 * * * *', '0 9 * * mon-fri', '*/30 * * * * *']) expect(validateCron(ok)).toBe(true);
    for (const bad of ['', '   ', '* * * *', '61 * * * *', 'every 5 minutes']) expect(validateCron(bad)).toBe(false);
    expect(explainCron('*/5 * * * *')).toBeUndefined();
    expect(explainCron('61 * * * *')).toMatch(/^minute: /);
  });

  it('refuses to schedule an invalid expression', () => {
    expect(() => scheduleCron('nope', () => undefined)).toThrow(/invalid cron expression "nope"/);
  });

  it('runs the function on schedule and stops', async () => {
    let runs = 0;
    let handle: { stop(): void } | undefined;
    await new Promise<void>((resolve) => {
      handle = scheduleCron('* * * * * *', () => {
        runs++;
        resolve();
      }, { timezone: 'UTC', name: 'test' });
    });
    handle!.stop();
    const after = runs;
    await new Promise((r) => setTimeout(r, 1500));
    expect(runs).toBe(after);
    expect(after).toBeGreaterThanOrEqual(1);
  });
});
