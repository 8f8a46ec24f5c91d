// Deploy freezes: periods when no canary advances (rollbacks still happen; see decide.ts).
// Entries are `2026-12-24` (one whole day), `2026-12-20/2027-01-04` (both days inclusive) or
// ISO datetimes on either side (`2026-12-20T18:00:00Z/2027-01-04T08:00`). Dates and datetimes
// without an offset are read in the window's timezone, or UTC when there is no window.
import { ConfigError, type Location } from '../errors.ts';
import { validateTimezone, zonedTime } from './window.ts';

export interface FreezeRange {
  /** The entry as written in config, used in messages. */
  label: string;
  start: Date;
  /** Exclusive. */
  end: Date;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export function parseFreeze(entries: readonly string[], timezone = 'UTC', where: Location = {}): FreezeRange[] {
  if (!Array.isArray(entries)) {
    throw new ConfigError('CONFIG_FREEZE', 'freeze must be a list such as ["2026-12-20/2027-01-04"]', where);
  }
  const tz = validateTimezone(timezone, where);
  return entries.map((entry, i) => parseEntry(entry, tz, { ...where, field: `${where.field ?? 'freeze'}[${i}]` }));
}

/** The freeze entry in force at `at`, as written in config, or undefined. */
export function activeFreeze(freeze: readonly string[], at: Date, timezone?: string): string | undefined {
  return activeFreezeRange(parseFreeze(freeze, timezone), at)?.label;
}

export function activeFreezeRange(ranges: readonly FreezeRange[], at: Date): FreezeRange | undefined {
  const t = at.getTime();
  // When freezes overlap, report the one ending last: that is when advancing can resume.
  let found: FreezeRange | undefined;
  for (const r of ranges) {
    if (t >= r.start.getTime() && t < r.end.getTime() && (!found || r.end > found.end)) found = r;
  }
  return found;
}

function parseEntry(entry: unknown, tz: string, where: Location): FreezeRange {
  if (typeof entry !== 'string' || entry.trim() === '') {
    throw new ConfigError('CONFIG_FREEZE', `freeze entry must be a date or range such as "2026-12-20/2027-01-04", got ${JSON.stringify(entry)}`, where);
  }
  const label = entry.trim();
  const sides = label.split('/').map((s) => s.trim());
  if (sides.length > 2 || sides.some((s) => s === '')) {
    throw new ConfigError('CONFIG_FREEZE', `invalid freeze ${JSON.stringify(label)}: expected START/END or a single date`, where);
  }
  if (sides.length === 1 && !DATE.test(sides[0])) {
    throw new ConfigError('CONFIG_FREEZE', `invalid freeze ${JSON.stringify(label)}: a single entry must be a date (YYYY-MM-DD); write datetimes as START/END`, where);
  }
  const start = point(sides[0], 'start', tz, label, where);
  const end = point(sides[sides.length - 1], 'end', tz, label, where);
  if (end.getTime() <= start.getTime()) {
    throw new ConfigError('CONFIG_FREEZE', `invalid freeze ${JSON.stringify(label)}: end is not after start`, where);
  }
  return { label, start, end };
}

function point(text: string, side: 'start' | 'end', tz: string, label: string, where: Location): Date {
  const d = DATE.exec(text);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    checkDate(y, m, day, text, label, where);
    // An end date covers that whole day, so the range ends at the next local midnight.
    const next = new Date(Date.UTC(y, m - 1, day + (side === 'end' ? 1 : 0)));
    return zonedTime(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, tz);
  }
  const t = DATETIME.exec(text);
  if (!t) {
    throw new ConfigError('CONFIG_FREEZE', `invalid ${side} ${JSON.stringify(text)} in freeze ${JSON.stringify(label)}: use YYYY-MM-DD or an ISO datetime`, where);
  }
  const [y, m, day, hh, mm, ss] = [1, 2, 3, 4, 5, 6].map((i) => Number(t[i] ?? 0));
  checkDate(y, m, day, text, label, where);
  if (hh > 23 || mm > 59 || ss > 59) {
    throw new ConfigError('CONFIG_FREEZE', `invalid time in ${JSON.stringify(text)} in freeze ${JSON.stringify(label)}`, where);
  }
  if (t[7]) {
    const parsed = new Date(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(parsed.getTime())) {
      throw new ConfigError('CONFIG_FREEZE', `invalid datetime ${JSON.stringify(text)} in freeze ${JSON.stringify(label)}`, where);
    }
    return parsed;
  }
  return new Date(zonedTime(y, m, day, hh * 60 + mm, tz).getTime() + ss * 1000);
}

function checkDate(y: number, m: number, d: number, text: string, label: string, where: Location): void {
  const probe = new Date(Date.UTC(y, m - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) {
    throw new ConfigError('CONFIG_FREEZE', `no such date ${JSON.stringify(text)} in freeze ${JSON.stringify(label)}`, where);
  }
}
