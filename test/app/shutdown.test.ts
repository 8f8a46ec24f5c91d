// SIGTERM's drain: no new work, the jobs in flight finish (within the grace period), and
// their notifications are flushed before the process exits.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkspacePool } from '../../src/bot/workspaces.ts';
import { closeServer } from '../../src/intake/http.ts';
import { drain } from '../../src/shutdown.ts';
import { createRemote, type TestRemote } from '../helpers/git-remote.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function slowServer(release: Promise<void>) {
  const server = createServer((_req, res) => {
    void release.then(() => res.end('done'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const get = () =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  return { server, listener: { port, close: () => closeServer(server) }, get };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('drain', { timeout: 30_000 }, () => {
  it('waits for the request in flight and the jobs holding a working copy, then flushes', async () => {
    const handler = deferred();
    const job = deferred();
    const { server, listener, get } = await slowServer(handler.promise);
    const inFlight = get();
    await new Promise((r) => setTimeout(r, 50)); // the request has reached the handler
    const events: string[] = [];
    const draining = drain(
      {
        server: listener,
        scheduler: { stop: () => events.push('scheduler stopped') },
        idle: () => job.promise.then(() => void events.push('jobs done')),
        flush: async () => void events.push('flushed'),
      },
      10_000,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['scheduler stopped']);
    handler.resolve();
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    job.resolve();
    expect(await draining).toBe('drained');
    expect(events).toEqual(['scheduler stopped', 'jobs done', 'flushed']);
    expect(server.listening).toBe(false);
  });

  it('gives up after the grace period and still flushes', async () => {
    const never = new Promise<void>(() => undefined);
    const { listener } = await slowServer(Promise.resolve());
    let flushed = false;
    const outcome = await drain({ server: listener, scheduler: { stop: () => undefined }, idle: () => never, flush: async () => void (flushed = true) }, 100);
    expect(outcome).toBe('timed-out');
    expect(flushed).toBe(true);
  });
});

describe('WorkspacePool.idle', { timeout: 60_000 }, () => {
  let remote: TestRemote;

  it('resolves only after every job, including one queued while waiting', async () => {
    remote = await createRemote({ files: { 'README.md': 'x\n' } });
    const work = await mkdtemp(path.join(os.tmpdir(), 'gcb-pool-'));
    cleanups.push(() => remote.cleanup(), () => rm(work, { recursive: true, force: true }));
    const pool = new WorkspacePool(work);
    const repo = { id: { owner: 'acme', name: 'config' }, cloneUrl: remote.url };
    const first = deferred();
    const second = deferred();
    const done: string[] = [];
    void pool.with(repo, undefined, async () => {
      await first.promise;
      done.push('first');
    });
    let idle = false;
    const waiting = pool.idle().then(() => (idle = true));
    void pool.with(repo, undefined, async () => {
      await second.promise;
      done.push('second');
    });
    first.resolve();
    await new Promise((r) => setTimeout(r, 100));
    expect(idle).toBe(false);
    second.resolve();
    await waiting;
    expect(done).toEqual(['first', 'second']);
    await pool.idle();
  });
});
