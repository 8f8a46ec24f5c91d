import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { git } from '../helpers/git-remote.ts';

let dir: string;

async function commit(files: Record<string, string | null>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    if (text === null) await git(dir, 'rm', '-q', rel);
    else {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
  }
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'change');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'screen-cache-'));
  await git(dir, 'init', '-q', '-b', 'main');
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) files[`apps/a${i}.yaml`] = `image: ghcr.io/acme/${i % 4 === 0 ? 'podinfo' : 'other'}:1.0.${i}\n`;
  await commit(files);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('screening with carried-forward results', () => {
  it('agrees with a fresh git grep after files gain, lose and drop the token', async () => {
    const ws = await Workspace.local(dir);
    const t1 = await ws.cleanTree();
    expect(t1).toBeDefined();
    const first = await ws.grep(['podinfo'], { tree: t1 });
    expect(first).toEqual(['apps/a0.yaml', 'apps/a12.yaml', 'apps/a16.yaml', 'apps/a4.yaml', 'apps/a8.yaml']);

    await commit({ 'apps/a1.yaml': 'image: ghcr.io/acme/podinfo:2.0.0\n', 'apps/a4.yaml': 'image: ghcr.io/acme/other:2\n', 'apps/a8.yaml': null, 'new/b.yaml': '# podinfo\n' });
    const t2 = await ws.cleanTree();
    expect(t2).not.toEqual(t1);
    const carried = await ws.grep(['podinfo'], { tree: t2 });
    expect(carried).toEqual(await ws.grep(['podinfo']));
    expect(carried).toEqual(['apps/a0.yaml', 'apps/a1.yaml', 'apps/a12.yaml', 'apps/a16.yaml', 'new/b.yaml']);
  });

  it('searches afresh when the tree it remembered is gone (history rewritten and pruned)', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'screen-cache-pruned-'));
    try {
      await git(other, 'init', '-q', '-b', 'main');
      await writeFile(path.join(other, 'a.yaml'), 'image: ghcr.io/acme/podinfo:1\n');
      await writeFile(path.join(other, 'b.yaml'), 'image: ghcr.io/acme/other:1\n');
      await git(other, 'add', '-A');
      await git(other, 'commit', '-q', '-m', 'first');
      const ws = await Workspace.local(other);
      const t1 = await ws.cleanTree();
      expect(await ws.grep(['podinfo'], { tree: t1 })).toEqual(['a.yaml']);
      // the remembered tree becomes unreachable and is pruned
      await writeFile(path.join(other, 'b.yaml'), 'image: ghcr.io/acme/podinfo:2\n');
      await git(other, 'commit', '-q', '-a', '--amend', '-m', 'rewritten');
      await git(other, 'reflog', 'expire', '--expire=now', '--all');
      await git(other, 'gc', '-q', '--prune=now');
      expect(await git(other, 'cat-file', '-t', t1!).catch(() => 'missing')).toBe('missing');
      expect(await ws.grep(['podinfo'], { tree: await ws.cleanTree() })).toEqual(['a.yaml', 'b.yaml']);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('reports no clean tree while tracked files differ from HEAD', async () => {
    const ws = await Workspace.local(dir);
    await writeFile(path.join(dir, 'apps/a2.yaml'), 'image: ghcr.io/acme/podinfo:9\n');
    expect(await ws.cleanTree()).toBeUndefined();
    expect(await ws.grep(['podinfo'])).toContain('apps/a2.yaml');
    await git(dir, 'checkout', '--', 'apps/a2.yaml');
    expect(await ws.cleanTree()).toBeDefined();
  });
});

describe('a search started before the tree is known', () => {
  it('answers as a search after it, and records the answer for that tree', async () => {
    const ws = await Workspace.local(dir);
    const tree = await ws.cleanTree();
    const early = await ws.grep(['nothing-searched-yet', 'podinfo'], { tree: ws.cleanTree() });
    expect(early).toEqual(await ws.grep(['nothing-searched-yet', 'podinfo']));
    // known now: the same tokens on the same tree are answered without git
    expect(await ws.grep(['podinfo', 'nothing-searched-yet'], { tree })).toEqual(early);
  });

  it('fails as the question of the tree fails, the search failing too going unheard', async () => {
    const gone = await mkdtemp(path.join(os.tmpdir(), 'screen-gone-'));
    await git(gone, 'init', '-q', '-b', 'main');
    const ws = await Workspace.local(gone);
    await rm(gone, { recursive: true, force: true });
    await expect(ws.grep(['podinfo'], { tree: Promise.reject(new Error('no tree')) })).rejects.toThrow('no tree');
    // an unhandled rejection of the search would fail this file when vitest sees it
    await new Promise((resolve) => setTimeout(resolve, 200));
  });
});
