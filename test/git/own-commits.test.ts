// What the bot's clone remembers of its own commits instead of asking git: the tree a
// commit made and the files it can differ in from its parent's (tree-steps.ts), and that
// HEAD and the remote branch are still where the last sync or push left them. Each must
// be what git says, and must be asked of git again once any other command has run in
// the clone.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GitRunner } from '../../src/git/exec.ts';
import { generation, WatchedRunner } from '../../src/git/watched-runner.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { changedSince, madeFrom, recordTreeStep, writtenText } from '../../src/repo-io/tree-steps.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({ files: { 'apps/a.yaml': 'a: 1\n', 'apps/b.yaml': 'b: 1\n', 'apps/gone.yaml': 'x: 1\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-own-commits-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

const headTree = async (dir: string) => (await git(dir, 'rev-parse', 'HEAD^{tree}')).trim();
const diffTree = async (dir: string, from: string, to: string) =>
  (await git(dir, 'diff-tree', '-r', '--name-only', '--no-renames', '-z', from, to)).split('\0').filter(Boolean).sort();

type Edit = { write?: Record<string, string>; remove?: string[]; link?: Record<string, string> };

async function step(ws: Workspace, edit: Edit): Promise<string> {
  const pushed = await ws.commitAndPush({
    branch: 'main',
    fetch: false,
    apply: async (w) => {
      for (const [rel, text] of Object.entries(edit.write ?? {})) await w.writeFile(rel, text);
      for (const rel of edit.remove ?? []) await w.removeFile(rel);
      for (const [rel, to] of Object.entries(edit.link ?? {})) await symlink(to, path.join(w.dir, rel));
      const files = [...Object.keys(edit.write ?? {}), ...(edit.remove ?? []), ...Object.keys(edit.link ?? {})];
      return { subject: `edit ${files.join(' ')}`, trailers: { App: 'a' }, files };
    },
  });
  return pushed!.sha;
}

describe("the bot's own commits, known without asking git", { timeout: 60_000 }, () => {
  it('records the tree each commit made, and what it can differ in, as git computes them', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const edits: Edit[] = [
      { write: { 'apps/a.yaml': 'a: 2\n' } },
      // one file written with the bytes it had: recorded, though git sees no change
      { write: { 'apps/b.yaml': 'b: 1\n', 'apps/new/c.yaml': 'c: 1\n' } },
      { remove: ['apps/gone.yaml'], write: { 'apps/a.yaml': 'a: 3\n' } },
      { link: { 'apps/link.yaml': 'a.yaml' } },
    ];
    let parent = await headTree(ws.dir);
    const first = parent;
    for (const edit of edits) {
      const sha = await step(ws, edit);
      const tree = await headTree(ws.dir);
      expect((await git(ws.dir, 'rev-parse', 'HEAD')).trim()).toBe(sha);
      expect((await git(remote.bare, 'rev-parse', 'main')).trim()).toBe(sha);
      const run = vi.spyOn(GitRunner.prototype, 'run');
      // the tree the commit wrote: no git asked
      expect(await ws.cleanTree()).toBe(tree);
      await ws.sync('main', { fetch: false });
      expect(run).not.toHaveBeenCalled();
      run.mockRestore();
      const recorded = changedSince(parent, tree)!;
      const written = [...Object.keys(edit.write ?? {}), ...(edit.remove ?? []), ...Object.keys(edit.link ?? {})].sort();
      expect([...recorded].sort()).toEqual(written);
      // every path git names is recorded; what else is recorded has the same bytes in both
      const differ = await diffTree(ws.dir, parent, tree);
      expect(written).toEqual(expect.arrayContaining(differ));
      for (const rel of written.filter((r) => !differ.includes(r))) expect(await git(ws.dir, 'rev-parse', `${parent}:${rel}`)).toBe(await git(ws.dir, 'rev-parse', `${tree}:${rel}`));
      parent = tree;
    }
    // steps chain: from the first tree to the last, every path written on the way
    expect((changedSince(first, parent) ?? []).sort()).toEqual(['apps/a.yaml', 'apps/b.yaml', 'apps/gone.yaml', 'apps/link.yaml', 'apps/new/c.yaml']);
    // the texts written on the way, as the last tree holds them; none for a path removed,
    // linked or never written
    expect(writtenText(parent, 'apps/a.yaml')).toBe(await git(ws.dir, 'show', `${parent}:apps/a.yaml`));
    expect(writtenText(parent, 'apps/a.yaml')).toBe('a: 3\n');
    expect(writtenText(parent, 'apps/new/c.yaml')).toBe(await git(ws.dir, 'show', `${parent}:apps/new/c.yaml`));
    for (const rel of ['apps/gone.yaml', 'apps/link.yaml', 'apps/other.yaml']) expect(writtenText(parent, rel)).toBeUndefined();
    expect(await diffTree(ws.dir, first, parent)).toEqual(['apps/a.yaml', 'apps/gone.yaml', 'apps/link.yaml', 'apps/new/c.yaml']);
  });

  it('asks git again once another command ran in the clone', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const pushed = await step(ws, { write: { 'apps/a.yaml': 'a: 2\n' } });
    const before = (await git(ws.dir, 'rev-parse', 'HEAD~1')).trim();

    // HEAD moved behind what the bot remembers: cleanTree and commit read it from git
    await ws.runner.run(['reset', '-q', '--hard', before]);
    expect(await ws.cleanTree()).toBe(await headTree(ws.dir));
    await ws.writeFile('apps/b.yaml', 'b: 2\n');
    const sha = await ws.commit({ subject: 'on the reset head', trailers: { App: 'b' }, files: ['apps/b.yaml'] });
    expect((await git(ws.dir, 'rev-parse', `${sha}^`)).trim()).toBe(before);

    // sync without a fetch goes back to what was last pushed, not what HEAD became
    await ws.sync('main', { fetch: false });
    expect((await git(ws.dir, 'rev-parse', 'HEAD')).trim()).toBe(pushed);
    expect(await ws.status()).toMatchObject({ branch: 'main', clean: true });

    // a fetch counts as a change: the next sync without one asks where the remote branch is
    const moved = await remote.commitOnRemote({ 'apps/b.yaml': 'b: 3\n' }, 'Someone else');
    await ws.fetch();
    await ws.sync('main', { fetch: false });
    expect((await git(ws.dir, 'rev-parse', 'HEAD')).trim()).toBe(moved);
    expect(await ws.readFile('apps/b.yaml')).toBe('b: 3\n');
  });

  it('counts the commands that may change a clone, and no others', async () => {
    const dir = path.join(work, 'r');
    await git(work, 'init', '-q', '--initial-branch=main', dir);
    await git(dir, 'commit', '-q', '--allow-empty', '-m', 'x');
    const runner = new WatchedRunner({ cwd: dir, hermetic: true });
    const g = generation(dir);
    await runner.run(['rev-parse', 'HEAD']);
    await runner.run(['log', '-1']);
    await runner.run(['symbolic-ref', '-q', '--short', 'HEAD']);
    await runner.run(['ls-files', '-z']);
    await runner.run(['diff-index', '--quiet', 'HEAD', '--'], { ok: [0, 1] });
    expect(generation(dir)).toBe(g);
    await runner.run(['symbolic-ref', 'HEAD', 'refs/heads/other']);
    expect(generation(dir)).toBeGreaterThan(g);
    const h = generation(dir);
    // a command that fails counts too: it may have changed something before it failed
    await expect(runner.run(['update-ref', 'refs/heads/x', 'nope'])).rejects.toThrow();
    expect(generation(dir)).toBeGreaterThan(h);
    const i = generation(dir);
    await runner.tryRun(['commit', '-q', '--allow-empty', '-m', 'y']);
    expect(generation(dir)).toBeGreaterThan(i);
  });

  it('carries a search past a commit of its own of many files without searching again', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const before = await ws.grep(['podinfo'], { tree: await ws.cleanTree() });
    expect(before).toEqual([]);
    // more files than a search re-reads before it would rather ask git (screen-cache.ts)
    const write: Record<string, string> = {};
    for (let i = 0; i < 600; i++) write[`apps/many/f${i}.yaml`] = i % 3 === 0 ? `image: ghcr.io/acme/podinfo:${i}\n` : `image: ghcr.io/acme/other:${i}\n`;
    await step(ws, { write, remove: ['apps/gone.yaml'] });
    const run = vi.spyOn(GitRunner.prototype, 'run');
    const carried = await ws.grep(['podinfo'], { tree: await ws.cleanTree() });
    expect(run.mock.calls.filter(([args]) => args[0] === 'grep' || args[0] === 'diff-tree')).toEqual([]);
    run.mockRestore();
    expect(carried).toEqual(await ws.grep(['podinfo']));
    expect(carried).toHaveLength(200);
  });

  it('follows recorded steps only as far as they go', () => {
    recordTreeStep('t1', 't2', ['a']);
    recordTreeStep('t2', 't3', ['b', 'a']);
    expect(changedSince('t1', 't3')?.sort()).toEqual(['a', 'b']);
    expect(changedSince('t3', 't3')).toEqual([]);
    expect(changedSince('t2', 't1')).toBeUndefined();
    expect(changedSince('t0', 't3')).toBeUndefined();
    expect(madeFrom('t3', (t) => t === 't2' || t === 't1')).toEqual({ tree: 't2', changed: ['b', 'a'] });
  });

  it('keeps the texts of the newest steps, up to a bound', () => {
    const big = 'x'.repeat(9 * 1024 * 1024);
    recordTreeStep('u1', 'u2', ['a', 'b'], new Map([['a', `${big}1`]]));
    recordTreeStep('u2', 'u3', ['b'], new Map([['b', `${big}2`]]));
    expect(writtenText('u3', 'a')).toBe(`${big}1`);
    expect(writtenText('u2', 'b')).toBeUndefined();
    expect(writtenText('u3', 'b')).toBe(`${big}2`);
    // past 32 M characters the oldest steps' texts go; the steps stay
    recordTreeStep('u3', 'u4', ['c'], new Map([['c', `${big}3`]]));
    recordTreeStep('u4', 'u5', ['d'], new Map([['d', `${big}4`]]));
    expect(writtenText('u5', 'a')).toBeUndefined();
    expect(writtenText('u5', 'd')).toBe(`${big}4`);
    expect(changedSince('u1', 'u5')?.sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});
