import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { isWindowOpen, localTime, parseWindow, zonedTime } from '../../src/rollout/window.ts';

const at = (iso: string) => new Date(iso);
const berlinOffice = parseWindow({ days: 'mon-fri', hours: '09:00-17:00', timezone: 'Europe/Berlin' });

describe('parseWindow', () => {
  it('parses day lists, ranges and wrapping ranges', () => {
    expect([...parseWindow({ days: 'mon-fri' }).days].sort()).toEqual([1, 2, 3, 4, 5]);
    expect([...parseWindow({ days: 'sat,sun' }).days].sort()).toEqual([0, 6]);
    expect([...parseWindow({ days: 'mon,wed-fri' }).days].sort()).toEqual([1, 3, 4, 5]);
    expect([...parseWindow({ days: 'fri-mon' }).days].sort()).toEqual([0, 1, 5, 6]);
    expect([...parseWindow({ days: 'Monday, TUE' }).days].sort()).toEqual([1, 2]);
  });

  it('defaults to every day, all day, UTC', () => {
    const w = parseWindow({});
    expect(w.days.size).toBe(7);
    expect([w.start, w.end, w.timezone]).toEqual([0, 1440, 'UTC']);
    expect(isWindowOpen(w, at('2026-06-07T03:17:00Z')).open).toBe(true);
  });

  it.each([
    [{ days: 'mon-xyz' }, 'days', /unknown day "xyz"/],
    [{ days: 'mon--fri' }, 'days', /invalid day range/],
    [{ days: '' }, 'days', /days must be/],
    [{ hours: '9-17' }, 'hours', /hours must look like "09:00-17:00"/],
    [{ hours: '25:00-26:00' }, 'hours', /invalid time/],
    [{ hours: '24:00-06:00' }, 'hours', /invalid time/],
    [{ hours: '09:60-10:00' }, 'hours', /invalid time/],
    [{ hours: '10:00-10:00' }, 'hours', /is empty/],
    [{ timezone: 'Mars/Olympus_Mons' }, 'timezone', /unknown timezone "Mars\/Olympus_Mons"/],
  ])('rejects %j naming the field', (spec, field, message) => {
    let err: unknown;
    try {
      parseWindow(spec, { file: 'apps.yaml', field: 'apps.podinfo.rollout.window' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toMatch(/^CONFIG_/);
    expect((err as ConfigError).location.field).toBe(`apps.podinfo.rollout.window.${field}`);
    expect((err as ConfigError).message).toMatch(message);
    expect((err as ConfigError).message).toContain('apps.yaml');
  });
});

describe('isWindowOpen in Europe/Berlin', () => {
  it('opens at the start minute and closes at the end minute (end exclusive), winter time', () => {
    // 2026-01-09 is a Friday; Berlin is UTC+1.
    expect(isWindowOpen(berlinOffice, at('2026-01-09T07:59:59Z')).open).toBe(false);
    expect(isWindowOpen(berlinOffice, at('2026-01-09T08:00:00Z')).open).toBe(true);
    expect(isWindowOpen(berlinOffice, at('2026-01-09T15:59:59Z')).open).toBe(true);
    expect(isWindowOpen(berlinOffice, at('2026-01-09T16:00:00Z')).open).toBe(false);
  });

  it('follows summer time (UTC+2)', () => {
    // 2026-07-06 is a Monday.
    expect(isWindowOpen(berlinOffice, at('2026-07-06T06:59:00Z')).open).toBe(false);
    expect(isWindowOpen(berlinOffice, at('2026-07-06T07:00:00Z')).open).toBe(true);
    expect(isWindowOpen(berlinOffice, at('2026-07-06T14:59:00Z')).open).toBe(true);
    expect(isWindowOpen(berlinOffice, at('2026-07-06T15:00:00Z')).open).toBe(false);
  });

  it('explains a closed window and finds the next opening across the spring DST change', () => {
    // Saturday 2026-03-28 11:00 CET; DST starts Sunday 2026-03-29, so Monday 09:00 is 07:00Z.
    const r = isWindowOpen(berlinOffice, at('2026-03-28T10:00:00Z'));
    expect(r.open).toBe(false);
    expect(r.reason).toBe('outside rollout window mon-fri 09:00-17:00 Europe/Berlin (now sat 11:00 Europe/Berlin)');
    expect(r.nextOpen?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('finds the next opening across the autumn DST change', () => {
    // Friday 2026-10-23 18:00 CEST; DST ends Sunday 2026-10-25, so Monday 09:00 is 08:00Z.
    const r = isWindowOpen(berlinOffice, at('2026-10-23T16:00:00Z'));
    expect(r.nextOpen?.toISOString()).toBe('2026-10-26T08:00:00.000Z');
  });

  it('next opening is later the same day before the window and never the current minute', () => {
    expect(isWindowOpen(berlinOffice, at('2026-01-09T07:15:30Z')).nextOpen?.toISOString()).toBe('2026-01-09T08:00:00.000Z');
  });

  it('handles windows crossing midnight, owned by the day they start on', () => {
    const nights = parseWindow({ days: 'fri', hours: '22:00-06:00', timezone: 'Europe/Berlin' });
    expect(isWindowOpen(nights, at('2026-01-09T20:59:00Z')).open).toBe(false); // Fri 21:59
    expect(isWindowOpen(nights, at('2026-01-09T21:00:00Z')).open).toBe(true); // Fri 22:00
    expect(isWindowOpen(nights, at('2026-01-10T04:59:00Z')).open).toBe(true); // Sat 05:59
    expect(isWindowOpen(nights, at('2026-01-10T05:00:00Z')).open).toBe(false); // Sat 06:00
    expect(isWindowOpen(nights, at('2026-01-09T03:00:00Z')).open).toBe(false); // Fri 04:00 belongs to Thursday night
    expect(isWindowOpen(nights, at('2026-01-10T21:30:00Z')).open).toBe(false); // Sat 22:30
    expect(isWindowOpen(nights, at('2026-01-10T12:00:00Z')).nextOpen?.toISOString()).toBe('2026-01-16T21:00:00.000Z');
  });

  it('skips a window whose hours do not exist on the DST-start day', () => {
    const w = parseWindow({ hours: '02:00-03:00', timezone: 'Europe/Berlin' });
    // 2026-03-29 01:30 CET; 02:00-03:00 local is skipped that night.
    const r = isWindowOpen(w, at('2026-03-29T00:30:00Z'));
    expect(r.open).toBe(false);
    expect(r.nextOpen?.toISOString()).toBe('2026-03-30T00:00:00.000Z');
  });

  it('finds a one-minute weekly window within a week from any weekday', () => {
    for (const day of ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']) {
      const w = parseWindow({ days: day, hours: '12:00-12:01', timezone: 'Pacific/Kiritimati' });
      const r = isWindowOpen(w, at('2026-05-01T00:00:00Z'));
      expect(r.nextOpen).toBeInstanceOf(Date);
      expect(r.nextOpen!.getTime() - Date.parse('2026-05-01T00:00:00Z')).toBeLessThanOrEqual(7 * 86_400_000);
      expect(isWindowOpen(w, r.nextOpen!).open).toBe(true);
    }
  });
});

describe('time zone helpers', () => {
  it('localTime reads the wall clock', () => {
    expect(localTime(at('2026-07-06T22:30:00Z'), 'Europe/Berlin')).toMatchObject({ year: 2026, month: 7, day: 7, weekday: 2, minutes: 30 });
  });

  it('zonedTime maps wall times back to instants, including DST edges', () => {
    expect(zonedTime(2026, 12, 20, 0, 'Europe/Berlin').toISOString()).toBe('2026-12-19T23:00:00.000Z');
    expect(zonedTime(2026, 7, 1, 600, 'Europe/Berlin').toISOString()).toBe('2026-07-01T08:00:00.000Z');
    // Repeated hour on 2026-10-25: the first 02:30 (CEST).
    expect(zonedTime(2026, 10, 25, 150, 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    // Skipped hour on 2026-03-29: lands after the jump.
    expect(zonedTime(2026, 3, 29, 150, 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});
