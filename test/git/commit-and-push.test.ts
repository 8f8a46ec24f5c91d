import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

const DEPLOY = 'apps/podinfo/deploy.yaml';

beforeEach(async () => {
  remote = await createRemote({ files: { [DEPLOY]: 'image: podinfo:6.5.0\n', 'apps/other/vs.yaml': 'weight: 100\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-cap-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('commitAndPush', { timeout: 90_000 }, () => {
  it('re-applies on the fresh tree after losing a race, keeping the other actor\'s commit', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    const seen: string[] = [];
    let raced = false;
    const result = await ws.commitAndPush({
      branch: 'main',
      apply: async (w) => {
        seen.push(await w.readFile('apps/other/vs.yaml'));
        if (!raced) {
          // another actor pushes after we planned but before we push
          raced = true;
          await remote.commitOnRemote({ 'apps/other/vs.yaml': 'weight: 90\n' }, 'Someone else');
        }
        const current = await w.readFile(DEPLOY);
        await w.writeFile(DEPLOY, current.replace('6.5.0', '6.5.1'));
        return { subject: 'Release podinfo 6.5.1', trailers: { App: 'podinfo', Tag: '6.5.1' }, files: [DEPLOY] };
      },
    });

    expect(result).toMatchObject({ attempts: 2 });
    // the second apply saw the other actor's change: it ran on the fresh tree
    expect(seen).toEqual(['weight: 100\n', 'weight: 90\n']);
    expect(await remote.readOnRemote(DEPLOY)).toBe('image: podinfo:6.5.1\n');
    expect(await remote.readOnRemote('apps/other/vs.yaml')).toBe('weight: 90\n');
    const log = await remote.log();
    expect(log.map((c) => c.subject)).toEqual(['Release podinfo 6.5.1', 'Someone else', 'Initial config']);
    expect(log[0].sha).toBe(result!.sha);
    // linear: every commit has exactly one parent (no merge), and ours sits on theirs
    expect(log.slice(0, 2).every((c) => c.parents.length === 1)).toBe(true);
    expect(log[0].parents[0]).toBe(log[1].sha);
  });

  it('gives up after `attempts` rejections with a transient GIT_PUSH_REJECTED and leaves the remote untouched', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    let n = 0;
    const err = await ws
      .commitAndPush({
        attempts: 3,
        apply: async (w) => {
          n++;
          await remote.commitOnRemote({ 'apps/other/vs.yaml': `weight: ${n}\n` }, `Other ${n}`);
          await w.writeFile(DEPLOY, `image: podinfo:7.0.${n}\n`);
          return { subject: 'ours', trailers: {}, files: [DEPLOY] };
        },
      })
      .then(() => null, (e: unknown) => e);
    expect(n).toBe(3);
    expect(err).toMatchObject({ code: 'GIT_PUSH_REJECTED', transient: true });
    expect((err as Error).message).toMatch(/rejected 3 time/);
    expect((await remote.log()).map((c) => c.subject)).toEqual(['Other 3', 'Other 2', 'Other 1', 'Initial config']);
    // the working copy is back on the remote head, no stray local commit
    expect(await ws.head()).toBe((await remote.log())[0].sha);
  });

  it('returns null when apply has nothing to change or the files are unchanged', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    expect(await ws.commitAndPush({ apply: async () => null })).toBeNull();
    expect(await ws.commitAndPush({ apply: async () => ({ subject: 's', trailers: {}, files: [DEPLOY] }) })).toBeNull();
    expect(await remote.log()).toHaveLength(1);
  });

  it('serializes concurrent operations on one working copy', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    const bump = (file: string, text: string) =>
      ws.commitAndPush({
        apply: async (w) => {
          await w.writeFile(file, text);
          return { subject: `set ${file}`, trailers: {}, files: [file] };
        },
      });
    const [a, b] = await Promise.all([bump(DEPLOY, 'image: podinfo:8\n'), bump('apps/other/vs.yaml', 'weight: 50\n')]);
    expect(a?.attempts).toBe(1);
    expect(b?.attempts).toBe(1);
    expect(await remote.readOnRemote(DEPLOY)).toBe('image: podinfo:8\n');
    expect(await remote.readOnRemote('apps/other/vs.yaml')).toBe('weight: 50\n');
  });

  it('propagates errors thrown by apply and keeps the lock usable', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await expect(ws.commitAndPush({ apply: async () => Promise.reject(new Error('plan failed')) })).rejects.toThrow('plan failed');
    expect(await ws.commitAndPush({ apply: async () => null })).toBeNull();
  });
});
