// selectPaths answers as filtering every path with pathFilter would, whatever the globs:
// it only narrows where a glob's literal directory lets it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathFilter, pathPositions, selectPaths, selectPathsIn } from '../../src/manifests/scan.ts';

const segment = fc.constantFrom('a', 'b', 'a-b', 'a.b', 'ab', '.hidden', 'x.yaml', 'y.yml', 'a0', 'A', 'a$', '^a', 'a#b', 'a|b', 'a,b', 'a b', '%', 'a=b', '~a', '...');
const file = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const globPart = fc.constantFrom('a', 'b', 'a-b', 'ab', '*', '**', '?', '*.yaml', '{a,b}', '[ab]', 'x.yaml', '.hidden', '@(a|b)', '+(a)', 'a\\*', '', 'a$', '^a', 'a#b', 'a|b', 'a,b', 'a b', '%', '~a', '...', '.', '..', '**/*.yml', '{a,b/a}', '{,a}', '[a-b]', '**/a', '?(a)', 'a{,/**}', '{.,a}', '[!a]', '[^a]', 'a*b', '*/');
const glob = fc.tuple(fc.constantFrom('', '!', './'), fc.array(globPart, { minLength: 1, maxLength: 4 })).map(([prefix, parts]) => prefix + parts.join('/'));

/** The value, or the error thrown (an empty glob is refused by both alike). */
function outcome<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (err) {
    return `throws ${(err as Error).message}`;
  }
}

describe('selectPaths', () => {
  it('matches pathFilter over sorted paths', () => {
    fc.assert(
      fc.property(fc.uniqueArray(file, { maxLength: 40 }), fc.option(fc.array(glob, { minLength: 1, maxLength: 3 }), { nil: undefined }), (files, globs) => {
        const sorted = [...files].sort();
        expect(outcome(() => selectPaths(sorted, globs))).toEqual(outcome(() => sorted.filter(pathFilter(globs))));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the order of an unsorted list, and selects nothing without globs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(file, { maxLength: 40 }), fc.array(glob, { maxLength: 3 }), (files, globs) => {
        const want = outcome(() => (globs.length === 0 ? [] : files.filter(pathFilter(globs))));
        expect(outcome(() => selectPathsIn(files, globs))).toEqual(want);
      }),
      { numRuns: 1000 },
    );
    expect([...pathPositions(['b', 'a', 'b'])]).toEqual([
      ['b', 0],
      ['a', 1],
    ]);
  });

  it('narrows to the literal directory: a sibling sharing its prefix is not taken', () => {
    const files = ['apps/x', 'apps/x-1/a.yaml', 'apps/x.yaml', 'apps/x/a.yaml', 'apps/x/b/c.yaml', 'apps/x0/a.yaml', 'apps/y/a.yaml'];
    expect(selectPaths(files, ['apps/x/**'])).toEqual(['apps/x', 'apps/x/a.yaml', 'apps/x/b/c.yaml']);
    expect(selectPaths(files, ['apps/x/*.yaml', 'apps/y/a.yaml'])).toEqual(['apps/x/a.yaml', 'apps/y/a.yaml']);
  });
});
