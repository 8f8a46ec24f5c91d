// Two processes sharing WORK_DIR share the clones in it. Two pools stand in for them
// here (each takes the clone's lock with a token of its own, as a process does): their
// jobs on one repo never overlap, every sha they report is on the remote, and after the
// other one worked in the clone nothing remembered about it is trusted.
import { readdir, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigRepo } from '../../src/bot/types.ts';
import { WorkspacePool } from '../../src/bot/workspaces.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

const FILE = 'apps/podinfo/deploy.yaml';
let remote: TestRemote;
let work: string;
let repo: ConfigRepo;

beforeEach(async () => {
  remote = await createRemote({ files: { [FILE]: 'count: 0\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-pool-'));
  repo = { id: { owner: 'local', name: 'config-repo' }, cloneUrl: remote.bare };
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('WorkspacePool on a shared WORK_DIR', { timeout: 60_000 }, () => {
  it('takes turns on the clone with another pool, and reports only shas the remote took', async () => {
    const pools = [new WorkspacePool(work), new WorkspacePool(work)];
    let inside = 0;
    let most = 0;
    const job = (pool: WorkspacePool) =>
      pool.with(repo, undefined, async (ws) => {
        most = Math.max(most, ++inside);
        try {
          return await ws.commitAndPush({
            branch: 'main',
            apply: async (w) => {
              const n = Number((await w.readFile(FILE)).match(/\d+/)![0]);
              await w.writeFile(FILE, `count: ${n + 1}\n`);
              return { subject: `count ${n + 1}`, trailers: { App: 'podinfo' }, files: [FILE] };
            },
          });
        } finally {
          inside--;
        }
      });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => job(pools[i % 2])));
    expect(most).toBe(1);
    expect(await remote.readOnRemote(FILE)).toBe('count: 12\n');
    const onRemote = new Set((await remote.log()).map((c) => c.sha));
    for (const r of results) expect(onRemote.has(r!.sha)).toBe(true);
    expect((await readdir(path.join(work, 'local'))).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('resets the clone after another pool used it, even when HEAD did not move', async () => {
    const [a, b] = [new WorkspacePool(work), new WorkspacePool(work)];
    await a.with(repo, undefined, (ws) => ws.sync('main'));
    // the other process stops halfway through a job: a file changed, nothing committed,
    // written behind the back of this process's bookkeeping
    await b.with(repo, undefined, async (ws) => {
      await ws.sync('main');
      await writeFile(path.join(ws.dir, FILE), 'count: 99 (half done)\n');
    });
    const seen = await a.with(repo, undefined, async (ws) => {
      await ws.sync('main');
      return ws.readFile(FILE);
    });
    expect(seen).toBe('count: 0\n');
    expect(await git(a.dirFor(repo), 'status', '--porcelain')).toBe('');
  });
});

describe('WorkspacePool after a process was killed inside a git write', { timeout: 60_000 }, () => {
  // Measured in the kill -9 suite (GitHub mode, run 6): the killed bot left
  // .git/index.lock in its clone, the restarted bot could not commit, and one release was
  // lost. The next holder of the clone removes git's lock files before using it.
  it('removes git lock files the previous holder left, then commits', async () => {
    const killed = new WorkspacePool(work);
    await killed.with(repo, undefined, (ws) => ws.sync('main'));
    const dir = killed.dirFor(repo);
    await writeFile(path.join(dir, '.git', 'index.lock'), '');
    await writeFile(path.join(dir, '.git', 'HEAD.lock'), '');
    await writeFile(path.join(dir, '.git', 'refs', 'heads', 'main.lock'), '');
    const seen: string[][] = [];
    const restarted = new WorkspacePool(work, { onLock: (e) => e.removedGitLocks && seen.push(e.removedGitLocks) });
    const result = await restarted.with(repo, undefined, (ws) =>
      ws.commitAndPush({
        branch: 'main',
        apply: async (w) => {
          await w.writeFile(FILE, 'count: 1\n');
          return { subject: 'count 1', trailers: { App: 'podinfo' }, files: [FILE] };
        },
      }),
    );
    expect(result?.sha).toBeTruthy();
    expect(await remote.readOnRemote(FILE)).toBe('count: 1\n');
    expect(seen).toEqual([['.git/HEAD.lock', '.git/index.lock', '.git/refs/heads/main.lock']]);
  });
});
