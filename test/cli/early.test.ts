// The clean check the bin begins before it loads the CLI (src/cli/early.ts): only for a run
// that will commit, in the checkout main() will open, and what git found is the checkout's
// state (the sync judges whether it may use it: test/git/early-clean-check.test.ts). The
// checkout's first questions, begun with it, are what its opening takes instead of asking.
import { realpathSync } from 'node:fs';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openCheckout } from '../../src/cli/checkout.ts';
import { beginChangeCheck, type EarlyCheckout } from '../../src/cli/early.ts';
import type { SpawnResult } from '../../src/git/spawn.ts';
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
    expect(early?.status.gitDir).toBe(realpathSync(path.join(dir, '.git')));
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    expect(await early!.status.found).toMatchObject({ files: [], head, branch: 'main' });
    // the first questions: the config keys, and HEAD, the top, the git directory, the branch
    expect(early!.dir).toBe(path.resolve(dir));
    const config = await early!.config;
    expect(config?.code).toBe(0);
    expect(config?.stdout).toContain('user.email\n');
    const opened = await early!.opened;
    const tree = (await git(dir, 'rev-parse', 'HEAD^{tree}')).trim();
    expect(opened?.stdout.trim().split('\n')).toEqual([head, tree, realpathSync(dir), realpathSync(path.join(dir, '.git')), 'refs/heads/main']);

    await writeFile(path.join(dir, 'a.yaml'), 'tag: 2\n');
    try {
      const dirty = beginChangeCheck(['set-weight', 'podinfo', '10', `--repo=${dir}`]);
      expect((await dirty!.status.found)?.files).toEqual([{ index: ' ', worktree: 'M', path: 'a.yaml' }]);
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

describe('the checkout opened with the questions begun early', () => {
  const out = { log: () => undefined, err: () => undefined };
  const answer = (stdout: string, code = 0): Promise<SpawnResult | undefined> => Promise.resolve({ stdout, stderr: '', code });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** Begun for `at` as the bin begins it, with `config` and `opened` (when given) as git's
   *  answers to the config and HEAD questions instead of its own. */
  const begun = (at: string, config?: Promise<SpawnResult | undefined>, opened?: Promise<SpawnResult | undefined>): EarlyCheckout => {
    const early = beginChangeCheck(['set-image', 'ghcr.io/example/podinfo:1.2.3', '--repo', at])!;
    return { ...early, ...(config ? { config } : {}), ...(opened ? { opened } : {}) };
  };

  it('takes the answers instead of asking git again, and asks where git failed or for another directory', async () => {
    // who commits comes from the config alone here
    vi.stubEnv('GIT_AUTHOR_NAME', undefined);
    vi.stubEnv('GIT_AUTHOR_EMAIL', undefined);
    await git(dir, 'config', 'author.name', 'Config Person');
    await git(dir, 'config', 'author.email', 'config@example.com');
    // an answer that differs from the config on disk shows which was taken
    const told = answer('author.name\nEarly Person\0author.email\nearly@example.com\0');
    expect((await openCheckout({ repo: dir }, out, true, begun(dir, told))).user).toBe('Early Person <early@example.com>');
    // git could not start, or failed: asked again
    for (const failed of [Promise.resolve(undefined), answer('', 128)]) {
      expect((await openCheckout({ repo: dir }, out, true, begun(dir, failed))).user).toBe('Config Person <config@example.com>');
    }
    // begun for another directory than the one opened: none of it is taken
    const other = await remote.clone();
    const elsewhere = begun(other, told);
    const co = await openCheckout({ repo: dir }, out, true, elsewhere);
    expect(co.user).toBe('Config Person <config@example.com>');
    expect(co.early).not.toBe(elsewhere.status);
    expect(co.ws.dir).toBe(realpathSync(dir));
  });

  it('opens at the top and HEAD rev-parse answered, and asks again where it failed', async () => {
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const tree = (await git(dir, 'rev-parse', 'HEAD^{tree}')).trim();
    const top = realpathSync(dir);
    const gitDir = realpathSync(path.join(dir, '.git'));
    // a top named through a link of its own shows the answer was taken
    const link = path.join(path.dirname(top), `${path.basename(top)}-link`);
    await symlink(top, link);
    const told = answer(`${head}\n${tree}\n${link}\n${gitDir}\nrefs/heads/main\n`);
    expect((await openCheckout({ repo: dir }, out, true, begun(dir, undefined, told))).ws.dir).toBe(link);
    for (const failed of [Promise.resolve(undefined), answer('', -1)]) {
      expect((await openCheckout({ repo: dir }, out, true, begun(dir, undefined, failed))).ws.dir).toBe(top);
    }
  });
});
