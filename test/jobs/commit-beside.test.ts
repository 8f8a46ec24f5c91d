// commitPlan's `beside`: work begun once an attempt's files are written (the CLI keeps
// what it derived then, while git commits), and finished before the result is given.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import type { Prepared } from '../../src/jobs/prepared.ts';
import { commitPlan } from '../../src/jobs/run.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({ files: { 'a.yaml': 'tag: 1\n' } });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-beside-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

const prepared = (text: string): Prepared => ({
  plan: { action: 'set-image', title: 'Set tag', edits: [{ file: 'a.yaml', object: { kind: 'ConfigMap', name: 'a' }, field: 'tag', old: '1', new: text }], skipped: [], trailers: { App: 'x' } },
  writes: text === '1' ? new Map() : new Map([['a.yaml', `tag: ${text}\n`]]),
});

describe("commitPlan's beside", { timeout: 90_000 }, () => {
  it('begins once the files are written and ends before the result', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const ws = await Workspace.local(dir);
    const events: string[] = [];
    const result = await commitPlan(ws, async () => prepared('2'), {
      beside: async () => {
        events.push(`begun with ${readFileSync(path.join(dir, 'a.yaml'), 'utf8').trim()}`);
        await sleep(300);
        events.push('ended');
      },
    });
    events.push(`result ${result.status}`);
    expect(events).toEqual(['begun with tag: 2', 'ended', 'result committed']);
    expect((await git(dir, 'show', 'HEAD:a.yaml')).trim()).toBe('tag: 2');
  });

  it('is not begun when nothing is written, and awaited when the commit fails', async () => {
    const dir = await remote.clone(path.join(work, 'mine'));
    const ws = await Workspace.local(dir);
    let begun = 0;
    const unchanged = await commitPlan(ws, async () => prepared('1'), { beside: async () => void begun++ });
    expect(unchanged.status).toBe('unchanged');
    expect(begun).toBe(0);
    // a hook that refuses the commit: the change fails, after what was begun ended
    writeFileSync(path.join(dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    let ended = false;
    const err = await commitPlan(ws, async () => prepared('3'), {
      beside: async () => {
        await sleep(300);
        ended = true;
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(ended).toBe(true);
    // and the working copy has its bytes back
    expect(readFileSync(path.join(dir, 'a.yaml'), 'utf8')).toBe('tag: 1\n');
  });
});
