import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { activeFreeze, parseFreeze } from '../../src/rollout/freeze.ts';

const at = (iso: string) => new Date(iso);
const holidays = ['2026-12-20/2027-01-04'];

describe('activeFreeze', () => {
  it('covers date ranges inclusive of the whole end day (UTC by default)', () => {
    expect(activeFreeze(holidays, at('2026-12-19T23:59:59Z'))).toBeUndefined();
    expect(activeFreeze(holidays, at('2026-12-20T00:00:00Z'))).toBe('2026-12-20/2027-01-04');
    expect(activeFreeze(holidays, at('2027-01-04T23:59:59Z'))).toBe('2026-12-20/2027-01-04');
    expect(activeFreeze(holidays, at('2027-01-05T00:00:00Z'))).toBeUndefined();
  });

  it('reads dates in the given timezone', () => {
    // Berlin is UTC+1 in winter: the freeze starts 2026-12-19T23:00Z and ends 2027-01-04T23:00Z.
    expect(activeFreeze(holidays, at('2026-12-19T22:59:59Z'), 'Europe/Berlin')).toBeUndefined();
    expect(activeFreeze(holidays, at('2026-12-19T23:00:00Z'), 'Europe/Berlin')).toBe('2026-12-20/2027-01-04');
    expect(activeFreeze(holidays, at('2027-01-04T22:59:59Z'), 'Europe/Berlin')).toBe('2026-12-20/2027-01-04');
    expect(activeFreeze(holidays, at('2027-01-04T23:00:00Z'), 'Europe/Berlin')).toBeUndefined();
  });

  it('treats a single date as that whole day', () => {
    expect(activeFreeze(['2026-12-24'], at('2026-12-24T00:00:00Z'))).toBe('2026-12-24');
    expect(activeFreeze(['2026-12-24'], at('2026-12-24T23:59:59Z'))).toBe('2026-12-24');
    expect(activeFreeze(['2026-12-24'], at('2026-12-25T00:00:00Z'))).toBeUndefined();
  });

  it('takes datetimes with offsets as exact instants, end exclusive', () => {
    const f = ['2026-11-27T18:00:00Z/2026-11-30T06:00:00+01:00'];
    expect(activeFreeze(f, at('2026-11-27T17:59:59Z'))).toBeUndefined();
    expect(activeFreeze(f, at('2026-11-27T18:00:00Z'))).toBe(f[0]);
    expect(activeFreeze(f, at('2026-11-30T04:59:59Z'))).toBe(f[0]);
    expect(activeFreeze(f, at('2026-11-30T05:00:00Z'))).toBeUndefined();
  });

  it('reads datetimes without offset in the timezone, across DST', () => {
    const f = ['2026-07-01T10:00/2026-07-01T12:00'];
    expect(activeFreeze(f, at('2026-07-01T07:59:00Z'), 'Europe/Berlin')).toBeUndefined();
    expect(activeFreeze(f, at('2026-07-01T08:00:00Z'), 'Europe/Berlin')).toBe(f[0]);
    expect(activeFreeze(f, at('2026-07-01T10:00:00Z'), 'Europe/Berlin')).toBeUndefined();
  });

  it('mixes a date start with a datetime end', () => {
    const f = ['2026-12-31/2027-01-01T12:00Z'];
    expect(activeFreeze(f, at('2026-12-31T00:00:00Z'))).toBe(f[0]);
    expect(activeFreeze(f, at('2027-01-01T12:00:00Z'))).toBeUndefined();
  });

  it('reports the overlapping freeze that ends last', () => {
    const ranges = parseFreeze(['2026-12-20/2026-12-27', '2026-12-24/2027-01-02']);
    expect(ranges.map((r) => r.end.toISOString())).toEqual(['2026-12-28T00:00:00.000Z', '2027-01-03T00:00:00.000Z']);
    expect(activeFreeze(['2026-12-20/2026-12-27', '2026-12-24/2027-01-02'], at('2026-12-25T12:00:00Z'))).toBe('2026-12-24/2027-01-02');
  });

  it('is empty for no entries', () => {
    expect(activeFreeze([], at('2026-12-25T12:00:00Z'))).toBeUndefined();
  });
});

describe('parseFreeze errors', () => {
  it.each([
    ['2026-02-30', /no such date "2026-02-30"/],
    ['2026-12-20/2026-12-01', /end is not after start/],
    ['next week', /a single entry must be a date/],
    ['2026-12-20T10:00', /write datetimes as START\/END/],
    ['2026-12-20/2026-12-24/2026-12-30', /expected START\/END/],
    ['2026-12-20/soon', /invalid end "soon"/],
    ['2026-12-20T25:00/2026-12-21', /invalid time/],
  ])('rejects %j naming the entry', (entry, message) => {
    let err: unknown;
    try {
      parseFreeze(['2026-01-01', entry], 'UTC', { file: 'apps.yaml', field: 'apps.podinfo.rollout.freeze' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_FREEZE');
    expect((err as ConfigError).location.field).toBe('apps.podinfo.rollout.freeze[1]');
    expect((err as ConfigError).message).toMatch(message);
  });

  it('rejects an unknown timezone', () => {
    expect(() => parseFreeze(holidays, 'Nowhere/Special')).toThrow(/unknown timezone/);
  });
});
