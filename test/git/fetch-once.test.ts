// A scheduler tick fetches once and then commits app after app without fetching again
// (commitAndPush with fetch: false): the push still only fast-forwards, so a remote that
// moved meanwhile refuses it, and the change is planned again on the fetched tree.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({ files: { 'apps/a.yaml': 'weight: 10\n', 'apps/b.yaml': 'weight: 10\n', 'apps/other.yaml': 'x: 1\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-fetch-once-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('commitAndPush without a fetch first', { timeout: 60_000 }, () => {
  it('commits on what it last pushed, and plans again on the fetched tree when the remote moved', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const run = vi.spyOn(ws.runner, 'run');
    const fetches = () => run.mock.calls.filter((c) => c[0][0] === 'fetch').length;
    const step = (file: string, seen: string[] = []) =>
      ws.commitAndPush({
        branch: 'main',
        fetch: false,
        apply: async (w) => {
          seen.push(await w.readFile('apps/other.yaml'));
          await w.writeFile(file, 'weight: 50\n');
          return { subject: `step ${file}`, trailers: { App: file }, files: [file] };
        },
      });
    try {
      expect(await step('apps/a.yaml')).toMatchObject({ attempts: 1 });
      expect(fetches()).toBe(0);

      await remote.commitOnRemote({ 'apps/other.yaml': 'x: 2\n' }, 'Someone else');
      const seen: string[] = [];
      const second = await step('apps/b.yaml', seen);
      // planned on the tree it had pushed, refused, fetched, planned again on theirs
      expect(second).toMatchObject({ attempts: 2 });
      expect(seen).toEqual(['x: 1\n', 'x: 2\n']);
      expect(fetches()).toBe(1);
    } finally {
      run.mockRestore();
    }
    expect((await remote.log()).map((c) => c.subject)).toEqual(['step apps/b.yaml', 'Someone else', 'step apps/a.yaml', 'Initial config']);
    expect(await remote.readOnRemote('apps/a.yaml')).toBe('weight: 50\n');
    expect(await remote.readOnRemote('apps/b.yaml')).toBe('weight: 50\n');
  });
});
