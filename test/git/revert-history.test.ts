import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

// CRLF line endings and no final newline: the bytes a re-render would not reproduce
const VS = 'kind: VirtualService\r\nspec:\r\n  weight: 100\r\n  canary: 0';
const GITATTRIBUTES = '*.yaml text eol=lf\n';

beforeEach(async () => {
  remote = await createRemote({ files: { 'vs.yaml': VS, 'deploy.yaml': 'tag: 1\n', '.gitattributes': GITATTRIBUTES } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-rev-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function botCommit(ws: Workspace, file: string, text: string, trailers: Record<string, string>): Promise<string> {
  await ws.writeFile(file, text);
  const sha = await ws.commit({ subject: `${trailers.Action} ${trailers.App}`, trailers, files: [file] });
  if (!sha) throw new Error('nothing committed');
  return sha;
}

describe('revert', { timeout: 90_000 }, () => {
  it('restores a CRLF file without final newline byte for byte, with Reverts trailer', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    expect(await readFile(path.join(ws.dir, 'vs.yaml'), 'utf8')).toBe(VS);
    const stepText = VS.replace('weight: 100', 'weight: 90').replace('canary: 0', 'canary: 10');
    const step = await botCommit(ws, 'vs.yaml', stepText, { App: 'podinfo', Action: 'set-weight' });
    await ws.push('main');
    // .gitattributes asks for LF normalization; what we write must still be what we commit
    expect(await remote.readOnRemote('vs.yaml')).toBe(stepText);

    const revert = await ws.revert(step, { trailers: { App: 'podinfo', Action: 'rollback' } });
    expect(revert).toMatch(/^[0-9a-f]{40}$/);
    await ws.push('main');
    expect(await readFile(path.join(ws.dir, 'vs.yaml'), 'utf8')).toBe(VS);
    expect(await remote.readOnRemote('vs.yaml')).toBe(VS);

    const [entry] = await ws.log({ max: 1 });
    expect(entry.subject).toBe('Revert "set-weight podinfo"');
    expect(entry.message).toContain(`This reverts commit ${step}.`);
    expect(entry.trailers).toEqual({ App: 'podinfo', Action: 'rollback', Reverts: step });
    expect((await ws.status()).clean).toBe(true);
  });

  it('aborts on conflict and names the conflicting files', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    const first = await botCommit(ws, 'deploy.yaml', 'tag: 2\n', { App: 'podinfo', Action: 'release' });
    await botCommit(ws, 'deploy.yaml', 'tag: 3\n', { App: 'podinfo', Action: 'release' });
    const head = await ws.head();
    await expect(ws.revert(first, { trailers: { App: 'podinfo' } })).rejects.toMatchObject({
      code: 'GIT_REVERT_CONFLICT',
      location: { file: 'deploy.yaml' },
      message: expect.stringContaining('deploy.yaml'),
    });
    expect(await ws.head()).toBe(head);
    expect((await ws.status()).clean).toBe(true);
    expect(await ws.readFile('deploy.yaml')).toBe('tag: 3\n');
  });
});

describe('history', { timeout: 90_000 }, () => {
  it('findLastBotCommit skips reverted commits and honours revert-of-revert', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    const a = await botCommit(ws, 'deploy.yaml', 'tag: 2\n', { App: 'podinfo', Track: 'prod', Action: 'release', Tag: '2' });
    await botCommit(ws, 'vs.yaml', 'x: 1\n', { App: 'other', Action: 'release', Tag: '9' });
    const b = await botCommit(ws, 'deploy.yaml', 'tag: 3\n', { App: 'podinfo', Track: 'prod', Action: 'release', Tag: '3' });

    expect((await ws.findLastBotCommit({ app: 'podinfo' }))?.sha).toBe(b);
    const rb = await ws.revert(b, { trailers: { App: 'podinfo', Action: 'rollback' } });
    // the revert itself is the newest podinfo commit; filtered by action, b is skipped
    expect((await ws.findLastBotCommit({ app: 'podinfo' }))?.sha).toBe(rb);
    expect((await ws.findLastBotCommit({ app: 'podinfo', actions: ['release'] }))?.sha).toBe(a);
    expect((await ws.findLastBotCommit({ app: 'podinfo', actions: ['release'], track: 'staging' }))).toBeNull();
    expect((await ws.findLastBotCommit({ app: 'other' }))?.trailers.Tag).toBe('9');
    expect(await ws.findLastBotCommit({ app: 'podin' })).toBeNull();

    // reverting the rollback brings b back into effect
    await ws.revert(rb!, { trailers: { Action: 'release' } });
    expect((await ws.findLastBotCommit({ app: 'podinfo', actions: ['release'] }))?.sha).toBe(b);
  });

  it('log filters by trailer, path and count', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync();
    const a = await botCommit(ws, 'deploy.yaml', 'tag: 2\n', { App: 'pod.info', Action: 'release' });
    await botCommit(ws, 'vs.yaml', 'x: 1\n', { App: 'podXinfo', Action: 'release' });
    const byTrailer = await ws.log({ grepTrailer: { key: 'App', value: 'pod.info' } });
    expect(byTrailer.map((e) => e.sha)).toEqual([a]);
    const byPath = await ws.log({ paths: ['deploy.yaml'] });
    expect(byPath.map((e) => e.subject)).toEqual(['release pod.info', 'Initial config']);
    const all = await ws.log({ max: 2 });
    expect(all).toHaveLength(2);
    expect(all[1].author).toBe('gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>');
    expect(all[1].authorDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(all[0].parents).toEqual([all[1].sha]);
  });
});
