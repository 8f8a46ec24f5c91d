// The files a rollback's `git revert` would leave, computed before anything is reverted:
// both ways (merge-tree, and file by file for git before 2.38) agree with what `git
// revert` then really writes, through later edits, merges, added files and conflicts.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { previewFileByFile, previewRevert, type RevertPreview } from '../../src/git/revert-preview.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote | undefined;
afterEach(async () => {
  await remote?.cleanup();
  remote = undefined;
});

const lines = (n: number, edit: Record<number, string> = {}) => Array.from({ length: n }, (_, i) => edit[i] ?? `line ${i}`).join('\n') + '\n';

/** What `git revert --no-commit` of `shas` (newest first) really writes in a clone. */
async function reverted(shas: string[]): Promise<RevertPreview | null> {
  const dir = await remote!.clone();
  for (const sha of shas) {
    const merge = (await git(dir, 'rev-list', '--parents', '-n', '1', sha)).trim().split(' ').length > 2;
    try {
      await git(dir, 'revert', '--no-edit', '--no-commit', ...(merge ? ['-m', '1'] : []), sha);
    } catch {
      return null;
    }
  }
  const writes = new Map<string, string>();
  const deleted: string[] = [];
  const changed = (await git(dir, 'diff', '--cached', '--name-status', '-z', 'HEAD')).split('\0').filter(Boolean);
  for (let i = 0; i < changed.length; i += 2) {
    if (changed[i] === 'D') deleted.push(changed[i + 1]);
    else writes.set(changed[i + 1], await git(dir, 'show', `:${changed[i + 1]}`));
  }
  return { writes, deleted };
}

async function both(shas: string[]): Promise<Array<RevertPreview | null>> {
  const ws = await Workspace.local(await remote!.clone());
  return [await previewRevert(ws, shas), await previewFileByFile(ws, shas)];
}

describe('previewRevert', () => {
  it('a commit whose lines were not touched since: the parent\'s bytes; later edits elsewhere in the file stay', async () => {
    remote = await createRemote({ files: { 'a.yaml': lines(20), 'b.yaml': 'b: 1\r\n' } });
    const bot = await remote.commitOnRemote({ 'a.yaml': lines(20, { 2: 'weight: 20' }), 'b.yaml': 'b: 2\r\n' }, 'bot');
    await remote.commitOnRemote({ 'a.yaml': lines(20, { 2: 'weight: 20', 17: 'person' }) }, 'person');
    const expected = await reverted([bot]);
    expect(expected?.writes.get('a.yaml')).toBe(lines(20, { 17: 'person' }));
    expect(expected?.writes.get('b.yaml')).toBe('b: 1\r\n');
    expect(await both([bot])).toEqual([expected, expected]);
  });

  it('several commits newest first, a merge commit (mainline 1), and a file the commit added', async () => {
    remote = await createRemote({ files: { 'a.yaml': lines(10) } });
    const first = await remote.commitOnRemote({ 'a.yaml': lines(10, { 1: 'one' }), 'new.yaml': 'x: 1\n' }, 'first');
    const dir = await remote.clone();
    await git(dir, 'checkout', '-q', '-b', 'pr');
    await git(dir, '-c', 'user.name=p', '-c', 'user.email=p@x', 'commit', '-q', '--allow-empty', '-m', 'pr base');
    await writeFile(path.join(dir, 'a.yaml'), lines(10, { 1: 'one', 8: 'eight' }));
    await git(dir, '-c', 'user.name=p', '-c', 'user.email=p@x', 'commit', '-q', '-am', 'pr');
    await git(dir, 'checkout', '-q', 'main');
    await git(dir, '-c', 'user.name=p', '-c', 'user.email=p@x', 'merge', '-q', '--no-ff', '-m', 'merge pr', 'pr');
    await git(dir, 'push', '-q', 'origin', 'main');
    const merge = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const expected = await reverted([merge, first]);
    expect(expected?.deleted).toEqual(['new.yaml']);
    expect(expected?.writes.get('a.yaml')).toBe(lines(10));
    expect(await both([merge, first])).toEqual([expected, expected]);
  });

  it('a later change to the same lines is a conflict: null, and git revert agrees', async () => {
    remote = await createRemote({ files: { 'a.yaml': lines(5) } });
    const bot = await remote.commitOnRemote({ 'a.yaml': lines(5, { 2: 'weight: 20' }) }, 'bot');
    await remote.commitOnRemote({ 'a.yaml': lines(5, { 2: 'weight: 30' }) }, 'person');
    expect(await reverted([bot])).toBeNull();
    expect(await both([bot])).toEqual([null, null]);
  });

  it('changes nothing: no commit on a branch, a clean tree, HEAD where it was', async () => {
    remote = await createRemote({ files: { 'a.yaml': lines(5) } });
    const bot = await remote.commitOnRemote({ 'a.yaml': lines(5, { 2: 'weight: 20' }) }, 'bot');
    const dir = await remote.clone();
    const ws = await Workspace.local(dir);
    const refs = await git(dir, 'for-each-ref');
    await previewRevert(ws, [bot]);
    expect(await git(dir, 'for-each-ref')).toBe(refs);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(`${bot}\n`);
    expect(await git(dir, 'status', '--porcelain')).toBe('');
  });
});
