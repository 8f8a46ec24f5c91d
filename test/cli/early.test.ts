// The clean check the bin begins before it loads the CLI (src/cli/early.ts): only for a run
// that will commit, in the checkout main() will open, and what git found is the checkout's
// state (the sync judges whether it may use it: test/git/early-clean-check.test.ts).
import { realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginChangeCheck } from '../../src/cli/early.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let dir: string;

beforeAll(async () => {
  remote = await createRemote({ files: { 'a.yaml': 'tag: 1\n' } });
  dir = await remote.clone();
});

afterAll(async () => {
  await remote.cleanup();
});

describe('the clean check begun before the CLI loads', () => {
  it('is begun for a change, in the checkout --repo names, and finds what git status finds', async () => {
    const early = beginChangeCheck(['set-image', 'ghcr.io/example/podinfo:1.2.3', '--repo', dir]);
    expect(early?.gitDir).toBe(realpathSync(path.join(dir, '.git')));
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    expect(await early!.found).toMatchObject({ files: [], head, branch: 'main' });

    await writeFile(path.join(dir, 'a.yaml'), 'tag: 2\n');
    try {
      const dirty = beginChangeCheck(['set-weight', 'podinfo', '10', `--repo=${dir}`]);
      expect((await dirty!.found)?.files).toEqual([{ index: ' ', worktree: 'M', path: 'a.yaml' }]);
    } finally {
      await git(dir, 'checkout', '-q', '--', 'a.yaml');
    }
  });

  it('is not begun for a run that will not commit, nor for arguments main() refuses', () => {
    const runs = [
      ['status', '--repo', dir],
      ['images', '--repo', dir],
      ['set-image', 'ghcr.io/example/podinfo:1.2.3', '--dry-run', '--repo', dir],
      ['set-image', '--help', '--repo', dir],
      ['set-image', 'ghcr.io/example/podinfo:1.2.3', '--version', '--repo', dir],
      ['set-image', 'ghcr.io/example/podinfo:1.2.3', '--no-such-option', '--repo', dir],
      ['frobnicate', '--repo', dir],
      ['--repo', dir],
      [],
    ];
    for (const argv of runs) expect(beginChangeCheck(argv), argv.join(' ')).toBeUndefined();
  });

  it('is not begun outside a git repository', () => {
    expect(beginChangeCheck(['set-image', 'ghcr.io/example/podinfo:1.2.3', '--repo', path.parse(dir).root])).toBeUndefined();
  });
});
