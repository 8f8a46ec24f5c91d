// What one `git status` (porcelain v2 with the branch) and one `git config --get-regexp`
// tell a CLI run: read from real git output, the same answers the separate calls they
// replace gave (porcelain v1 entries, `symbolic-ref`, `rev-parse HEAD`, `config --get`).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigSnapshot, readConfigSnapshot } from '../../src/git/config-snapshot.ts';
import { GitRunner } from '../../src/git/exec.ts';
import { parseStatusV2 } from '../../src/git/status-v2.ts';
import { git } from '../helpers/git-remote.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gcb-status-'));
  await git(dir, 'init', '-q', '--initial-branch=main');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Porcelain v1 entries, as the code before read them. */
function v1(stdout: string): Array<{ index: string; worktree: string; path: string }> {
  const files = [];
  const parts = stdout.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length < 4) continue;
    files.push({ index: p[0], worktree: p[1], path: p.slice(3) });
    if (p[0] === 'R' || p[0] === 'C') i++;
  }
  return files;
}

describe('status, porcelain v2 with the branch', () => {
  it('gives the entries v1 gave, HEAD and the branch, through renames, spaces, deletions and untracked files', async () => {
    const initial = parseStatusV2(await git(dir, 'status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z', '--untracked-files=all'));
    expect(initial).toEqual({ files: [], head: null, branch: 'main' });
    for (const f of ['a.yaml', 'b c.yaml', 'gone.yaml', 'kept.yaml', 'moved from.yaml']) await writeFile(path.join(dir, f), `${f}: 1\n`.repeat(20));
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'one');
    await writeFile(path.join(dir, 'a.yaml'), 'a: 2\n');
    await writeFile(path.join(dir, 'b c.yaml'), 'b: 2\n');
    await git(dir, 'add', 'b c.yaml');
    await writeFile(path.join(dir, 'b c.yaml'), 'b: 3\n');
    await git(dir, 'rm', '-q', 'gone.yaml');
    await git(dir, 'mv', 'moved from.yaml', 'moved to.yaml');
    await writeFile(path.join(dir, 'new file.yaml'), 'n: 1\n');
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    for (const untracked of ['all', 'no']) {
      const got = parseStatusV2(await git(dir, 'status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z', `--untracked-files=${untracked}`));
      const want = v1(await git(dir, 'status', '--porcelain=v1', '-z', `--untracked-files=${untracked}`));
      expect(want.length).toBeGreaterThanOrEqual(untracked === 'all' ? 5 : 4);
      expect(got.files).toEqual(want);
      expect(got.head).toBe(head);
      expect(got.branch).toBe('main');
    }
    await git(dir, 'commit', '-q', '-a', '-m', 'two');
    await git(dir, 'checkout', '-q', '--detach');
    const detached = parseStatusV2(await git(dir, 'status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z', '--untracked-files=no'));
    expect(detached).toEqual({ files: [], head: (await git(dir, 'rev-parse', 'HEAD')).trim(), branch: null });
  });

  it('lists both sides of a conflict as v1 did', async () => {
    await writeFile(path.join(dir, 'x.yaml'), 'x: 1\n');
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'one');
    await git(dir, 'checkout', '-q', '-b', 'other');
    await writeFile(path.join(dir, 'x.yaml'), 'x: 2\n');
    await git(dir, 'commit', '-q', '-am', 'other');
    await git(dir, 'checkout', '-q', 'main');
    await writeFile(path.join(dir, 'x.yaml'), 'x: 3\n');
    await git(dir, 'commit', '-q', '-am', 'main');
    await git(dir, 'merge', '-q', 'other').catch(() => undefined);
    const got = parseStatusV2(await git(dir, 'status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z', '--untracked-files=no'));
    expect(got.files).toEqual(v1(await git(dir, 'status', '--porcelain=v1', '-z', '--untracked-files=no')));
    expect(got.files).toEqual([{ index: 'U', worktree: 'U', path: 'x.yaml' }]);
  });
});

describe('the config snapshot', () => {
  it('answers as `git config --get` does: the last value, the branch name case-sensitive, an implicit value empty', async () => {
    await writeFile(
      path.join(dir, '.git', 'config'),
      `[core]\n\trepositoryformatversion = 0\n[user]\n\tName = First\n\temail\n[branch "Feat.X"]\n\tremote = origin\n\tremote = upstream\n\tmerge = refs/heads/feat\n[author]\n\tname = Someone  Else\n`,
    );
    const runner = new GitRunner({ cwd: dir, hermetic: true });
    const snapshot = await readConfigSnapshot(runner);
    const get = async (key: string) => {
      const r = await runner.run(['config', '--get', key], { ok: [0, 1] });
      return r.code === 0 ? r.stdout.replace(/\n$/, '') : null;
    };
    for (const key of ['user.name', 'USER.NAME', 'user.email', 'author.name', 'author.email', 'branch.Feat.X.remote', 'branch.Feat.X.REMOTE', 'branch.feat.x.remote', 'branch.Feat.X.merge', 'branch.main.remote']) {
      expect(snapshot.covers(key)).toBe(true);
      expect(snapshot.get(key)).toBe(await get(key));
    }
    expect(snapshot.get('branch.Feat.X.remote')).toBe('upstream');
    expect(snapshot.covers('remote.origin.url')).toBe(false);
    expect(snapshot.covers('core.repositoryformatversion')).toBe(false);
  });

  it('is empty where no key is set', () => {
    const s = parseConfigSnapshot('');
    expect(s.get('user.name')).toBeNull();
    expect(s.covers('branch.a.b.merge')).toBe(true);
  });
});
