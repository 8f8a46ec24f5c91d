// A commit of many files has its objects written as one pack first (src/git/prewrite.ts):
// the commit is the one it would be without, the objects it needs are all there, and
// nothing but the commit object itself is written loose.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { attributesKeepBytes, fastImportTunables, prewriteObjects, PREWRITE_MIN_FILES } from '../../src/git/prewrite.ts';
import { readCheckoutConfig } from '../../src/git/config-snapshot.ts';
import { GitRunner } from '../../src/git/exec.ts';
import { createRemote, git, gitEnv, type TestRemote } from '../helpers/git-remote.ts';

const gitInput = (cwd: string, args: string[], input: string) => execFileSync('git', args, { cwd, env: gitEnv(), input, encoding: 'utf8' });

let remote: TestRemote;
let work: string;
const N = PREWRITE_MIN_FILES + 36;

const files: Record<string, string> = { 'run.sh': '#!/bin/sh\n', 'keep/x.yaml': 'x: 1\n', 'gone.yaml': 'g: 1\n' };
for (let i = 0; i < N; i++) files[`apps/a${i % 7}/deploy ${i}.yaml`] = `image: ghcr.io/acme/app:1.0.${i}\n`;

beforeEach(async () => {
  remote = await createRemote({ files });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-prewrite-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

const loose = async (dir: string) => Number(/^count: (\d+)$/m.exec(await git(dir, 'count-objects', '-v'))![1]);

/** Writes every app file anew (and an executable, a removal, a new file) and commits. */
async function bump(ws: Workspace, tag: string): Promise<string | null> {
  const names: string[] = [];
  for (let i = 0; i < N; i++) {
    const rel = `apps/a${i % 7}/deploy ${i}.yaml`;
    await ws.writeFile(rel, `image: ghcr.io/acme/app:${tag}.${i}\n`);
    names.push(rel);
  }
  await ws.writeFile('run.sh', `#!/bin/sh\n# ${tag}\n`);
  await ws.writeFile('new/b.yaml', `b: ${tag}\n`);
  await ws.removeFile('gone.yaml');
  return ws.commit({ subject: `Bump ${tag}`, trailers: { App: 'x' }, files: [...names, 'run.sh', 'new/b.yaml', 'gone.yaml'] });
}

describe('objects of a large commit written as one pack', { timeout: 90_000 }, () => {
  for (const mode of ['managed', 'local'] as const) {
    it(`${mode}: commits what a commit without it would, writing only the commit object loose`, async () => {
      // an executable among the files: fast-import is told 100644 for every file
      const seed = await remote.clone(path.join(work, 'seed'));
      await chmod(path.join(seed, 'run.sh'), 0o755);
      await git(seed, 'update-index', '--chmod=+x', 'run.sh');
      await git(seed, 'commit', '-q', '-m', 'executable');
      await git(seed, 'push', '-q', 'origin', 'HEAD');
      const dir = path.join(work, 'clone');
      const ws = mode === 'managed' ? await Workspace.open({ dir, remoteUrl: remote.url }) : await Workspace.local(await remote.clone(dir));
      await ws.sync();
      const base = (await git(dir, 'rev-parse', 'HEAD')).trim();
      const before = await loose(dir);
      const sha = await bump(ws, '2.0');
      expect(sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
      // the same change made by plain git in a second clone gives the same tree
      const other = await remote.clone(path.join(work, 'other'));
      await git(other, 'fetch', '-q', dir, base);
      await git(other, 'reset', '-q', '--hard', base);
      for (let i = 0; i < N; i++) await writeFile(path.join(other, `apps/a${i % 7}/deploy ${i}.yaml`), `image: ghcr.io/acme/app:2.0.${i}\n`);
      await writeFile(path.join(other, 'run.sh'), '#!/bin/sh\n# 2.0\n');
      await mkdir(path.join(other, 'new'));
      await writeFile(path.join(other, 'new/b.yaml'), 'b: 2.0\n');
      await rm(path.join(other, 'gone.yaml'));
      await git(other, 'add', '-A', '.');
      expect((await git(dir, 'rev-parse', 'HEAD^{tree}')).trim()).toBe((await git(other, 'write-tree')).trim());
      // mode kept, content as written, nothing else staged or left over
      expect((await git(dir, 'ls-tree', 'HEAD', 'run.sh')).split(' ')[0]).toBe('100755');
      expect(await git(dir, 'show', 'HEAD:new/b.yaml')).toBe('b: 2.0\n');
      expect(await git(dir, 'show', `HEAD:apps/a3/deploy 10.yaml`)).toBe('image: ghcr.io/acme/app:2.0.10\n');
      expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
      expect((await git(dir, 'for-each-ref', 'refs/gitops-canary/')).trim()).toBe('');
      await git(dir, 'fsck', '--no-dangling', '--connectivity-only');
      // blobs and trees came from the pack; an executable's tree path alone may be loose
      expect((await loose(dir)) - before).toBeLessThanOrEqual(3);
    });
  }

  it('leaves nothing behind when git refuses, and the commit writes the objects itself', async () => {
    const dir = path.join(work, 'clone');
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    const runner = new GitRunner({ cwd: dir, hermetic: true });
    const missing = 'f'.repeat(40);
    expect(await prewriteObjects(runner, path.join(dir, '.git'), missing, new Map([['a.yaml', Buffer.from('a: 1\n')]]))).toBeUndefined();
    expect((await git(dir, 'for-each-ref', 'refs/gitops-canary/')).trim()).toBe('');
    // fast-import's crash report is not left in the clone
    expect(readdirSync(path.join(dir, '.git')).filter((f) => f.startsWith('fast_import_crash'))).toEqual([]);
    expect(await bump(ws, '3.0')).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    await git(dir, 'fsck', '--no-dangling', '--connectivity-only');
  });

  it('runs fast-import with the top of its heap kept, an operator\'s own malloc settings kept too, at the fastest deflate level', async () => {
    expect(fastImportTunables(undefined)).toBe('glibc.malloc.trim_threshold=4194304');
    expect(fastImportTunables('glibc.malloc.arena_max=2')).toBe('glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=4194304');
    expect(fastImportTunables('glibc.malloc.trim_threshold=0')).toBe('glibc.malloc.trim_threshold=0');
    // what the git process itself sees
    const dir = path.join(work, 'clone');
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    const bin = path.join(work, 'bin');
    await mkdir(bin);
    const seen = path.join(work, 'seen');
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const args = path.join(work, 'args');
    await writeFile(path.join(bin, 'git'), `#!/bin/sh\ncase "$*" in *fast-import*) printf '%s' "$GLIBC_TUNABLES" > '${seen}'; printf '%s' "$*" > '${args}';; esac\nexec '${realGit}' "$@"\n`);
    await chmod(path.join(bin, 'git'), 0o755);
    const saved = { PATH: process.env.PATH, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES };
    try {
      process.env.PATH = `${bin}:${saved.PATH ?? ''}`;
      process.env.GLIBC_TUNABLES = 'glibc.malloc.arena_max=2';
      const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
      expect(await prewriteObjects(new GitRunner({ cwd: dir, hermetic: true }), path.join(dir, '.git'), head, new Map([['a.yaml', Buffer.from('a: 1\n')]]))).toBeDefined();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(readFileSync(seen, 'utf8')).toBe('glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=4194304');
    // and deflating at zlib's fastest level (most of its time, for a pack 0.8 % larger)
    expect(readFileSync(args, 'utf8')).toMatch(/-c pack\.compression=1 .*fast-import/);
  });

  it('begins the pack while the plan is analyzed, before a file is written, and packs once', async () => {
    const dir = path.join(work, 'clone');
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    const writes = new Map(Array.from({ length: N }, (_, i) => [`apps/a${i % 7}/deploy ${i}.yaml`, `image: ghcr.io/acme/app:4.0.${i}\n`]));
    const packs = async () => Number((await git(dir, 'count-objects', '-v')).match(/^packs: (\d+)$/m)![1]);
    const before = await packs();
    const blob = gitInput(dir, ['hash-object', '--stdin'], 'image: ghcr.io/acme/app:4.0.5\n').trim();
    // what the gate does with a plan about to be written (workspaceFiles' willWrite)
    ws.prewriteSoon(writes);
    for (let i = 0; i < 200 && (await packs()) === before; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await packs()).toBe(before + 1);
    expect((await git(dir, 'cat-file', '-t', blob)).trim()).toBe('blob');
    expect(await git(dir, 'status', '--porcelain')).toBe('');
    await ws.writeFiles(writes);
    const sha = await ws.commit({ subject: 'Bump 4.0', trailers: { App: 'x' }, files: [...writes.keys()] });
    expect(sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    // no second pack for the same bytes, and the commit is the one the files make
    expect(await packs()).toBe(before + 1);
    expect(await git(dir, 'show', 'HEAD:apps/a5/deploy 5.yaml')).toBe('image: ghcr.io/acme/app:4.0.5\n');
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
    await git(dir, 'fsck', '--no-dangling', '--connectivity-only');
    // texts other than those begun on (the plan changed): packed again, from what is written
    ws.prewriteSoon(writes);
    const other = new Map([...writes].map(([rel, text]) => [rel, text.replace('4.0', '5.0')]));
    await ws.writeFiles(other);
    await ws.commit({ subject: 'Bump 5.0', trailers: { App: 'x' }, files: [...other.keys()] });
    expect(await git(dir, 'show', 'HEAD:apps/a5/deploy 5.yaml')).toBe('image: ghcr.io/acme/app:5.0.5\n');
    await git(dir, 'fsck', '--no-dangling', '--connectivity-only');
  });

  it('stages the files beside the pack begun, asking git for their ids alone; their objects written from the files when the pack fails', async () => {
    for (const variant of ['packed', 'fails', 'local', 'local-text', 'attributes', 'executable', 'local-attributes'] as const) {
      const fails = variant === 'fails';
      const local = variant.startsWith('local');
      if (variant === 'executable') {
        // one of the files executable in HEAD: the index keeps 100755 for it, which the
        // pack's tree (100644 throughout) does not hold, so git writes the tree
        const seed = await remote.clone(path.join(work, 'seed-executable'));
        await chmod(path.join(seed, 'apps/a3/deploy 3.yaml'), 0o755);
        await git(seed, 'update-index', '--chmod=+x', 'apps/a3/deploy 3.yaml');
        await git(seed, 'commit', '-q', '-m', 'executable');
        await git(seed, 'push', '-q', 'origin', 'HEAD');
      }
      if (variant === 'local-text') {
        // end-of-line attributes, as many repositories set them: files without a CR are
        // stored as they are
        const seed = await remote.clone(path.join(work, 'seed-text'));
        await writeFile(path.join(seed, '.gitattributes'), '* text=auto eol=lf\n*.png binary\n');
        await git(seed, 'add', '.gitattributes');
        await git(seed, 'commit', '-q', '-m', 'text');
        await git(seed, 'push', '-q', 'origin', 'HEAD');
      }
      if (variant === 'attributes' || variant === 'local-attributes') {
        // a .gitattributes that would have git store other bytes than written ($Id$ kept
        // for `$Id: ... $`): none applies in the bot's clone, so the pack's blobs are the ones
        const seed = await remote.clone(path.join(work, `seed-${variant}`));
        // (each variant a file of its own: the remote keeps the other's)
        const attributes = variant === 'attributes' ? 'apps/.gitattributes' : 'apps/a5/.gitattributes';
        await writeFile(path.join(seed, attributes), '*.yaml ident\n');
        await git(seed, 'add', attributes);
        await git(seed, 'commit', '-q', '-m', 'attributes');
        await git(seed, 'push', '-q', 'origin', 'HEAD');
      }
      const dir = path.join(work, `clone-${variant}`);
      // the user's checkout too, where no attribute applies to the files (git check-attr)
      // (with its config read, as the CLI reads it at start: where nothing calls for `git
      // commit`, the plumbing commits)
      const ws = local ? await Workspace.local(await remote.clone(dir), { config: await readCheckoutConfig(dir) }) : await Workspace.open({ dir, remoteUrl: remote.url });
      await ws.sync();
      const staged: string[][] = [];
      const run = ws.runner.run.bind(ws.runner);
      const trees: string[] = [];
      ws.runner.run = (args, opts) => {
        if (args[0] === 'update-index') staged.push(args);
        if (args[0] === 'write-tree') trees.push(args[0]);
        return run(args, opts);
      };
      // (a commit whose tree is not known runs write-tree in a script with the commit)
      const runScript = ws.runner.runScript.bind(ws.runner);
      ws.runner.runScript = (script, ...rest) => {
        if (script.includes('write-tree')) trees.push('write-tree');
        return runScript(script, ...rest);
      };
      if (fails) {
        const runInput = ws.runner.runInput.bind(ws.runner);
        ws.runner.runInput = (args, input, opts) => (args.includes('fast-import') ? Promise.resolve({ code: 128, stdout: '', stderr: 'refused' }) : runInput(args, input, opts));
      }
      const writes = new Map(Array.from({ length: N }, (_, i) => [`apps/a${i % 7}/deploy ${i}.yaml`, `image: ghcr.io/acme/app:6.0.${i}\n# $Id: kept $\n`]));
      const before = await loose(dir);
      ws.prewriteSoon(writes);
      await ws.writeFiles(writes);
      const sha = await ws.commit({ subject: 'Bump 6.0', trailers: { App: 'x' }, files: [...writes.keys()] });
      expect(sha).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
      // one update-index, for the ids alone, unless an attribute may have git store other
      // bytes than written (ident: `$Id: kept $` stored as `$Id$`)
      const converted = variant === 'local-attributes';
      expect(staged.map((a) => a.includes('--info-only'))).toEqual([!converted]);
      expect(await git(dir, 'show', 'HEAD:apps/a5/deploy 5.yaml')).toBe(`image: ghcr.io/acme/app:6.0.5\n# ${converted ? '$Id$' : '$Id: kept $'}\n`);
      expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
      await git(dir, 'fsck', '--no-dangling', '--connectivity-only');
      if (variant === 'packed') expect((await loose(dir)) - before).toBeLessThanOrEqual(3);
      if (fails) expect((await loose(dir)) - before).toBeGreaterThanOrEqual(N);
      // the tree the pack built is the commit's, unless the pack failed or a file's mode
      // differs from the pack's: git writes it then (a wrong tree would show staged above)
      expect(trees.length).toBe(['packed', 'attributes', 'local', 'local-text'].includes(variant) ? 0 : 1);
      if (variant === 'executable') expect((await git(dir, 'ls-tree', 'HEAD', 'apps/a3/deploy 3.yaml')).split(' ')[0]).toBe('100755');
    }
  });

  it('says which tree HEAD makes with the files in place, only where each was a regular file or none', async () => {
    // quotes and backslashes in a path, as fast-import's `ls` takes them; a new directory
    const seed = await remote.clone(path.join(work, 'seed'));
    await writeFile(path.join(seed, 'keep/odd "q" \\b.yaml'), 'q: 1\n');
    await git(seed, 'add', '-A', '.');
    await git(seed, 'commit', '-q', '-m', 'odd');
    const head = (await git(seed, 'rev-parse', 'HEAD')).trim();
    const runner = new GitRunner({ cwd: seed, hermetic: true });
    const bytes = new Map([
      ['keep/x.yaml', Buffer.from('x: 2\n')],
      ['keep/odd "q" \\b.yaml', Buffer.from('q: 2\n')],
      ['fresh/dir/n.yaml', Buffer.from('n: 1\n')],
    ]);
    const { tree } = (await prewriteObjects(runner, path.join(seed, '.git'), head, bytes))!;
    for (const [rel, b] of bytes) {
      await mkdir(path.dirname(path.join(seed, rel)), { recursive: true });
      await writeFile(path.join(seed, rel), b);
    }
    await git(seed, 'update-index', '--add', '--', ...bytes.keys());
    expect(tree).toBe((await git(seed, 'write-tree')).trim());
    // an executable, a symbolic link: the index would not hold them as the pack's 100644
    await chmod(path.join(seed, 'run.sh'), 0o755);
    await git(seed, 'update-index', '--chmod=+x', 'run.sh');
    await git(seed, 'commit', '-q', '-m', 'executable');
    const executable = (await git(seed, 'rev-parse', 'HEAD')).trim();
    expect(await prewriteObjects(runner, path.join(seed, '.git'), executable, new Map([...bytes, ['run.sh', Buffer.from('#!/bin/sh\n')]]))).toEqual({ tree: undefined });
    const link = gitInput(seed, ['hash-object', '-w', '--stdin'], 'keep/x.yaml').trim();
    await git(seed, 'update-index', '--add', '--cacheinfo', `120000,${link},keep/link.yaml`);
    await git(seed, 'commit', '-q', '-m', 'link');
    const linked = (await git(seed, 'rev-parse', 'HEAD')).trim();
    expect(await prewriteObjects(runner, path.join(seed, '.git'), linked, new Map([...bytes, ['keep/link.yaml', Buffer.from('l: 1\n')]]))).toEqual({ tree: undefined });
    // a path the pack leaves out: no tree, the objects of the others all the same
    expect(await prewriteObjects(runner, path.join(seed, '.git'), head, new Map([...bytes, ['"quoted.yaml', Buffer.from('z: 1\n')]]))).toEqual({});
  });

  it('knows the bytes git stores are the ones written from the attributes that apply, as git check-attr prints them', async () => {
    const seed = await remote.clone(path.join(work, 'seed'));
    await writeFile(
      path.join(seed, '.gitattributes'),
      ['* text=auto', '*.lf eol=lf', '*.bin binary', '*.id ident', '*.lfs filter=lfs', '*.utf16 working-tree-encoding=UTF-16', '*.off -filter -ident', '*.doc linguist-documentation diff=yaml', ''].join('\n'),
    );
    const lf = Buffer.from('a: 1\n');
    const crlf = Buffer.from('a: 1\r\n');
    const said = async (rel: string, bytes: Buffer) => {
      const out = gitInput(seed, ['check-attr', '-z', '-a', '--stdin'], `${rel}\0`);
      return attributesKeepBytes(out, new Map([[rel, bytes]]));
    };
    // end-of-line conversion changes only a CR; binary and unset ones change nothing
    expect(await said('x.yaml', lf)).toBe(true);
    expect(await said('x.yaml', crlf)).toBe(false);
    expect(await said('x.lf', crlf)).toBe(false);
    expect(await said('x.bin', crlf)).toBe(true);
    expect(await said('x.off', lf)).toBe(true);
    expect(await said('x.doc', lf)).toBe(true);
    // a filter, ident or another encoding: git stores other bytes
    for (const rel of ['x.id', 'x.lfs', 'x.utf16']) expect(await said(rel, lf), rel).toBe(false);
    // nothing set at all
    expect(attributesKeepBytes('', new Map([['x.yaml', crlf]]))).toBe(true);
  });

  it('writes no pack for a commit of a few files', async () => {
    const dir = path.join(work, 'clone');
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    const packs = async () => (await git(dir, 'count-objects', '-v')).match(/^packs: (\d+)$/m)![1];
    const before = await packs();
    await ws.writeFile('keep/x.yaml', 'x: 2\n');
    expect(await ws.commit({ subject: 'One file', trailers: { App: 'x' }, files: ['keep/x.yaml'] })).toBeTruthy();
    expect(await packs()).toBe(before);
  });

  it('has git pack the clone when its packs pile up', async () => {
    const dir = path.join(work, 'clone');
    const ws = await Workspace.open({ dir, remoteUrl: remote.url });
    await ws.sync();
    const packs = async () => Number((await git(dir, 'count-objects', '-v')).match(/^packs: (\d+)$/m)![1]);
    // more packs than git tolerates (gc.autoPackLimit 50), as many prewrites would leave
    for (let i = 0; i < 52; i++) {
      const blob = gitInput(dir, ['hash-object', '-w', '--stdin'], `pack ${i}\n`).trim();
      gitInput(dir, ['pack-objects', '-q', '.git/objects/pack/pack'], `${blob}\n`);
    }
    expect(await packs()).toBeGreaterThan(50);
    await ws.writeFile('keep/x.yaml', 'x: 2\n');
    await ws.commit({ subject: 'One file', trailers: { App: 'x' }, files: ['keep/x.yaml'] });
    // git packs in the background: until it is done (gc.pid gone) the count is anything
    // between (a repack writes its pack before it deletes the old ones)
    const busy = () => existsSync(path.join(dir, '.git', 'gc.pid'));
    for (let i = 0; i < 200 && ((await packs()) > 3 || busy()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await packs()).toBeLessThanOrEqual(3);
    await git(dir, 'fsck', '--no-dangling', '--connectivity-only');
  });
});
