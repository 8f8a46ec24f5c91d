// The files and history a tick's apps share on a branch are kept from one tree to the
// next: whatever git says changed between the trees is read again, the rest is not, and
// every answer is what reading the working copy afresh gives.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tickBranch } from '../../src/bot/tick/branch.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { HISTORY_DEPTH } from '../../src/jobs/history.ts';
import { memoryContentStore } from '../../src/manifests/tree-store.ts';
import { createRemote, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({ files: { 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 1\n', 'c.yaml': 'c: 1\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-tick-branch-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('what a tick shares on a branch', { timeout: 60_000 }, () => {
  it('reads again only what changed between the trees, and lists what was added', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const branch = tickBranch(ws, undefined, memoryContentStore());
    expect(await branch.target()).toBe('main');
    const first = branch.files();
    expect(await Promise.all(['a.yaml', 'b.yaml', 'c.yaml'].map((f) => first.read(f)))).toEqual(['a: 1\n', 'b: 1\n', 'c: 1\n']);
    expect(await first.list()).toEqual(['a.yaml', 'b.yaml', 'c.yaml']);

    // the tick's own step, then someone else's change and a new file
    await ws.commitAndPush({
      branch: 'main',
      fetch: false,
      apply: async (w) => {
        await w.writeFile('b.yaml', 'b: 2\n');
        return { subject: 'step b', trailers: { App: 'b' }, files: ['b.yaml'] };
      },
    });
    await remote.commitOnRemote({ 'c.yaml': 'c: 2\n', 'd.yaml': 'd: 1\n' }, 'Someone else');
    await ws.sync('main');

    const reads = vi.spyOn(ws, 'readFile');
    const second = branch.files();
    expect(await Promise.all(['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml'].map((f) => second.read(f)))).toEqual(['a: 1\n', 'b: 2\n', 'c: 2\n', 'd: 1\n']);
    expect(reads.mock.calls.map((c) => c[0]).sort()).toEqual(['b.yaml', 'c.yaml', 'd.yaml']);
    expect(await second.list()).toEqual(['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml']);
    reads.mockRestore();

    // a tree with uncommitted changes is read as it is, and nothing of it is kept
    await ws.writeFile('a.yaml', 'a: dirty\n');
    expect(await branch.files().read('a.yaml')).toBe('a: dirty\n');
    await ws.sync('main');
    expect(await branch.files().read('a.yaml')).toBe('a: 1\n');
  });

  it('gives the history a fresh read gives, after the tick’s pushes and after others’', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const branch = tickBranch(ws, 'main', memoryContentStore());
    const shas = (log: readonly { sha: string }[]) => log.map((c) => c.sha);
    expect(shas(await branch.log())).toEqual(shas(await ws.log({ max: HISTORY_DEPTH })));
    for (const file of ['a.yaml', 'b.yaml']) {
      await ws.commitAndPush({
        branch: 'main',
        fetch: false,
        apply: async (w) => {
          await w.writeFile(file, 'changed\n');
          return { subject: `step ${file}`, trailers: { App: file }, files: [file] };
        },
      });
      expect(shas(await branch.log())).toEqual(shas(await ws.log({ max: HISTORY_DEPTH })));
    }
    await remote.commitOnRemote({ 'c.yaml': 'c: 2\n' }, 'Someone else');
    await ws.sync('main');
    const log = await branch.log();
    expect(shas(log)).toEqual(shas(await ws.log({ max: HISTORY_DEPTH })));
    expect(log.map((c) => c.subject)).toEqual(['Someone else', 'step b.yaml', 'step a.yaml', 'Initial config']);
  });
});
