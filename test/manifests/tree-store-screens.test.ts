// The CLI's `git grep` results kept on disk (src/manifests/kept-screens.ts): each "process"
// below starts with nothing in memory, as a cold CLI run does. Kept and carried forward,
// the answer must be what a fresh search of the tree finds; a file that is corrupt, of
// other tokens, of another version or naming paths outside the repo is never believed; a
// kept answer that missed a file (forged, or left by a bug) misses it only until that
// file changes or the next full search.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forgetScreens, MAX_CARRIED } from '../../src/git/screen-cache.ts';
import { readCheckoutConfig } from '../../src/git/config-snapshot.ts';
import { PREWRITE_MIN_FILES } from '../../src/git/prewrite.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { workspaceFiles } from '../../src/jobs/run.ts';
import { closeTreeStores, flushStores, persistentRepo } from '../../src/manifests/tree-store.ts';
import { git } from '../helpers/git-remote.ts';

const TOKENS = ['podinfo', 'apps:podinfo-policy'];

let dir: string;

interface Stored {
  format: number;
  version: string;
  tokens: string[];
  record: { tree: string; hits: string[]; carried: number };
}

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

/** A search in a new "process": nothing of an earlier one in memory. */
async function coldSearch(tokens = TOKENS): Promise<string[]> {
  closeTreeStores();
  forgetScreens();
  const repo = persistentRepo(workspaceFiles(await Workspace.local(dir)));
  const hits = await repo.grep(tokens);
  await flushStores(repo);
  return [...hits].sort();
}

/** What `git grep` finds in the tree now, asked without any store. */
async function freshSearch(tokens = TOKENS): Promise<string[]> {
  forgetScreens();
  return [...(await (await Workspace.local(dir)).grep(tokens))].sort();
}

const storeDir = () => path.join(dir, '.git/gitops-canary');
const screenFiles = async () => (await readdir(storeDir()).catch(() => [] as string[])).filter((n) => n.startsWith('screen-'));

async function screenFile(): Promise<string> {
  const files = await screenFiles();
  expect(files).toHaveLength(1);
  return path.join(storeDir(), files[0]);
}

async function rewrite(change: (s: Stored) => void): Promise<void> {
  const file = await screenFile();
  const s = deserialize(await readFile(file)) as Stored;
  change(s);
  await writeFile(file, serialize(s));
}

const head = async () => (await git(dir, 'rev-parse', 'HEAD^{tree}')).trim();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kept-screens-'));
  await git(dir, 'init', '-q', '-b', 'main');
  const files: Record<string, string> = {};
  for (let i = 0; i < 12; i++) files[`apps/a${i}.yaml`] = `image: ghcr.io/acme/${i % 3 === 0 ? 'podinfo' : 'other'}:1.0.${i}\n`;
  // only the policy id names the image here
  files['apps/values.yaml'] = 'tag: 1.0.0 # {"$imagepolicy": "apps:podinfo-policy:tag"}\n';
  await commit(files);
});

beforeEach(async () => {
  await rm(storeDir(), { recursive: true, force: true });
});

afterAll(async () => {
  closeTreeStores();
  forgetScreens();
  await rm(dir, { recursive: true, force: true });
});

