// How the routing a rollout step adds besides weights (an A/B match, a mirror) is
// written for people (status, PR bodies, Slack) and in commit trailers, which the bot
// reads back after a restart. Kept apart from the editors so the rollout, CLI and
// ChatOps code can use it without loading YAML.
import { ParseError } from '../errors.ts';
import type { AbMatch, StringMatch, TrafficExtras } from './types.ts';

/** The three condition sources of an A/B match, in the order they are written. */
const KINDS = [
  ['header', 'headers'],
  ['query', 'queryParams'],
  ['cookie', 'cookies'],
] as const;

type Kind = (typeof KINDS)[number][0];

/** One condition of an A/B match in a flat form: `header user-agent ~ .*Firefox.*`. */
export interface AbCondition {
  kind: Kind;
  name: string;
  match: StringMatch;
}

/** The conditions of `ab` in writing order (headers, query params, cookies; each in the
 *  order given). */
export function abConditions(ab: AbMatch): AbCondition[] {
  const out: AbCondition[] = [];
  for (const [kind, key] of KINDS) for (const [name, match] of Object.entries(ab[key] ?? {})) out.push({ kind, name, match });
  return out;
}

function fromConditions(conds: AbCondition[]): AbMatch {
  const ab: AbMatch = {};
  for (const c of conds) {
    const key = KINDS.find(([k]) => k === c.kind)![1];
    (ab[key] ??= {})[c.name] = c.match;
  }
  return ab;
}

function op(m: StringMatch): [string, string] {
  if ('exact' in m) return ['=', m.exact];
  if ('prefix' in m) return ['^=', m.prefix];
  return ['~', m.regex];
}

/** `header user-agent ~ .*Firefox.* and cookie user = alice`: `=` exact, `^=` prefix,
 *  `~` regular expression (matching the whole value). */
export function describeAb(ab: AbMatch): string {
  return abConditions(ab)
    .map((c) => {
      const [o, v] = op(c.match);
      return `${c.kind} ${c.name} ${o} ${v}`;
    })
    .join(' and ');
}

/** One line for people: `A/B header user-agent ~ .*Firefox.*, mirror 50%`. Empty string
 *  when the extras hold neither an A/B match nor a mirror. */
export function describeExtras(extras: TrafficExtras | undefined): string {
  const parts: string[] = [];
  if (extras?.ab) parts.push(`A/B ${describeAb(extras.ab)}`);
  if (extras?.mirror !== undefined) parts.push(`mirror ${extras.mirror}%`);
  return parts.join(', ');
}

const BARE_NAME = /^[A-Za-z0-9._-]+$/;
const BARE_VALUE = /^[^\s;&"][^\s;&]*$/;

function token(s: string, bare: RegExp): string {
  return bare.test(s) ? s : JSON.stringify(s);
}

/** The A/B conditions in the compact form of `extrasTrailer`, without the `ab:` prefix:
 *  `header user-agent~.*Firefox.* & cookie user=alice`. */
export function abText(ab: AbMatch): string {
  return abConditions(ab)
    .map((c) => {
      const [o, v] = op(c.match);
      return `${c.kind} ${token(c.name, BARE_NAME)}${o}${token(v, BARE_VALUE)}`;
    })
    .join(' & ');
}

/** Compact single-line form for a commit trailer: `ab: header user-agent~.*Firefox.*; mirror=50`.
 *  Clauses are separated by `; `, A/B conditions by ` & `; a name or value that holds
 *  spaces, `;`, `&` or quotes is written as a JSON string. Empty string for no extras.
 *  `parseExtrasTrailer` reads it back. */
export function extrasTrailer(extras: TrafficExtras | undefined): string {
  const parts: string[] = [];
  if (extras?.ab) parts.push(`ab: ${abText(extras.ab)}`);
  if (extras?.mirror !== undefined) parts.push(`mirror=${extras.mirror}`);
  return parts.join('; ');
}

/** A small reader over one line, aware of JSON strings so separators inside quotes
 *  stay part of the value. */
class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly what: string,
  ) {}

  fail(message: string): never {
    throw new ParseError('EXTRAS_SYNTAX', `${this.what} ${JSON.stringify(this.text)}: ${message} at column ${this.pos + 1}`);
  }

  spaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  done(): boolean {
    this.spaces();
    return this.pos >= this.text.length;
  }

  take(s: string): boolean {
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  /** A JSON string, or the longest run matching `bare` (sticky, anchored at pos). */
  word(bare: RegExp, what: string): string {
    if (this.text[this.pos] === '"') {
      let end = this.pos + 1;
      while (end < this.text.length && this.text[end] !== '"') end += this.text[end] === '\\' ? 2 : 1;
      if (end >= this.text.length) this.fail(`unterminated quoted ${what}`);
      const raw = this.text.slice(this.pos, end + 1);
      try {
        const v = JSON.parse(raw) as string;
        this.pos = end + 1;
        return v;
      } catch {
        this.fail(`bad quoted ${what}`);
      }
    }
    bare.lastIndex = this.pos;
    const m = bare.exec(this.text);
    if (!m || m[0] === '') this.fail(`expected a ${what}`);
    this.pos += m[0].length;
    return m[0];
  }
}

