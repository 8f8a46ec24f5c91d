import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PolicyError } from '../../src/errors.ts';
import { checkTag, compareTags, decideTag, globToRegExp, parseFilter } from '../../src/policy/index.ts';

function badFilter(s: string): PolicyError {
  try {
    parseFilter(s, { file: 'gitops-canary.yaml', field: 'apps.web.filter' });
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('POLICY_BAD_FILTER');
    return err as PolicyError;
  }
  throw new Error(`expected ${s} to be rejected`);
}

describe('parseFilter', () => {
  it('reads the prefix and keeps the source for messages', () => {
    const f = parseFilter(' semver: ~0.1 ');
    expect(f).toMatchObject({ kind: 'semver', source: 'semver: ~0.1', pattern: '~0.1', ordered: true });
    expect(parseFilter('glob:main-*')).toMatchObject({ kind: 'glob', pattern: 'main-*', ordered: false });
    expect(parseFilter('regex:^main-(?<ts>\\d+)$')).toMatchObject({ kind: 'regex', ordered: true });
    expect(parseFilter('regex:^main-\\d+$')).toMatchObject({ kind: 'regex', ordered: false });
    expect(parseFilter('regexp:^v')).toMatchObject({ kind: 'regex', source: 'regexp:^v' });
  });

  it('rejects an unknown prefix, naming it and the location', () => {
    const err = badFilter('semvar:~1');
    expect(err.message).toBe(
      'gitops-canary.yaml apps.web.filter: unknown filter prefix "semvar:"; expected semver:<range>, glob:<pattern> or regex:<pattern>',
    );
    expect(err.location).toEqual({ file: 'gitops-canary.yaml', field: 'apps.web.filter' });
  });

  it('rejects a missing prefix and an empty pattern', () => {
    expect(badFilter('~0.1').message).toContain('filter "~0.1" has no prefix');
    expect(badFilter('semver:').message).toContain('has an empty semver pattern');
    expect(badFilter('glob:  ').message).toContain('has an empty glob pattern');
  });

  it('rejects invalid semver ranges', () => {
    expect(badFilter('semver:latest').message).toContain('filter "semver:latest" is not a valid semver range');
    expect(badFilter('semver:>>1').code).toBe('POLICY_BAD_FILTER');
    expect(badFilter('semver:1.2.3.4').code).toBe('POLICY_BAD_FILTER');
  });

  it('rejects invalid regular expressions with the engine message', () => {
    expect(badFilter('regex:^main-(').message).toMatch(/filter "regex:\^main-\(" is not a valid regular expression: .+/);
    expect(badFilter('regex:*').code).toBe('POLICY_BAD_FILTER');
  });

  it('rejects non-string input clearly', () => {
    expect(badFilter(42 as unknown as string).message).toContain('filter must be a string, got number');
  });
});

describe('semver filters', () => {
  const cases: Array<[string, string, boolean]> = [
    ['semver:0.1.*', '0.1.0', true],
    ['semver:0.1.*', '0.1.99', true],
    ['semver:0.1.*', 'v0.1.3', true],
    ['semver:0.1.*', '0.2.0', false],
    ['semver:~0.1', '0.1.7', true],
    ['semver:~0.1', '0.2.0', false],
    ['semver:^1.2.0', '1.9.9', true],
    ['semver:^1.2.0', '1.1.9', false],
    ['semver:^1.2.0', '2.0.0', false],
    ['semver:>=1.0.0 <2', '1.0.0', true],
    ['semver:>=1.0.0 <2', '2.0.0', false],
    ['semver:>= 1.0, < 2', '1.4.0', true],
    ['semver:v1.x.x', 'v1.5.0', true],
    ['semver:*', '3.0.0', true],
    ['semver:*', 'latest', false],
    ['semver:*', '1.2', false],
    ['semver:*', 'V1.2.3', false],
    ['semver:0.1.*', '0.1.1+build.5', true],
  ];
  it.each(cases)('%s matches %s: %s', (filter, tag, expected) => {
    expect(parseFilter(filter).matches(tag)).toBe(expected);
  });

  it('admits prereleases only on opt-in', () => {
    expect(parseFilter('semver:0.1.*').matches('0.1.2-rc.1')).toBe(false);
    expect(parseFilter('semver:0.1.*').matches('0.1.2-rc.1', { prerelease: true })).toBe(true);
    expect(parseFilter('semver:0.1.*').matches('0.2.0-rc.1', { prerelease: true })).toBe(false);
    const optIn = parseFilter('semver:>=1.0.0-0');
    expect(optIn.acceptsPrerelease).toBe(true);
    // As in Flux: any prerelease in range, not only ones of 1.0.0 as node-semver would have it.
    expect(optIn.matches('1.2.0-rc.1')).toBe(true);
    expect(optIn.matches('0.9.0-rc.1')).toBe(false);
    expect(parseFilter('semver:^1.2.0').acceptsPrerelease).toBe(false);
  });

  it('orders by precedence, ignoring v and build metadata', () => {
    const f = parseFilter('semver:*');
    expect(f.compare('0.1.10', '0.1.9')).toBeGreaterThan(0);
    expect(f.compare('v1.0.0', '1.0.1')).toBeLessThan(0);
    expect(f.compare('1.0.0-rc.2', '1.0.0')).toBeLessThan(0);
    expect(f.compare('1.0.0-rc.10', '1.0.0-rc.2')).toBeGreaterThan(0);
    expect(f.compare('1.0.0+b2', '1.0.0+b1')).toBe(0);
    expect(f.compare('1.0.0', 'latest')).toBe(0);
    expect(compareTags('semver:*', '2.0.0', '10.0.0')).toBeLessThan(0);
  });
});

