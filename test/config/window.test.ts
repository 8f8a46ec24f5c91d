import { describe, expect, it } from 'vitest';
import { activeFreeze, inWindow, isValidTimezone, parseDays, parseFreeze, parseHours } from '../../src/config/index.ts';

describe('window parsing', () => {
  it('parses day lists and ranges', () => {
    expect([...parseDays('mon-fri')].sort()).toEqual([1, 2, 3, 4, 5]);
    expect([...parseDays('sat,sun')].sort()).toEqual([0, 6]);
    expect([...parseDays('mon,wed-fri')].sort()).toEqual([1, 3, 4, 5]);
    expect([...parseDays('fri-mon')].sort()).toEqual([0, 1, 5, 6]);
    expect([...parseDays('Monday')]).toEqual([1]);
    for (const bad of ['', 'mo', 'mon-', 'mon--fri', 'mon,,tue', 'mondays']) expect(() => parseDays(bad)).toThrow(RangeError);
  });

  it('parses hours', () => {
    expect(parseHours('09:00-17:00')).toEqual({ start: 540, end: 1020 });
    expect(parseHours('22:00-06:00')).toEqual({ start: 1320, end: 360 });
    expect(parseHours('00:00-24:00')).toEqual({ start: 0, end: 1440 });
    for (const bad of ['9-17', '09:00', '09:00-09:00', '24:00-01:00', '09:60-10:00', '25:00-26:00']) expect(() => parseHours(bad)).toThrow(RangeError);
  });

  it('knows time zones', () => {
    expect(isValidTimezone('Europe/Berlin')).toBe(true);
    expect(isValidTimezone('UTC')).toBe(true);
    expect(isValidTimezone('Mars/Olympus')).toBe(false);
    expect(isValidTimezone('')).toBe(false);
  });

  it('parses freeze ranges as whole days in the zone, inclusive', () => {
    expect(parseFreeze('2026-12-20/2027-01-04')).toEqual({ start: Date.parse('2026-12-20T00:00:00Z'), end: Date.parse('2027-01-05T00:00:00Z') - 1 });
    expect(parseFreeze('2026-12-25', 'Europe/Berlin')).toEqual({ start: Date.parse('2026-12-24T23:00:00Z'), end: Date.parse('2026-12-25T23:00:00Z') - 1 });
    // Summer time: Berlin is UTC+2.
    expect(parseFreeze('2026-07-01T18:00/2026-07-02T06:00', 'Europe/Berlin')).toEqual({ start: Date.parse('2026-07-01T16:00:00Z'), end: Date.parse('2026-07-02T04:00:00Z') });
    expect(parseFreeze('2026-07-01T16:00:00Z/2026-07-01T19:00:00+02:00', 'Asia/Tokyo')).toEqual({ start: Date.parse('2026-07-01T16:00:00Z'), end: Date.parse('2026-07-01T17:00:00Z') });
    expect(() => parseFreeze('2026-07-01T18:00:00Z/2026-07-01T19:00:00+02:00')).toThrow(/ends before it starts/);
    for (const bad of ['2026-13-01', '2026-02-30', '2027-01-04/2026-12-20', 'soon', '2026-12-20/', '/2026-12-20', 'a/b/c']) expect(() => parseFreeze(bad)).toThrow(RangeError);
  });
});

describe('window evaluation', () => {
  const win = { days: 'mon-fri', hours: '09:00-17:00', timezone: 'Europe/Berlin' };

  it('answers inside and outside', () => {
    // 2026-07-01 is a Wednesday; Berlin is UTC+2 in July.
    expect(inWindow(new Date('2026-07-01T07:00:00Z'), win)).toBe(true);
    expect(inWindow(new Date('2026-07-01T06:59:00Z'), win)).toBe(false);
    expect(inWindow(new Date('2026-07-01T15:00:00Z'), win)).toBe(false);
    expect(inWindow(new Date('2026-07-04T10:00:00Z'), win)).toBe(false);
    expect(inWindow(new Date('2026-07-04T10:00:00Z'), undefined)).toBe(true);
    expect(inWindow(new Date('2026-07-04T23:30:00Z'), { hours: '22:00-06:00' })).toBe(true);
    expect(inWindow(new Date('2026-07-04T12:00:00Z'), { hours: '22:00-06:00' })).toBe(false);
  });

  it('finds the active freeze', () => {
    const freeze = ['2026-12-20/2027-01-04', '2026-07-01'];
    expect(activeFreeze(new Date('2027-01-04T23:59:00Z'), freeze)).toBe('2026-12-20/2027-01-04');
    expect(activeFreeze(new Date('2027-01-05T00:00:00Z'), freeze)).toBeUndefined();
    expect(activeFreeze(new Date('2026-07-01T12:00:00Z'), freeze)).toBe('2026-07-01');
    expect(activeFreeze(new Date('2026-06-30T23:30:00Z'), freeze, 'Europe/Berlin')).toBe('2026-07-01');
  });
});
