// The double reads branch tips from the ref files instead of asking git: it must answer as
// `git rev-parse --verify <rev>^{commit}` does, loose or packed, and leave tags, shas and
// short names that a tag or another ref shadows to git.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBareRepo, git, importCommit, refValue, revParse, runGit } from './gitrepo.ts';

let root: string;
let bare: string;
const who = { name: 'T', email: 't@example.com' };

async function gitAnswer(rev: string): Promise<string | undefined> {
  const r = await runGit(bare, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ghd-gitrepo-'));
  bare = await createBareRepo(root, 'o', 'r', { 'a.txt': 'a\n' }, 'main');
  await importCommit(bare, 'feature/x', { 'b.txt': 'b\n' }, 'feature', who);
  await importCommit(bare, 'shadowed', { 'c.txt': 'c\n' }, 'branch named like a tag', who);
  await git(bare, ['tag', '-a', '-m', 'tag', 'shadowed', 'main'], { GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
  await git(bare, ['tag', 'v1', 'feature/x']);
  await git(bare, ['symbolic-ref', 'refs/heads/alias', 'refs/heads/main']);
  await importCommit(bare, 'packed-only', { 'd.txt': 'd\n' }, 'packed', who);
  await git(bare, ['pack-refs', '--all']);
  // loose again after packing, beside a packed value that is now stale
  await git(bare, ['update-ref', 'refs/heads/main', (await gitAnswer('packed-only'))!]);
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('the double reads refs as git does', () => {
  it('answers every kind of name exactly as rev-parse', async () => {
    const names = ['main', 'refs/heads/main', 'feature/x', 'refs/heads/feature/x', 'packed-only', 'refs/heads/packed-only', 'shadowed', 'refs/heads/shadowed', 'refs/tags/shadowed', 'v1', 'alias', 'refs/heads/alias', 'HEAD', 'nope', 'refs/heads/nope', 'refs/heads/feature', 'feature', 'config', 'refs/heads/../config'];
    for (const name of names) expect(await revParse(bare, name), name).toBe(await gitAnswer(name));
    const main = await gitAnswer('main');
    expect(await revParse(bare, main!)).toBe(main);
    // a tag shadows the branch of the same name, as in git
    expect(await revParse(bare, 'shadowed')).not.toBe(await gitAnswer('refs/heads/shadowed'));
  });

  it('reads a plain ref loose or packed, and nothing for a symbolic or missing one', async () => {
    expect(await refValue(bare, 'refs/heads/packed-only')).toBe(await gitAnswer('packed-only'));
    expect(await refValue(bare, 'refs/heads/main')).toBe(await gitAnswer('main'));
    expect(await refValue(bare, 'refs/heads/alias')).toBeUndefined();
    expect(await refValue(bare, 'refs/pull/1/head')).toBeUndefined();
  });
});
