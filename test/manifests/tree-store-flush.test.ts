// A flush writes each store an answer went to without asking again which tree the files
// are: the CLI flushes while git commits the change it wrote, when asking would find
// another tree (or none) than the one the answers were derived from.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RepoFiles } from '../../src/manifests/files.ts';
import { closeTreeStores, flushStores, persistentRepo, treeStoreOf } from '../../src/manifests/tree-store.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gcb-tree-flush-'));
  await mkdir(path.join(root, '.git'));
  closeTreeStores();
});

afterEach(async () => {
  closeTreeStores();
  await rm(root, { recursive: true, force: true });
});

describe('flushing the tree stores', () => {
  it('writes the store of the tree planned on, asking the reader nothing more', async () => {
    const tree = 'a'.repeat(40);
    let asked = 0;
    const files: RepoFiles = {
      root,
      list: async () => [],
      grep: async () => [],
      read: async () => '',
      version: async () => {
        asked++;
        // the change is written once planning is done: the files are no clean tree then
        return asked === 1 ? tree : undefined;
      },
    };
    const repo = persistentRepo(files);
    const store = await treeStoreOf(repo);
    expect(store?.tree).toBe(tree);
    store!.set('section', 'key', { derived: true });
    await flushStores(repo);
    expect(asked).toBe(1);
    const names = await readdir(path.join(root, '.git', 'gitops-canary'));
    expect(names.filter((n) => /^index-[0-9a-f]+\.v8$/.test(n))).toHaveLength(1);
    closeTreeStores();
    // a later process on that tree reads the answer back
    const again = await treeStoreOf(persistentRepo({ ...files, version: async () => tree }));
    expect(again?.get('section', 'key')).toEqual({ derived: true });
  });
});
