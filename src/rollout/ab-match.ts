// A/B matches as people write them: in the config (`{ match: { headers: … } }`) and by hand
// (`/canary ab podinfo header user-agent ~ .*Firefox.*`). The checks here are the ones both
// paths share, so a match the config refuses is refused by hand too.
//
// Istio and Envoy evaluate `regex` with RE2: no lookaround, no backreferences, and the
// pattern must match the whole value. JavaScript cannot run RE2, so a pattern is checked
// twice: for the constructs RE2 lacks, and for compiling as a JavaScript regex (after
// RE2's inline flags, which JavaScript spells differently, are set aside).
import { parseAbText } from '../manifests/extras-text.ts';
import type { AbMatch, StringMatch } from '../manifests/types.ts';

const RE2 = 'RE2, the regex engine of Istio and Envoy';

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Why `re` cannot be an Istio regex match, or undefined. */
export function regexProblem(re: string): string | undefined {
  if (re === '') return 'the regex is empty';
  if (hasControl(re)) return 'the regex must be one line without control characters';
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') {
      const next = re[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `backreferences (\\${next}) are not supported by ${RE2}`;
      if (!inClass && next === 'k' && re[i + 2] === '<') return `named backreferences (\\k<…>) are not supported by ${RE2}`;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      // `[]…]` and `[^]…]`: a `]` first in a class is a literal
      if (re[i + 1] === '^') i++;
      if (re[i + 1] === ']') i++;
    } else if (c === '(' && re[i + 1] === '?') {
      const rest = re.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!')) return `lookahead ((?=…), (?!…)) is not supported by ${RE2}`;
      if (rest.startsWith('<=') || rest.startsWith('<!')) return `lookbehind ((?<=…), (?<!…)) is not supported by ${RE2}`;
    }
  }
  const js = re
    .replace(/\(\?[imsU]+\)/g, '')
    .replace(/\(\?[imsU]*-?[imsU]*:/g, '(?:')
    .replace(/\(\?P</g, '(?<');
  try {
    new RegExp(js);
  } catch (err) {
    return `the regex does not compile: ${(err as Error).message}`;
  }
  return undefined;
}

/** Istio requires header names in lower case; both APIs take HTTP token characters. */
export function headerNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return `${JSON.stringify(name)} is not an HTTP header name`;
  if (name !== name.toLowerCase()) return `header names are lower case (Istio requires it): write ${JSON.stringify(name.toLowerCase())}`;
  return undefined;
}

export function queryNameProblem(name: string): string | undefined {
  return /^[^\s&=#]+$/.test(name) && !hasControl(name) ? undefined : `${JSON.stringify(name)} is not a query parameter name`;
}

export function cookieNameProblem(name: string): string | undefined {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) ? undefined : `${JSON.stringify(name)} is not a cookie name`;
}

/** Why an exact or prefix value cannot be matched, or undefined. */
export function valueProblem(value: string): string | undefined {
  if (value === '') return 'the value is empty';
  if (hasControl(value)) return 'the value must be one line without control characters';
  return undefined;
}

/** Why `ab` cannot be routed, or undefined: every name and value checked as the config is. */
export function abMatchProblem(ab: AbMatch): string | undefined {
  const checks: Array<[Record<string, StringMatch> | undefined, (n: string) => string | undefined]> = [
    [ab.headers, headerNameProblem],
    [ab.queryParams, queryNameProblem],
    [ab.cookies, cookieNameProblem],
  ];
  let n = 0;
  for (const [conds, nameProblem] of checks) {
    for (const [name, m] of Object.entries(conds ?? {})) {
      n++;
      const why = nameProblem(name) ?? ('regex' in m ? regexProblem(m.regex) : valueProblem('exact' in m ? m.exact : m.prefix));
      if (why) return why;
    }
  }
  return n === 0 ? 'an A/B match needs at least one header, query parameter or cookie condition' : undefined;
}

/** The command syntax, for usage messages. */
export const AB_SYNTAX = '`off`, or `header|query|cookie <name> ~|=|^= <value>` (`~` regex, `=` exact, `^=` prefix; more conditions joined by `&`; a value with spaces as a JSON string)';

export type AbSpec = { ok: true; match: AbMatch | null } | { ok: false; error: string };

const OPERATORS: Record<string, 'regex' | 'exact' | 'prefix'> = { '~': 'regex', '=': 'exact', '^=': 'prefix' };
const FIELDS: Record<string, keyof AbMatch> = { header: 'headers', query: 'queryParams', cookie: 'cookies' };

/** `off`, or conditions as status prints them (`header user-agent ~ .*Firefox.*`). */
export function parseAbCommand(text: string): AbSpec {
  const t = text.trim();
  if (/^off$/i.test(t)) return { ok: true, match: null };
  let match: AbMatch;
  try {
    match = parseAbText(t);
  } catch (err) {
    // one condition whose value holds spaces, unquoted: the value is the rest of the line
    const one = /^(\S+)\s+(\S+)\s+(~|=|\^=)\s+(.+)$/.exec(t);
    if (one && FIELDS[one[1]]) return parseAbWords([one[1], one[2], one[3], one[4]]);
    return { ok: false, error: `${(err as Error).message}; expected ${AB_SYNTAX}` };
  }
  const why = abMatchProblem(match);
  return why ? { ok: false, error: why } : { ok: true, match };
}

/** The same from command-line words. Exactly `<kind> <name> <op> <value>` takes the value
 *  as the shell passed it (spaces and all); anything else is read as one line. */
export function parseAbWords(words: readonly string[]): AbSpec {
  const [kind, name, op, value] = words;
  const field = FIELDS[kind ?? ''];
  const how = OPERATORS[op ?? ''];
  if (words.length !== 4 || !field || !how) return parseAbCommand(words.join(' '));
  const match: AbMatch = { [field]: { [name]: { [how]: value } as StringMatch } };
  const why = abMatchProblem(match);
  return why ? { ok: false, error: why } : { ok: true, match };
}