describe('glob filters', () => {
  it.each([
    ['main-*', 'main-abc123', true],
    ['main-*', 'main-', true],
    ['main-*', 'xmain-1', false],
    ['main-*', 'main', false],
    ['*-rc', '1.0.0-rc', true],
    ['v1.?', 'v1.?', true],
    ['v1.?', 'v1.2', false],
    ['a.b', 'aXb', false],
    ['*', 'anything', true],
    ['[x]*', '[x]1', true],
  ])('glob:%s matches %s: %s', (glob, tag, expected) => {
    expect(parseFilter(`glob:${glob}`).matches(tag)).toBe(expected);
  });

  it('treats every character but * literally', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }).filter((s) => !s.includes('*')), (s) => {
        expect(globToRegExp(s).test(s)).toBe(true);
        expect(globToRegExp(s).test(`${s}x`)).toBe(false);
      }),
    );
  });

  it('has no order: compare is 0 so a match is never older', () => {
    expect(compareTags('glob:main-*', 'main-1', 'main-2')).toBe(0);
  });
});

describe('regex filters', () => {
  const f = parseFilter('regex:^main-(?<ts>\\d+)$');

  it('matches like Flux (unanchored unless anchored)', () => {
    expect(f.matches('main-1700000000')).toBe(true);
    expect(f.matches('main-abc')).toBe(false);
    expect(parseFilter('regex:rc').matches('1.0.0-rc.1')).toBe(true);
  });

  it('orders numerically by the named capture', () => {
    expect(f.compare('main-10', 'main-9')).toBeGreaterThan(0);
    expect(f.compare('main-0099', 'main-100')).toBeLessThan(0);
    expect(f.compare('main-5', 'main-5')).toBe(0);
    expect(f.compare('main-5', 'other')).toBe(0);
  });

  it('orders non-numeric captures naturally', () => {
    const g = parseFilter('regex:^build-(?<id>[a-z]+\\d+)$');
    expect(g.compare('build-b1', 'build-a9')).toBeGreaterThan(0);
    expect(g.compare('build-a10', 'build-a9')).toBeGreaterThan(0);
  });

  it('accepts Go (?P<name>) syntax as in Flux ImagePolicy', () => {
    const g = parseFilter('regex:^main-[a-f0-9]+-(?P<ts>\\d+)$');
    expect(g.ordered).toBe(true);
    expect(g.compare('main-abc-20240102', 'main-def-20240101')).toBeGreaterThan(0);
  });

  it('compares several named captures in declared order', () => {
    const g = parseFilter('regex:^(?<major>\\d+)\\.(?<build>\\d+)$');
    expect(g.compare('2.1', '1.9')).toBeGreaterThan(0);
    expect(g.compare('1.10', '1.9')).toBeGreaterThan(0);
  });

  it('without a named capture has no order', () => {
    expect(compareTags('regex:^main-\\d+$', 'main-1', 'main-2')).toBe(0);
  });
});

describe('checkTag', () => {
  it('reports invalid image tags', () => {
    expect(checkTag('glob:*', 'has space')).toEqual({
      ok: false,
      code: 'TAG_INVALID',
      reason: 'tag "has space" is not a valid image tag (filter glob:*)',
    });
  });
});

