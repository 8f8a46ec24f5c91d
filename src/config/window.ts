// Rollout windows and freeze periods. The config keeps them as the strings people wrote;
// these helpers parse them (the schema calls the same parsers, so anything that loaded
// parses here too) and answer "may the canary move at this instant?".

export const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** True when the runtime knows the IANA zone (Intl throws RangeError otherwise). */
export function isValidTimezone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function dayIndex(token: string): number {
  const i = DAY_NAMES.indexOf(token.trim().toLowerCase().slice(0, 3) as (typeof DAY_NAMES)[number]);
  // Accept `mon` and `monday`, not `mo` or `mondays`.
  const full = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  const t = token.trim().toLowerCase();
  if (i < 0 || (t.length !== 3 && t !== full[i])) {
    throw new RangeError(`unknown day ${JSON.stringify(token.trim())} (use sun, mon, tue, wed, thu, fri, sat)`);
  }
  return i;
}

/** `mon-fri`, `sat,sun`, `mon,wed-fri`, `fri-mon` (wraps) → set of weekday numbers, 0 = Sunday. */
export function parseDays(spec: string): Set<number> {
  const days = new Set<number>();
  const parts = String(spec).split(',');
  for (const part of parts) {
    if (part.trim() === '') throw new RangeError(`empty entry in day list ${JSON.stringify(spec)}`);
    const range = part.split('-');
    if (range.length > 2) throw new RangeError(`bad day range ${JSON.stringify(part.trim())}`);
    const from = dayIndex(range[0]);
    const to = range.length === 2 ? dayIndex(range[1]) : from;
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return days;
}

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;

function minutesOf(s: string, allow24: boolean): number {
  const m = HHMM.exec(s.trim());
  if (!m) throw new RangeError(`bad time ${JSON.stringify(s.trim())} (expected HH:MM)`);
  const total = Number(m[1]) * 60 + Number(m[2]);
  if (total > 24 * 60 || (total === 24 * 60 && !allow24)) throw new RangeError(`bad time ${JSON.stringify(s.trim())}`);
  return total;
}

export interface HoursRange {
  /** Minutes after local midnight, inclusive. */
  start: number;
  /** Minutes after local midnight, exclusive; may be below start for overnight windows. */
  end: number;
}

/** `09:00-17:00` → {start: 540, end: 1020}. `22:00-06:00` is an overnight window. */
export function parseHours(spec: string): HoursRange {
  const parts = String(spec).split('-');
  if (parts.length !== 2) throw new RangeError(`bad hours ${JSON.stringify(spec)} (expected HH:MM-HH:MM)`);
  const start = minutesOf(parts[0], false);
  const end = minutesOf(parts[1], true);
  if (start === end) throw new RangeError(`empty hours range ${JSON.stringify(spec)}`);
  return { start, end };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Offset of `tz` from UTC at instant `ms`, in ms (positive east of Greenwich). */
function zoneOffset(ms: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(ms / 1000) * 1000;
}

/** The instant at which the wall clock in `tz` shows the given local time. */
function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, tz: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let guess = wall - zoneOffset(wall, tz);
  // A second pass settles instants near a DST change.
  guess = wall - zoneOffset(guess, tz);
  return guess;
}

function checkCalendar(y: number, mo: number, d: number, text: string): void {
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) {
    throw new RangeError(`no such date ${JSON.stringify(text)}`);
  }
}

function parseInstant(text: string, tz: string, endOfDay: boolean): number {
  const t = text.trim();
  const dm = DATE.exec(t);
  if (dm) {
    const [y, mo, d] = [Number(dm[1]), Number(dm[2]), Number(dm[3])];
    checkCalendar(y, mo, d, t);
    // A date-only end covers that whole day: the range is inclusive.
    return endOfDay ? zonedToUtc(y, mo, d + 1, 0, 0, 0, tz) - 1 : zonedToUtc(y, mo, d, 0, 0, 0, tz);
  }
  const m = DATETIME.exec(t);
  if (!m) throw new RangeError(`bad date ${JSON.stringify(t)} (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])`);
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  checkCalendar(y, mo, d, t);
  if (h > 23 || mi > 59 || s > 59) throw new RangeError(`bad time in ${JSON.stringify(t)}`);
  if (m[7]) {
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7].length === 5 ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : m[7].toUpperCase()}`);
    if (Number.isNaN(ms)) throw new RangeError(`bad date ${JSON.stringify(t)}`);
    return ms;
  }
  return zonedToUtc(y, mo, d, h, mi, s, tz);
}

export interface FreezeRange {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, inclusive. */
  end: number;
}

/** `2026-12-20/2027-01-04` (dates inclusive, whole days) or a single date, or datetimes.
 *  Times without an offset are read in `tz`. */
export function parseFreeze(spec: string, tz = 'UTC'): FreezeRange {
  const parts = String(spec).split('/');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) {
    throw new RangeError(`bad freeze range ${JSON.stringify(spec)} (expected START/END, e.g. 2026-12-20/2027-01-04)`);
  }
  const start = parseInstant(parts[0], tz, false);
  const end = parseInstant(parts[parts.length - 1], tz, true);
  if (start > end) throw new RangeError(`freeze range ${JSON.stringify(spec)} ends before it starts`);
  return { start, end };
}

export interface WindowSpec {
  days?: string;
  hours?: string;
  timezone?: string;
}

/** True when `at` lies inside the window (no window means always). Days are judged by the
 *  local date at `at`, so an overnight `22:00-06:00` on `mon-fri` includes Saturday 01:00
 *  only if `sat` is listed. */
export function inWindow(at: Date, window: WindowSpec | undefined): boolean {
  if (!window) return true;
  const tz = window.timezone ?? 'UTC';
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  if (window.days !== undefined && !parseDays(window.days).has(dayIndex(get('weekday')))) return false;
  if (window.hours === undefined) return true;
  const { start, end } = parseHours(window.hours);
  const now = Number(get('hour')) * 60 + Number(get('minute'));
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** The first freeze range containing `at`, if any. */
export function activeFreeze(at: Date, freeze: readonly string[] | undefined, tz = 'UTC'): string | undefined {
  const t = at.getTime();
  return (freeze ?? []).find((f) => {
    const r = parseFreeze(f, tz);
    return t >= r.start && t <= r.end;
  });
}
