import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PolicyError } from '../../src/errors.ts';
import {
  checkTagTemplate,
  isPrereleaseTag,
  isValidImageTag,
  naturalCompare,
  parseRange,
  parseVersion,
  renderTag,
  versionOf,
} from '../../src/policy/index.ts';

function thrown(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('versionOf', () => {
  it.each([
    ['v0.2.1', '0.2.1'],
    ['0.2.1', '0.2.1'],
    ['v1.0.0-rc.1', '1.0.0-rc.1'],
    ['1.0.0+build.7', '1.0.0+build.7'],
    ['v2.0.0-beta.1+sha.abc', '2.0.0-beta.1+sha.abc'],
  ])('%s -> %s', (tag, version) => {
    expect(versionOf(tag)).toBe(version);
  });

  it.each(['vnext', 'v1.2', '1.2', 'V1.2.3', 'vv1.2.3', '=1.2.3', ' 1.2.3', '1.2.3 ', '01.2.3', 'latest', 'main-123', ''])(
    '%j is not semver and keeps its v',
    (tag) => {
      expect(versionOf(tag)).toBeUndefined();
    },
  );
});

describe('parseVersion / isPrereleaseTag', () => {
  it('flags prereleases but not build metadata', () => {
    expect(parseVersion('v1.2.3-rc.1')).toEqual({ raw: 'v1.2.3-rc.1', text: '1.2.3-rc.1', prerelease: true });
    expect(isPrereleaseTag('1.2.3-0')).toBe(true);
    expect(isPrereleaseTag('1.2.3+build-1')).toBe(false);
    expect(isPrereleaseTag('main-1')).toBe(false);
  });
});

describe('parseRange', () => {
  it('detects an opt-in from the range as written, not from desugared x-range bounds', () => {
    expect(parseRange('0.1.*')?.optsIn).toBe(false);
    expect(parseRange('^1.2.0')?.optsIn).toBe(false);
    expect(parseRange('>=1.0.0-0')?.optsIn).toBe(true);
    expect(parseRange('>=1.0.0-rc.1 <2')?.optsIn).toBe(true);
    expect(parseRange('1.0.0 - 2.0.0')?.optsIn).toBe(false);
  });

  it('accepts Masterminds comma conjunctions and rejects junk', () => {
    const r = parseRange('>= 1.0, < 2');
    expect(r?.satisfies('1.5.0', false)).toBe(true);
    expect(r?.satisfies('2.0.0', false)).toBe(false);
    expect(parseRange('latest')).toBeUndefined();
    expect(parseRange('')).toBeUndefined();
    expect(parseRange('1.2.3.4')).toBeUndefined();
  });
});

describe('isValidImageTag', () => {
  it('follows the OCI tag grammar', () => {
    expect(isValidImageTag('v1.2.3')).toBe(true);
    expect(isValidImageTag('main_2024-01-01.1')).toBe(true);
    expect(isValidImageTag('a'.repeat(128))).toBe(true);
    expect(isValidImageTag('a'.repeat(129))).toBe(false);
    expect(isValidImageTag('-leading-dash')).toBe(false);
    expect(isValidImageTag('.dot')).toBe(false);
    expect(isValidImageTag('1.0.0+build')).toBe(false);
    expect(isValidImageTag('app/v1')).toBe(false);
    expect(isValidImageTag('')).toBe(false);
  });
});

describe('renderTag', () => {
  it('writes the version without v by default', () => {
    expect(renderTag(undefined, 'v0.2.1')).toBe('0.2.1');
    expect(renderTag('', 'v0.2.1')).toBe('0.2.1');
    expect(renderTag(undefined, '0.2.1-rc.1')).toBe('0.2.1-rc.1');
  });

  it('keeps a non-semver release tag as is', () => {
    expect(renderTag(undefined, 'main-20240101')).toBe('main-20240101');
    expect(renderTag(undefined, 'vnext')).toBe('vnext');
  });

  it('fills {version} and {tag}', () => {
    expect(renderTag('v{version}', 'v0.2.1')).toBe('v0.2.1');
    expect(renderTag('v{version}', '0.2.1')).toBe('v0.2.1');
    expect(renderTag('{tag}', 'v0.2.1')).toBe('v0.2.1');
    expect(renderTag('{version}-alpine', 'v1.0.0')).toBe('1.0.0-alpine');
    expect(renderTag('release-{tag}', 'nightly')).toBe('release-nightly');
  });

  it('refuses {version} for a non-semver release tag', () => {
    const err = thrown(() => renderTag('v{version}', 'nightly', { file: 'gitops-canary.yaml', field: 'apps.web.tagTemplate' }));
    expect(err.code).toBe('TAG_NOT_SEMVER');
    expect(err.message).toBe(
      'gitops-canary.yaml apps.web.tagTemplate: release tag nightly is not a semver version, so tagTemplate "v{version}" cannot fill {version}',
    );
  });

  it('refuses to write a tag an image cannot carry', () => {
    const err = thrown(() => renderTag(undefined, 'v1.0.0+build.5'));
    expect(err.code).toBe('TAG_INVALID');
    expect(err.message).toContain('"1.0.0+build.5" (from release tag "v1.0.0+build.5") is not a valid image tag');
    expect(thrown(() => renderTag('{tag}', 'app/v1.0.0')).code).toBe('TAG_INVALID');
  });
});

describe('checkTagTemplate', () => {
  it('accepts templates with known placeholders', () => {
    expect(() => checkTagTemplate('v{version}')).not.toThrow();
    expect(() => checkTagTemplate('{tag}-{version}')).not.toThrow();
  });

  it.each([
    ['v{ver}', 'unknown placeholder {ver}'],
    ['latest', 'contains no {version} or {tag} placeholder'],
    ['v{version', 'no {version} or {tag}'],
    ['v{version}}', 'unbalanced brace'],
  ])('rejects %j', (template, message) => {
    const err = thrown(() => checkTagTemplate(template));
    expect(err.code).toBe('POLICY_BAD_TEMPLATE');
    expect(err.message).toContain(message);
  });
});

describe('naturalCompare', () => {
  it('orders digit runs numerically', () => {
    expect(naturalCompare('9', '10')).toBeLessThan(0);
    expect(naturalCompare('main-10', 'main-9')).toBeGreaterThan(0);
    expect(naturalCompare('20240102153000', '20240102152959')).toBeGreaterThan(0);
    expect(naturalCompare('99999999999999999999', '100000000000000000000')).toBeLessThan(0);
    expect(naturalCompare('abc', 'abd')).toBeLessThan(0);
    expect(naturalCompare('a', 'a1')).toBeLessThan(0);
    expect(naturalCompare('007', '7')).not.toBe(0);
    expect(naturalCompare('x', 'x')).toBe(0);
  });

  it('agrees with numeric order on all-digit strings', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), (a, b) => {
        expect(Math.sign(naturalCompare(String(a), String(b)))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  it('is antisymmetric and total', () => {
    const s = fc.stringMatching(/^[a-c0-9]{0,6}$/);
    fc.assert(
      fc.property(s, s, (a, b) => {
        expect(Math.sign(naturalCompare(a, b)) + Math.sign(naturalCompare(b, a))).toBe(0);
        expect(naturalCompare(a, b) === 0).toBe(a === b);
      }),
    );
  });

  it('is transitive', () => {
    const s = fc.stringMatching(/^[a-b0-9]{0,5}$/);
    fc.assert(
      fc.property(s, s, s, (a, b, c) => {
        const sorted = [a, b, c].sort(naturalCompare);
        expect(naturalCompare(sorted[0], sorted[2])).toBeLessThanOrEqual(0);
      }),
    );
  });
});