describe('decideTag', () => {
  it('accepts a newer matching tag and a first deployment', () => {
    expect(decideTag('semver:0.1.*', '0.1.1', '0.1.2')).toEqual({ ok: true });
    expect(decideTag('semver:0.1.*', undefined, '0.1.0')).toEqual({ ok: true });
    expect(decideTag('semver:0.1.*', '', '0.1.0')).toEqual({ ok: true });
    expect(decideTag('semver:^1', 'v1.0.0', 'v1.1.0')).toEqual({ ok: true });
  });

  it('never downgrades', () => {
    expect(decideTag('semver:0.1.*', '0.1.1', '0.1.0')).toEqual({
      ok: false,
      code: 'TAG_OLDER',
      reason: 'tag 0.1.0 is older than 0.1.1 already deployed (filter semver:0.1.*)',
    });
    // The current tag being outside the range does not license a downgrade.
    expect(decideTag('semver:0.1.*', '0.2.0', '0.1.5')).toMatchObject({ ok: false, code: 'TAG_OLDER' });
    expect(decideTag('regex:^main-(?<ts>\\d+)$', 'main-20', 'main-3')).toEqual({
      ok: false,
      code: 'TAG_OLDER',
      reason: 'tag main-3 is older than main-20 already deployed (filter regex:^main-(?<ts>\\d+)$)',
    });
  });

  it('reports the same tag and the same version', () => {
    expect(decideTag('semver:*', '1.0.0', '1.0.0')).toEqual({
      ok: false,
      code: 'TAG_SAME',
      reason: 'tag 1.0.0 is already deployed (filter semver:*)',
    });
    expect(decideTag('semver:*', '1.0.0', 'v1.0.0')).toMatchObject({ ok: false, code: 'TAG_SAME' });
    const d = decideTag('semver:*', '1.0.0+b1', '1.0.0');
    expect(d).toMatchObject({ ok: false, code: 'TAG_SAME' });
    expect(d.ok || d.reason).toContain('tag 1.0.0 is the same version as 1.0.0+b1 already deployed');
    // `+` cannot appear in an image tag, so such a candidate is refused before ordering.
    expect(decideTag('semver:*', '1.0.0', '1.0.1+b2')).toMatchObject({ ok: false, code: 'TAG_INVALID' });
    expect(decideTag('glob:*', 'main', 'main')).toMatchObject({ ok: false, code: 'TAG_SAME' });
  });

  it('accepts unordered glob/regex matches and equal capture keys', () => {
    expect(decideTag('glob:main-*', 'main-zzz', 'main-aaa')).toEqual({ ok: true });
    expect(decideTag('regex:^main-(?<ts>\\d+)-', 'main-5-aaa', 'main-5-bbb')).toEqual({ ok: true });
  });

  it('lets a filter-matching tag replace a current tag it cannot order', () => {
    expect(decideTag('semver:^1', 'latest', '1.0.0')).toEqual({ ok: true });
    expect(decideTag('regex:^main-(?<ts>\\d+)$', 'latest', 'main-1')).toEqual({ ok: true });
  });

  it('explains a prerelease without opt-in', () => {
    expect(decideTag('semver:0.1.*', '0.1.1', '0.1.2-rc.1')).toEqual({
      ok: false,
      code: 'TAG_PRERELEASE',
      reason:
        'tag 0.1.2-rc.1 is a prerelease and semver:0.1.* does not accept prereleases; opt in with a range ending in -0 (e.g. semver:>=1.0.0-0) or prerelease: true',
    });
    expect(decideTag('semver:0.1.*', '0.1.1', '0.1.2-rc.1', { prerelease: true })).toEqual({ ok: true });
    expect(decideTag('semver:>=0.1.0-0', '0.1.1', '0.1.2-rc.1')).toEqual({ ok: true });
    // A prerelease outside the range is simply not matched.
    expect(decideTag('semver:0.1.*', '0.1.1', '0.3.0-rc.1')).toMatchObject({ code: 'TAG_NOT_MATCHED' });
    // The prerelease of the deployed version is older than it.
    expect(decideTag('semver:0.1.*', '0.1.2', '0.1.2-rc.1', { prerelease: true })).toMatchObject({ code: 'TAG_OLDER' });
  });

  it('explains tags outside the filter', () => {
    expect(decideTag('semver:0.1.*', '0.1.1', '0.2.0')).toEqual({
      ok: false,
      code: 'TAG_NOT_MATCHED',
      reason: 'tag 0.2.0 is outside the range 0.1.* (filter semver:0.1.*)',
    });
    expect(decideTag('semver:0.1.*', '0.1.1', 'latest')).toEqual({
      ok: false,
      code: 'TAG_NOT_MATCHED',
      reason: 'tag latest is not a semver version (filter semver:0.1.*)',
    });
    expect(decideTag('glob:main-*', undefined, 'dev-1')).toEqual({
      ok: false,
      code: 'TAG_NOT_MATCHED',
      reason: 'tag dev-1 does not match filter glob:main-*',
    });
  });

  it('accepts a parsed Filter as well as a string', () => {
    expect(decideTag(parseFilter('semver:^2'), '2.0.0', '2.1.0')).toEqual({ ok: true });
  });

  it('propagates bad filters', () => {
    expect(() => decideTag('nope:1', undefined, '1.0.0')).toThrow(PolicyError);
  });

  it('never accepts a candidate older than current (property)', () => {
    const v = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(
      fc.property(v, v, (current, candidate) => {
        const d = decideTag('semver:*', current, candidate);
        const newer = compareTags('semver:*', candidate, current) > 0;
        expect(d.ok).toBe(newer);
      }),
    );
  });
});
