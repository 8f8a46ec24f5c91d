// Durations as people write them in config (`30s`, `15m`, `1h30m`, `2d`). Kept strict on
// purpose: `15` or `15 min` is rejected rather than guessed, because a bake time silently
// read as 15 ms would promote a canary without any soak at all.
import { ConfigError, type Location } from '../errors.ts';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
// Units must appear largest first and at most once, so `30m1h` or `1m1m` are errors.
const ORDER: Unit[] = ['d', 'h', 'm', 's', 'ms'];
const PART = /(\d+)(ms|d|h|m|s)/y;

/** Parses a duration such as `1h30m` into milliseconds. Throws ConfigError `CONFIG_DURATION`. */
export function parseDuration(text: string, where: Location = {}): number {
  const s = typeof text === 'string' ? text.trim() : '';
  const fail = (why: string): never => {
    throw new ConfigError('CONFIG_DURATION', `invalid duration ${JSON.stringify(text)}: ${why} (examples: 30s, 15m, 1h30m, 2d)`, where);
  };
  if (s === '') fail('empty');
  if (s === '0') return 0;
  let total = 0;
  let pos = 0;
  let lastRank = -1;
  PART.lastIndex = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) fail(`expected <number><unit> at ${JSON.stringify(s.slice(pos))}; units are ms, s, m, h, d`);
    const unit = m![2] as Unit;
    const rank = ORDER.indexOf(unit);
    if (rank <= lastRank) fail('units must be written largest first, each at most once');
    lastRank = rank;
    total += Number(m![1]) * UNIT_MS[unit];
    pos = PART.lastIndex;
  }
  if (!Number.isSafeInteger(total)) fail('too large');
  return total;
}

/** Formats milliseconds the way parseDuration reads them (`5400000` → `1h30m`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format duration ${ms}`);
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of ORDER) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNIT_MS[unit];
    }
  }
  return out;
}