const NAME_RUN = /[A-Za-z0-9._-]*/y;
const VALUE_RUN = /[^\s;&]*/y;

function condition(c: Cursor): AbCondition {
  c.spaces();
  const kind = KINDS.map(([k]) => k).find((k) => c.take(`${k} `));
  if (!kind) c.fail('expected header, query or cookie');
  c.spaces();
  const name = c.word(NAME_RUN, 'name');
  c.spaces();
  let match: StringMatch;
  const read = () => (c.spaces(), c.word(VALUE_RUN, 'value'));
  if (c.take('^=')) match = { prefix: read() };
  else if (c.take('=')) match = { exact: read() };
  else if (c.take('~')) match = { regex: read() };
  else c.fail('expected =, ^= or ~');
  return { kind, name, match };
}

function conditions(c: Cursor, stop: (c: Cursor) => boolean): AbMatch {
  const conds = [condition(c)];
  for (;;) {
    c.spaces();
    if (c.pos >= c.text.length || stop(c)) break;
    if (!c.take('&')) c.fail('expected & between conditions');
    conds.push(condition(c));
  }
  const seen = new Set<string>();
  for (const x of conds) {
    const id = `${x.kind} ${x.kind === 'header' ? x.name.toLowerCase() : x.name}`;
    if (seen.has(id)) c.fail(`${id} is given twice`);
    seen.add(id);
  }
  return fromConditions(conds);
}

/** Reads A/B conditions written as `abText` does, also with spaces around the operator
 *  (`header user-agent ~ .*Firefox.*`), as ChatOps users type them. A value with spaces,
 *  `;` or `&` must be quoted as a JSON string. Throws ParseError EXTRAS_SYNTAX. */
export function parseAbText(text: string): AbMatch {
  const c: Cursor = new Cursor(text, 'A/B match');
  if (c.done()) c.fail('no condition');
  return conditions(c, () => false);
}

/** Reads what `extrasTrailer` wrote back into extras. An empty string gives `{}`.
 *  Throws ParseError EXTRAS_SYNTAX on anything else. */
export function parseExtrasTrailer(text: string): TrafficExtras {
  const c: Cursor = new Cursor(text, 'extras trailer');
  const out: TrafficExtras = {};
  while (!c.done()) {
    if (c.take('ab:')) {
      if (out.ab) c.fail('ab given twice');
      out.ab = conditions(c, (x) => x.text[x.pos] === ';');
    } else if (c.take('mirror=')) {
      if (out.mirror !== undefined) c.fail('mirror given twice');
      const m = /\d+/y;
      m.lastIndex = c.pos;
      const n = m.exec(c.text);
      if (!n) c.fail('expected a whole percentage');
      c.pos += n[0].length;
      out.mirror = Number(n[0]);
    } else {
      c.fail('expected ab: or mirror=');
    }
    if (!c.done() && !c.take(';')) c.fail('expected ; between clauses');
  }
  return out;
}
