// A/B conditions as both traffic APIs write them: headers and query parameters, with a
// cookie condition turned into a regex on the `cookie` header (neither Istio nor the
// Gateway API matches cookies directly). Written in one fixed order, so the same match
// is always written the same way and a route the bot wrote can be recognised.
import { EditError, type Location } from '../errors.ts';
import type { AbMatch, StringMatch } from './types.ts';

export type Data = Record<string, unknown>;

/** One condition as both APIs write it: a cookie condition is a header condition on `cookie`. */
export interface Cond {
  kind: 'header' | 'query';
  name: string;
  match: StringMatch;
}

function fail(code: string, message: string, where: Location): never {
  throw new EditError(code, message, where);
}

export function record(v: unknown): Data {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {};
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a as Data);
  const kb = Object.keys(b as Data);
  return ka.length === kb.length && ka.every((k) => k in (b as Data) && deepEqual((a as Data)[k], (b as Data)[k]));
}

export function stringMatchOf(v: unknown): StringMatch | undefined {
  const m = record(v);
  for (const k of ['exact', 'prefix', 'regex'] as const) if (typeof m[k] === 'string') return { [k]: m[k] } as StringMatch;
  return undefined;
}

// ---- conditions and cookies ------------------------------------------------------------

const RE_SPECIAL = /[\\^$.*+?()[\]{}|]/g;

function escapeRe(s: string): string {
  return s.replace(RE_SPECIAL, '\\$&');
}

/** The literal a regex written by escapeRe stands for, or undefined if it is not one. */
function unescapeRe(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') {
      const c = s[i + 1];
      if (c === undefined || !/[\\^$.*+?()[\]{}|]/.test(c)) return undefined;
      out += c;
      i++;
    } else if (/[\\^$.*+?()[\]{}|]/.test(s[i])) {
      return undefined;
    } else {
      out += s[i];
    }
  }
  return out;
}

const COOKIE_HEAD = '^(.*?; ?)?(';
const COOKIE_TAIL = ')(;.*)?$';

/**
 * A cookie condition as a regex on the whole `cookie` header, after the Istio
 * walkthroughs' `^(.*?;)?(user=jason)(;.*)?$`, also allowing the space browsers put after
 * `;`: `^(.*?; ?)?(<name>=<value>)(;.*)?$`. Exact: the value is escaped and must be the
 * whole cookie value. Prefix: the escaped prefix then `[^;]*`. Regex: `(?:<regex>)`, which
 * must match the cookie value alone (no `^`/`$`, nothing past the value's `;`).
 */
export function cookieRegex(name: string, m: StringMatch): string {
  const v = 'exact' in m ? escapeRe(m.exact) : 'prefix' in m ? `${escapeRe(m.prefix)}[^;]*` : `(?:${m.regex})`;
  return `${COOKIE_HEAD}${escapeRe(name)}=${v}${COOKIE_TAIL}`;
}

/** The cookie condition a regex written by cookieRegex stands for. */
export function parseCookieRegex(re: string): { name: string; match: StringMatch } | undefined {
  if (!re.startsWith(COOKIE_HEAD) || !re.endsWith(COOKIE_TAIL)) return undefined;
  const body = re.slice(COOKIE_HEAD.length, re.length - COOKIE_TAIL.length);
  let i = 0;
  while (i < body.length && body[i] !== '=') i += body[i] === '\\' ? 2 : 1;
  const name = unescapeRe(body.slice(0, i));
  if (name === undefined || name === '' || i >= body.length) return undefined;
  const v = body.slice(i + 1);
  if (v.startsWith('(?:') && v.endsWith(')')) return { name, match: { regex: v.slice(3, -1) } };
  const exact = unescapeRe(v);
  if (exact !== undefined) return { name, match: { exact } };
  const prefix = v.endsWith('[^;]*') ? unescapeRe(v.slice(0, -5)) : undefined;
  return prefix === undefined ? undefined : { name, match: { prefix } };
}

/** The conditions of an A/B match in a fixed order (headers then query params, by name),
 *  so the same match is always written the same way. */
export function condsOf(ab: AbMatch, where: Location): Cond[] {
  const conds: Cond[] = [];
  const check = (m: unknown, what: string): StringMatch => {
    const keys = Object.keys(record(m));
    const sm = stringMatchOf(m);
    if (!sm || keys.length !== 1) fail('TRAFFIC_AB_INVALID', `${what}: give exactly one of exact, prefix or regex as a string, got ${JSON.stringify(m)}`, where);
    return sm;
  };
  for (const [name, m] of Object.entries(ab.headers ?? {})) conds.push({ kind: 'header', name: name.toLowerCase(), match: check(m, `header ${name}`) });
  for (const [name, m] of Object.entries(ab.queryParams ?? {})) conds.push({ kind: 'query', name, match: check(m, `query ${name}`) });
  const cookies = Object.entries(ab.cookies ?? {});
  if (cookies.length > 1) {
    fail('TRAFFIC_AB_COOKIES', `one cookie condition per A/B step (got ${cookies.map(([n]) => n).join(', ')}): all cookies share the one cookie header, which a route matches once`, where);
  }
  if (cookies.length === 1) {
    const [name, m] = cookies[0];
    if (conds.some((c) => c.kind === 'header' && c.name === 'cookie')) {
      fail('TRAFFIC_AB_COOKIES', 'a cookie condition and a condition on the cookie header cannot both be given: both match the cookie header', where);
    }
    conds.push({ kind: 'header', name: 'cookie', match: { regex: cookieRegex(name, check(m, `cookie ${name}`)) } });
  }
  const seen = new Set<string>();
  for (const c of conds) {
    const id = `${c.kind} ${c.name}`;
    if (c.name === '') fail('TRAFFIC_AB_INVALID', `${c.kind} name is empty`, where);
    if (seen.has(id)) fail('TRAFFIC_AB_INVALID', `${id} is given twice`, where);
    seen.add(id);
  }
  if (conds.length === 0) fail('TRAFFIC_AB_EMPTY', 'an A/B step needs at least one header, query or cookie condition', where);
  return conds.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'header' ? -1 : 1));
}

/** The A/B match conditions stand for, with a bot-written cookie regex read as a cookie. */
export function abOf(conds: Cond[]): AbMatch {
  const ab: AbMatch = {};
  for (const c of conds) {
    const cookie = c.kind === 'header' && c.name === 'cookie' && 'regex' in c.match ? parseCookieRegex(c.match.regex) : undefined;
    if (cookie) (ab.cookies ??= {})[cookie.name] = cookie.match;
    else if (c.kind === 'header') (ab.headers ??= {})[c.name] = c.match;
    else (ab.queryParams ??= {})[c.name] = c.match;
  }
  return ab;
}
