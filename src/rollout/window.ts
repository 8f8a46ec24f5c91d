// Rollout windows: the weekdays and hours (in one IANA timezone) when a canary may advance.
// Evaluated through Intl so DST changes follow the tz database rather than fixed offsets.
import { ConfigError, type Location } from '../errors.ts';

export interface WindowSpec {
  /** `mon-fri`, `sat,sun`, `mon,wed-fri`; all days when omitted. */
  days?: string;
  /** `HH:MM-HH:MM`, end exclusive; `22:00-06:00` crosses midnight. All day when omitted. */
  hours?: string;
  /** IANA name such as `Europe/Berlin`; UTC when omitted. */
  timezone?: string;
}

export interface RolloutWindow {
  /** 0 = Sunday … 6 = Saturday, as Date#getDay numbers them. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight; `end` may be 1440 (24:00). */
  start: number;
  end: number;
  timezone: string;
  /** Human form for messages, e.g. `mon-fri 09:00-17:00 Europe/Berlin`. */
  label: string;
}

export interface WindowCheck {
  open: boolean;
  reason?: string;
  nextOpen?: Date;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const LONG_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
// Stepping minute by minute is simple and exact across DST; 8 days always covers a full week.
const NEXT_OPEN_LIMIT_MINUTES = 8 * 24 * 60;

export function parseWindow(spec: WindowSpec, where: Location = {}): RolloutWindow {
  if (spec === null || typeof spec !== 'object') {
    throw new ConfigError('CONFIG_WINDOW', 'rollout window must be a mapping with days, hours and timezone', where);
  }
  const timezone = validateTimezone(spec.timezone ?? 'UTC', { ...where, field: fieldOf(where, 'timezone') });
  const days = spec.days === undefined ? new Set([0, 1, 2, 3, 4, 5, 6]) : parseDays(spec.days, { ...where, field: fieldOf(where, 'days') });
  const { start, end } = spec.hours === undefined ? { start: 0, end: 1440 } : parseHours(spec.hours, { ...where, field: fieldOf(where, 'hours') });
  const label = [spec.days ?? 'every day', spec.hours ?? '00:00-24:00', timezone].join(' ');
  return { days, start, end, timezone, label };
}

export function isWindowOpen(window: RolloutWindow, at: Date): WindowCheck {
  if (openAt(window, at)) return { open: true };
  const local = localTime(at, window.timezone);
  const reason = `outside rollout window ${window.label} (now ${DAY_NAMES[local.weekday]} ${hhmm(local.minutes)} ${window.timezone})`;
  // UTC offsets are whole quarter hours and change on quarter-hour boundaries, so one Intl
  // lookup per 15-minute block is exact and keeps the minute-by-minute search cheap.
  let t = Math.floor(at.getTime() / MINUTE) * MINUTE;
  let block = NaN;
  let offset = 0;
  for (let i = 0; i < NEXT_OPEN_LIMIT_MINUTES; i++) {
    t += MINUTE;
    if (Math.floor(t / QUARTER) !== block) {
      block = Math.floor(t / QUARTER);
      offset = offsetAt(t, window.timezone);
    }
    const wall = new Date(t + offset);
    if (openOn(window, wall.getUTCDay(), wall.getUTCHours() * 60 + wall.getUTCMinutes())) return { open: false, reason, nextOpen: new Date(t) };
  }
  return { open: false, reason };
}

function openAt(w: RolloutWindow, at: Date): boolean {
  const { weekday, minutes } = localTime(at, w.timezone);
  return openOn(w, weekday, minutes);
}

function openOn(w: RolloutWindow, weekday: number, minutes: number): boolean {
  if (w.start < w.end) return w.days.has(weekday) && minutes >= w.start && minutes < w.end;
  // A window crossing midnight belongs to the day it starts on: `fri 22:00-06:00` covers
  // Friday night into Saturday morning, not Friday's early hours.
  if (minutes >= w.start) return w.days.has(weekday);
  return minutes < w.end && w.days.has((weekday + 6) % 7);
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minutes: number;
  seconds: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Wall-clock time of `at` in `timezone`. */
export function localTime(at: Date, timezone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timezone).formatToParts(at)) parts[p.type] = p.value;
  const weekday = DAY_NAMES.indexOf(parts.weekday.toLowerCase() as (typeof DAY_NAMES)[number]);
  // Some ICU versions print midnight as 24 even with h23.
  const hour = Number(parts.hour) % 24;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday,
    minutes: hour * 60 + Number(parts.minute),
    seconds: Number(parts.second),
  };
}

