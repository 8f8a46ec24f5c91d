// A bot killed (kill -9) in the middle of its first clone must not leave a repository at
// the clone's path: the fault suite found one (no remote refs) that every later pass
// reused and failed on, for good. The clone is made aside and renamed into place.
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { createRemote, type TestRemote } from '../helpers/git-remote.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let remote: TestRemote | undefined;
let tmp: string | undefined;

afterEach(async () => {
  await remote?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  remote = tmp = undefined;
});

describe('the first clone of a workspace', { timeout: 60_000 }, () => {
  it('killed mid-way leaves nothing at the clone path, and the next open clones and works', async () => {
    remote = await createRemote({ files: { 'apps/a.yaml': 'image: a:1\n' } });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clone-kill-'));
    // a git that finishes the clone's work, then hangs before returning: the kill lands
    // after the repository exists on disk and before the clone is done
    const bin = path.join(tmp, 'bin');
    await mkdir(bin);
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    await writeFile(path.join(bin, 'git'), `#!/bin/sh\ncase " $* " in *" clone "*) "${real}" "$@"; echo cloned > "${tmp}/signal"; exec sleep 60;; esac\nexec "${real}" "$@"\n`);
    await chmod(path.join(bin, 'git'), 0o755);
    const dir = path.join(tmp, 'work', 'config');
    const script = `const { Workspace } = await import(${JSON.stringify(path.join(ROOT, 'src/git/workspace.ts'))}); await Workspace.open({ dir: ${JSON.stringify(dir)}, remoteUrl: ${JSON.stringify(remote.url)} });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      stdio: 'ignore',
      detached: true,
    });
    const exited = new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 400 && !existsSync(path.join(tmp, 'signal')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(path.join(tmp, 'signal'))).toBe(true);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;

    expect(existsSync(path.join(dir, '.git'))).toBe(false);
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    expect(await ws.readFile('apps/a.yaml')).toBe('image: a:1\n');
    // what the killed process left aside is gone too
    expect((await readdir(path.dirname(dir))).filter((n) => n.includes('.cloning-'))).toEqual([]);
  });

  it('mends a clone an older version left half-made: the remote URL written, its fetch refspec and refs not yet', async () => {
    remote = await createRemote({ files: { 'apps/a.yaml': 'image: a:1\n' } });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clone-half-'));
    const dir = path.join(tmp, 'config');
    // what git clone has written when it is killed after the URL and before the fetch
    execFileSync('git', ['init', '-q', dir]);
    execFileSync('git', ['-C', dir, 'config', 'remote.origin.url', remote.url]);

    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    expect(await ws.readFile('apps/a.yaml')).toBe('image: a:1\n');
    expect(execFileSync('git', ['-C', dir, 'config', '--get-all', 'remote.origin.fetch'], { encoding: 'utf8' })).toBe('+refs/heads/*:refs/remotes/origin/*\n');
  });
});
