// normalizeRepoPath returns a path from git's listings as it is after one pass over it:
// the pass must agree with the full normalization on every input, the ones it hands on
// included (property test against the normalization as it was written before the pass).
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRepoPath } from '../../src/git/paths.ts';

function reference(rel: string): string {
  if (rel.trim() === '') throw new Error('empty');
  if (rel.includes('\0')) throw new Error('NUL');
  const posix = rel.replace(/\\/g, '/');
  if (posix.startsWith('/') || /^[A-Za-z]:\//.test(posix)) throw new Error('absolute');
  const norm = path.posix.normalize(posix).replace(/\/+$/, '');
  if (norm === '.' || norm === '..' || norm.startsWith('../')) throw new Error('outside');
  if (norm.split('/')[0].toLowerCase() === '.git') throw new Error('.git');
  return norm;
}

const outcome = (f: () => string) => {
  try {
    return { path: f() };
  } catch {
    return { refused: true };
  }
};

describe('normalizeRepoPath', () => {
  it('agrees with the full normalization on any path', () => {
    const piece = fc.constantFrom('a', 'b.yaml', '.', '..', '/', '//', '\\', '\0', ' ', 'C:', ':', '.git', '.GIT', '.gitignore', 'x/.git', '-');
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), (parts) => {
        const rel = parts.join('');
        expect(outcome(() => normalizeRepoPath(rel))).toEqual(outcome(() => reference(rel)));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('hands on what git lists, and refuses what leaves the repository', () => {
    expect(normalizeRepoPath('apps/api/base/deployment.yaml')).toBe('apps/api/base/deployment.yaml');
    expect(normalizeRepoPath('apps/./api//x.yaml')).toBe('apps/api/x.yaml');
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '.git/config', '.Git/HEAD', 'C:/x', '']) expect(() => normalizeRepoPath(bad), bad).toThrow();
  });
});