/** The instant at which the wall clock in `timezone` shows the given local time. A repeated
 *  hour (DST end) gives the first instant; a skipped one (DST start) maps with the offset in
 *  force before the jump, so it lands just after the jump as a wall clock would. */
export function zonedTime(year: number, month: number, day: number, minutes: number, timezone: string): Date {
  const wanted = Date.UTC(year, month - 1, day, 0, minutes);
  const before = offsetAt(wanted - 86_400_000, timezone);
  const offsets = new Set([before, offsetAt(wanted, timezone), offsetAt(wanted + 86_400_000, timezone)]);
  const hits = [...offsets].map((o) => wanted - o).filter((t) => wallAsUtc(t, timezone) === wanted);
  return new Date(hits.length > 0 ? Math.min(...hits) : wanted - before);
}

function wallAsUtc(t: number, timezone: string): number {
  const l = localTime(new Date(t), timezone);
  return Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes, l.seconds);
}

function offsetAt(t: number, timezone: string): number {
  const whole = Math.floor(t / 1000) * 1000;
  return wallAsUtc(whole, timezone) - whole;
}

export function validateTimezone(tz: unknown, where: Location = {}): string {
  if (typeof tz !== 'string' || tz.trim() === '') {
    throw new ConfigError('CONFIG_TIMEZONE', `timezone must be an IANA name such as Europe/Berlin, got ${JSON.stringify(tz)}`, where);
  }
  try {
    formatter(tz);
  } catch {
    throw new ConfigError('CONFIG_TIMEZONE', `unknown timezone ${JSON.stringify(tz)} (use an IANA name such as Europe/Berlin)`, where);
  }
  return tz;
}

function parseDays(text: unknown, where: Location): Set<number> {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new ConfigError('CONFIG_WINDOW', `days must be a string such as "mon-fri" or "sat,sun", got ${JSON.stringify(text)}`, where);
  }
  const out = new Set<number>();
  for (const raw of text.split(',')) {
    const part = raw.trim().toLowerCase();
    const range = part.split('-').map((s) => s.trim());
    if (range.length > 2 || range.some((s) => s === '')) {
      throw new ConfigError('CONFIG_WINDOW', `invalid day range ${JSON.stringify(raw.trim())} in ${JSON.stringify(text)}`, where);
    }
    const from = dayNumber(range[0], text, where);
    const to = range.length === 2 ? dayNumber(range[1], text, where) : from;
    // Ranges wrap through the weekend, so `fri-mon` means fri,sat,sun,mon.
    for (let d = from; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === to) break;
    }
  }
  return out;
}

function dayNumber(name: string, text: string, where: Location): number {
  let i = DAY_NAMES.indexOf(name as (typeof DAY_NAMES)[number]);
  if (i < 0) i = LONG_DAYS.indexOf(name);
  if (i < 0) {
    throw new ConfigError('CONFIG_WINDOW', `unknown day ${JSON.stringify(name)} in ${JSON.stringify(text)} (use mon, tue, wed, thu, fri, sat, sun)`, where);
  }
  return i;
}

function parseHours(text: unknown, where: Location): { start: number; end: number } {
  const m = typeof text === 'string' ? /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text) : null;
  if (!m) {
    throw new ConfigError('CONFIG_WINDOW', `hours must look like "09:00-17:00", got ${JSON.stringify(text)}`, where);
  }
  const start = clock(Number(m[1]), Number(m[2]), false, text as string, where);
  const end = clock(Number(m[3]), Number(m[4]), true, text as string, where);
  if (start === end) {
    throw new ConfigError('CONFIG_WINDOW', `hours ${JSON.stringify(text)} is empty: start and end are the same (use 00:00-24:00 for all day)`, where);
  }
  return { start, end };
}

function clock(h: number, m: number, isEnd: boolean, text: string, where: Location): number {
  if (m > 59 || h > 24 || (h === 24 && (m !== 0 || !isEnd))) {
    throw new ConfigError('CONFIG_WINDOW', `invalid time in hours ${JSON.stringify(text)} (use HH:MM, 00:00 to 24:00)`, where);
  }
  return h * 60 + m;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function fieldOf(where: Location, leaf: string): string {
  return where.field ? `${where.field}.${leaf}` : leaf;
}
