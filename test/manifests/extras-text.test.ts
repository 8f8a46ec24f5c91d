// How A/B matches and mirrors read for people and in commit trailers, and that a trailer
// reads back as the extras it was written from, whatever the names and values hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeAb, describeExtras, extrasTrailer, parseAbText, parseExtrasTrailer } from '../../src/manifests/extras-text.ts';
import type { AbMatch, StringMatch, TrafficExtras } from '../../src/manifests/types.ts';
import { BotError } from '../../src/errors.ts';

const FIREFOX: TrafficExtras = { ab: { headers: { 'user-agent': { regex: '.*Firefox.*' } } } };

function syntaxError(fn: () => unknown): BotError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BotError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('describeExtras', () => {
  it('names each kind of step', () => {
    expect(describeExtras(FIREFOX)).toBe('A/B header user-agent ~ .*Firefox.*');
    expect(describeExtras({ mirror: 50 })).toBe('mirror 50%');
    expect(describeExtras({ ...FIREFOX, mirror: 100 })).toBe('A/B header user-agent ~ .*Firefox.*, mirror 100%');
    expect(describeExtras({})).toBe('');
    expect(describeExtras(undefined)).toBe('');
  });

  it('writes exact, prefix and regex conditions in header, query, cookie order', () => {
    const ab: AbMatch = { cookies: { user: { exact: 'jason' } }, queryParams: { v: { prefix: '2' } }, headers: { 'x-a': { exact: 'b' } } };
    expect(describeAb(ab)).toBe('header x-a = b and query v ^= 2 and cookie user = jason');
  });
});

describe('extras trailers', () => {
  it('are compact and read back', () => {
    const e: TrafficExtras = { ...FIREFOX, mirror: 50 };
    expect(extrasTrailer(e)).toBe('ab: header user-agent~.*Firefox.*; mirror=50');
    expect(parseExtrasTrailer('ab: header user-agent~.*Firefox.*; mirror=50')).toEqual(e);
    expect(extrasTrailer({ mirror: 10 })).toBe('mirror=10');
    expect(extrasTrailer({})).toBe('');
    expect(parseExtrasTrailer('')).toEqual({});
  });

  it('quote names and values that would break the line apart', () => {
    const e: TrafficExtras = { ab: { headers: { 'x-a': { exact: 'a b; c & d' } }, cookies: { 'we"ird': { prefix: '"q' } } } };
    const t = extrasTrailer(e);
    expect(t).toBe('ab: header x-a="a b; c & d" & cookie "we\\"ird"^="\\"q"');
    expect(parseExtrasTrailer(t)).toEqual(e);
  });

  it('refuse what they cannot read, saying where', () => {
    for (const bad of ['ab: header x', 'ab: heder x=1', 'mirror=', 'mirror=5; mirror=6', 'ab: header x=1 header y=2', 'ab: header x="open', 'weights=5']) {
      const e = syntaxError(() => parseExtrasTrailer(bad));
      expect(e.code, bad).toBe('EXTRAS_SYNTAX');
      expect(e.message).toMatch(/at column \d+/);
    }
    expect(syntaxError(() => parseExtrasTrailer('ab: header x=1 & header X=2')).message).toContain('given twice');
  });

  const name = fc.string({ unit: fc.constantFrom(...'ab-_.9"& ;~=^'.split('')), minLength: 1, maxLength: 8 });
  const value = fc.string({ unit: fc.constantFrom(...'aZ9 .*+?()[]{}|^$\\/:#"\'-_;=&~é'.split('')), minLength: 1, maxLength: 12 });
  const sm: fc.Arbitrary<StringMatch> = fc.oneof(
    value.map((exact) => ({ exact })),
    value.map((prefix) => ({ prefix })),
    value.map((regex) => ({ regex })),
  );
  const dict = fc.dictionary(name, sm, { minKeys: 1, maxKeys: 2 });
  const extras: fc.Arbitrary<TrafficExtras> = fc.record(
    {
      ab: fc
        .record({ headers: dict.map((d) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k.toLowerCase(), v]))), queryParams: dict, cookies: dict }, { requiredKeys: [] })
        .filter((m) => Object.keys(m).length > 0),
      mirror: fc.integer({ min: 1, max: 100 }),
    },
    { requiredKeys: [] },
  );

  it('read back as written, whatever the names and values hold', () => {
    fc.assert(
      fc.property(extras, (e) => {
        const t = extrasTrailer(e);
        expect(t).not.toMatch(/[\r\n]/);
        expect(parseExtrasTrailer(t)).toEqual(e);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseAbText', () => {
  it('reads conditions as people type them', () => {
    expect(parseAbText('header user-agent ~ .*Firefox.*')).toEqual(FIREFOX.ab);
    expect(parseAbText('cookie user = jason & query v ^= 2')).toEqual({ cookies: { user: { exact: 'jason' } }, queryParams: { v: { prefix: '2' } } });
    expect(parseAbText('header x = "a b"')).toEqual({ headers: { x: { exact: 'a b' } } });
    expect(syntaxError(() => parseAbText('')).message).toContain('no condition');
  });
});