describe('git grep results kept between processes', () => {
  it('finds what a fresh search finds, on the same tree and after commits that add, remove and delete references', async () => {
    expect(await coldSearch()).toEqual(await freshSearch());
    const first = deserialize(await readFile(await screenFile())) as Stored;
    expect(first.record.tree).toBe(await head());
    expect(first.record.carried).toBe(0);
    expect(await coldSearch()).toEqual(await freshSearch());
    const tree0 = await head();

    await commit({ 'apps/a1.yaml': 'image: ghcr.io/acme/podinfo:2.0.0\n', 'apps/a3.yaml': 'image: ghcr.io/acme/other:2\n', 'apps/a6.yaml': null, 'new/b.yaml': '# podinfo\n' });
    const carried = await coldSearch();
    expect(carried).toEqual(await freshSearch());
    expect(carried).toEqual(['apps/a0.yaml', 'apps/a1.yaml', 'apps/a9.yaml', 'apps/values.yaml', 'new/b.yaml']);
    const second = deserialize(await readFile(await screenFile())) as Stored;
    const { step, ...record } = second.record as Stored['record'] & { step?: { from: string; changed: string[] } };
    expect(record).toEqual({ tree: await head(), hits: carried, carried: 1 });
    // how it got there: the files git diff named, re-checked
    expect(step).toEqual({ from: tree0, changed: ['apps/a1.yaml', 'apps/a3.yaml', 'apps/a6.yaml', 'new/b.yaml'] });

    await commit({ 'apps/values.yaml': 'tag: 1.0.0\n', 'apps/c.yaml': 'newTag: 1.0.0 # {"$imagepolicy": "apps:podinfo-policy:tag"}\n' });
    expect(await coldSearch()).toEqual(await freshSearch());
    expect(await coldSearch()).toContain('apps/c.yaml');
  });

  it('takes the files of a tree seen before from the store, without searching', async () => {
    const found = await coldSearch();
    // a file the store names is believed on its tree: only the parse of it decides
    await rewrite((s) => s.record.hits.push('apps/a2.yaml'));
    expect(await coldSearch()).toEqual([...found, 'apps/a2.yaml'].sort());
  });

  it('finds a file the store missed once that file changes, and at the next full search', async () => {
    const found = await coldSearch();
    expect(found).toContain('apps/a0.yaml');
    await rewrite((s) => (s.record.hits = s.record.hits.filter((h) => h !== 'apps/a0.yaml' && h !== 'apps/a9.yaml')));
    // carried to a tree where a0 did not change: still missed (only changed files are read)
    await commit({ 'apps/a4.yaml': 'image: ghcr.io/acme/other:3\n' });
    expect(await coldSearch()).not.toContain('apps/a0.yaml');
    // a0 changes: read again and found
    await commit({ 'apps/a0.yaml': 'image: ghcr.io/acme/podinfo:3.0.0\n' });
    const after = await coldSearch();
    expect(after).toContain('apps/a0.yaml');
    expect(after).not.toContain('apps/a9.yaml');

    // after MAX_CARRIED carried trees, a full search finds a9 though it never changed
    await rewrite((s) => (s.record.carried = MAX_CARRIED));
    await commit({ 'apps/a5.yaml': 'image: ghcr.io/acme/other:4\n' });
    expect(await coldSearch()).toEqual(await freshSearch());
    expect((deserialize(await readFile(await screenFile())) as Stored).record.carried).toBe(0);
  });

  const broken: Array<[string, (file: string) => Promise<void>]> = [
    ['corrupt', (file) => writeFile(file, 'not a v8 serialization')],
    ['of other tokens', (file) => readFile(file).then((b) => writeFile(file, serialize({ ...(deserialize(b) as Stored), tokens: ['other'] })))],
    ['of another version', (file) => readFile(file).then((b) => writeFile(file, serialize({ ...(deserialize(b) as Stored), version: '0.0.0-other' })))],
    ['of another format', (file) => readFile(file).then((b) => writeFile(file, serialize({ ...(deserialize(b) as Stored), format: 99 })))],
    [
      'naming a path outside the repo',
      (file) =>
        readFile(file).then((b) => {
          const s = deserialize(b) as Stored;
          return writeFile(file, serialize({ ...s, record: { ...s.record, hits: [...s.record.hits, '../outside.yaml'] } }));
        }),
    ],
    [
      'with a tree that is no tree id',
      (file) =>
        readFile(file).then((b) => {
          const s = deserialize(b) as Stored;
          return writeFile(file, serialize({ ...s, record: { ...s.record, tree: 'HEAD' } }));
        }),
    ],
  ];

  for (const [what, spoil] of broken) {
    it(`ignores a kept search ${what} and keeps a fresh one`, async () => {
      await coldSearch();
      await rewrite((s) => (s.record.hits = ['apps/a2.yaml']));
      await spoil(await screenFile());
      const found = await coldSearch();
      expect(found).toEqual(await freshSearch());
      expect(found).not.toContain('apps/a2.yaml');
      const rewritten = deserialize(await readFile(await screenFile())) as Stored;
      expect(rewritten.record).toEqual({ tree: await head(), hits: found, carried: 0 });
    });
  }

  it('keeps nothing for a tree with uncommitted changes', async () => {
    await writeFile(path.join(dir, 'apps/a2.yaml'), 'image: ghcr.io/acme/podinfo:9\n');
    try {
      expect(await coldSearch()).toContain('apps/a2.yaml');
      expect(await screenFiles()).toEqual([]);
    } finally {
      await git(dir, 'checkout', '--', 'apps/a2.yaml');
    }
  });

  it('keeps the searches of a run that commits for the tree it made: the next run there searches nothing', async () => {
    await coldSearch();
    const before = await head();
    // a run as the CLI's: it searches, writes (enough files for the pack, whose tree the
    // commit takes), commits, then keeps its searches
    closeTreeStores();
    forgetScreens();
    const ws = await Workspace.local(dir, { config: await readCheckoutConfig(dir) });
    await ws.sync();
    const repo = persistentRepo(workspaceFiles(ws));
    await repo.grep(TOKENS);
    const writes = new Map([
      ['apps/a2.yaml', 'image: ghcr.io/acme/podinfo:5.0.0\n'],
      ['apps/a0.yaml', 'image: ghcr.io/acme/other:5.0.0\n'],
      ...Array.from({ length: PREWRITE_MIN_FILES }, (_, i) => [`more/m${i}.yaml`, `image: ghcr.io/acme/${i % 2 ? 'podinfo' : 'other'}:5.0.${i}\n`] as [string, string]),
    ]);
    ws.prewriteSoon(writes);
    await ws.writeFiles(writes);
    await ws.commit({ subject: 'Bump 5.0.0', trailers: { App: 'x' }, files: [...writes.keys()] });
    await flushStores(repo);
    const kept = deserialize(await readFile(await screenFile())) as Stored;
    const { step, ...record } = kept.record as Stored['record'] & { step?: { from: string; changed: string[] } };
    expect(record).toEqual({ tree: await head(), hits: await freshSearch(), carried: 1 });
    // and how it came there, for what other stores kept of the tree before
    expect(step?.from).toBe(before);
    expect([...(step?.changed ?? [])].sort()).toEqual([...writes.keys()].sort());
    expect(kept.record.hits).toContain('apps/a2.yaml');
    expect(kept.record.hits).not.toContain('apps/a0.yaml');
    // the next run takes it as it is (a hit added by hand shows that no search ran)
    await rewrite((s) => s.record.hits.push('apps/a4.yaml'));
    expect(await coldSearch()).toContain('apps/a4.yaml');
    // and the tree it started from is kept too: a run back there searches nothing either
    await rewrite((s) => (s as Stored & { others: Stored['record'][] }).others.find((r) => r.tree === before)!.hits.push('apps/a5.yaml'));
    await git(dir, 'reset', '-q', '--hard', 'HEAD~1');
    expect(await head()).toBe(before);
    expect(await coldSearch()).toContain('apps/a5.yaml');
  });
});
