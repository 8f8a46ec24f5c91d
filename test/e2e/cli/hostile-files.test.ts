// Hostile files in the config repo, through the CLI against real git repos: a config
// that is a symlink to /dev/zero or an alias bomb stops the command with one line naming
// it, quickly and in little memory; a hostile manifest (alias bomb, 100 000 levels deep,
// 50 MB, a symlink) is skipped with its path and reason while every other file is still
// edited; and files that are not UTF-8, or carry a BOM, keep every byte the edit does
// not touch.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { git, gitEnv } from '../../helpers/git-remote.ts';
import { aliasBomb } from '../../helpers/hostile.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(HERE, '../../../bin/gitops-canary.mjs');
const MAX_RSS = path.resolve(HERE, '../../helpers/max-rss.mjs');

const CONFIG = '.github/gitops-canary.yml';
const GA = 'apps/podinfo/ga-dep.yaml';
const CANARY = 'apps/podinfo/canary-dep.yaml';
const VS = 'apps/podinfo/virtual-service.yaml';
const IMAGE = 'ghcr.io/example/podinfo';
const MB = 1024 * 1024;
/** Node, tsx and the CLI's modules take ~100 MB; the bugs took 2-3 GB. */
const RSS_BOUND = 300 * MB;

const BOMB = `apiVersion: v1
kind: ConfigMap
metadata:
  name: lol
  annotations:
    uses: ${IMAGE}:0.1.0
data:
${aliasBomb(7, 2)}`;

let repo: ConfigRepo | undefined;
let scratch: string | undefined;

afterEach(async () => {
  vi.unstubAllEnvs();
  await repo?.cleanup();
  repo = undefined;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

type Entry = string | Buffer | { symlink: string };

/** Commits bytes and symlinks in the user's clone and pushes them, as a config repo
 *  author could; configRepo() only seeds UTF-8 text. */
async function commitRaw(r: ConfigRepo, files: Record<string, Entry>): Promise<void> {
  for (const [rel, entry] of Object.entries(files)) {
    const abs = path.join(r.dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    rmSync(abs, { force: true });
    if (typeof entry === 'object' && 'symlink' in entry) symlinkSync(entry.symlink, abs);
    else writeFileSync(abs, entry);
  }
  await git(r.dir, 'add', '-A');
  await git(r.dir, 'commit', '-q', '-m', 'hostile files');
  await git(r.dir, 'push', '-q', 'origin', 'HEAD:main');
}

/** A file's bytes on the remote's main branch. */
function remoteBytes(r: ConfigRepo, rel: string): Buffer {
  return execFileSync('git', ['cat-file', 'blob', `main:${rel}`], { cwd: r.remote.bare, env: gitEnv(), maxBuffer: 128 * MB });
}

interface BinRun {
  code: number;
  stdout: string;
  stderr: string;
  maxRss: number;
  ms: number;
}

/** The installed CLI as a child process, with its peak memory. */
function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BinRun> {
  const dir = (scratch ??= mkdtempSync(path.join(os.tmpdir(), 'gc-hostile-')));
  const rssFile = path.join(dir, `rss-${Date.now()}-${Math.random()}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', MAX_RSS, BIN, ...args],
      { env: { ...gitEnv(), ...env, GCB_MAX_RSS_FILE: rssFile }, timeout: 60_000, maxBuffer: 16 * MB },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr, maxRss: Number(readFileSync(rssFile, 'utf8')) * 1024, ms: Date.now() - started });
      },
    );
  });
}

function oneLine(err: string): string {
  const lines = err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toMatch(/unexpected error|\n\s+at /);
  return lines[0];
}

describe('a hostile config file', { timeout: 120_000 }, () => {
  it('a symlink to /dev/zero stops every command that reads it with one line, at once and in little memory', async () => {
    repo = await configRepo();
    await commitRaw(repo, { [CONFIG]: { symlink: '/dev/zero' } });
    for (const argv of [['status'], ['set-weight', 'podinfo', '10'], ['release', `${IMAGE}:0.2.1`]]) {
      const r = await runBin([...argv, '--repo', repo.dir]);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 1, stdout: '' });
      expect(oneLine(r.stderr)).toBe(`gitops-canary: ${CONFIG}: file is a symbolic link; only regular files in the repository are read`);
      expect(r.maxRss).toBeLessThan(RSS_BOUND);
      expect(r.ms).toBeLessThan(15_000);
    }
    expect((await repo.remoteLog()).length).toBe(2);
  });

  it('an alias bomb exits 1 with one line naming file and line', async () => {
    const seed = await exampleFiles();
    const bombed = `x-lol:\n${BOMB.split('\ndata:\n')[1]}${seed[CONFIG]}`;
    repo = await configRepo({ ...seed, [CONFIG]: bombed });
    for (const argv of [['status'], ['release', `${IMAGE}:0.2.1`]]) {
      const r = await repo.run(...argv);
      expect(r.code).toBe(1);
      expect(oneLine(r.err)).toBe(`gitops-canary: ${CONFIG}:3: aliases expand to more than 1000 nodes (an alias bomb?); not resolved`);
    }
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...seed, [CONFIG]: bombed });
  });

  it('100 000 levels of nesting exit 1 with one line naming file and line', async () => {
    const seed = await exampleFiles();
    const deep = `${seed[CONFIG]}x-deep: ${'['.repeat(100_000)}\n`;
    repo = await configRepo({ ...seed, [CONFIG]: deep });
    const r = await repo.run('release', `${IMAGE}:0.2.1`);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toBe(`gitops-canary: ${CONFIG}:${seed[CONFIG].split('\n').length}: nested deeper than 256 levels; not parsed further`);
  });
});

describe('hostile manifests are skipped, the rest is edited', { timeout: 120_000 }, () => {
  it('an alias bomb in an unrelated file that mentions the image is skipped with path and reason, bytes untouched', async () => {
    const seed = await exampleFiles();
    const deep = `# ${IMAGE}\nv: ${'['.repeat(100_000)}\n`;
    repo = await configRepo({ ...seed, 'apps/other/bomb.yaml': BOMB, 'apps/other/deep.yaml': deep });
    const r = await repo.run('set-image', `${IMAGE}:0.3.0`, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('committed');
    expect(result.plan.skipped).toEqual([
      { file: 'apps/other/bomb.yaml', code: 'PARSE_ALIASES', reason: 'apps/other/bomb.yaml:9: aliases expand to more than 1000 nodes (an alias bomb?); not resolved' },
      { file: 'apps/other/deep.yaml', code: 'PARSE_TOO_DEEP', reason: 'apps/other/deep.yaml:2: nested deeper than 256 levels; not parsed further' },
    ]);
    expect(await remoteSnapshot(repo.remote)).toEqual({
      ...seed,
      'apps/other/bomb.yaml': BOMB,
      'apps/other/deep.yaml': deep,
      [GA]: replaceExactly(seed[GA], 'podinfo:0.1.0 ', 'podinfo:0.3.0 '),
      [CANARY]: replaceExactly(seed[CANARY], 'podinfo:0.2.0 ', 'podinfo:0.3.0 '),
    });
    expect(await repo.changed((await repo.remoteLog())[0].sha)).toEqual([CANARY, GA]);
  });

  it('a 50 MB manifest in a track path is skipped unread; the track is still released, in little memory', async () => {
    const seed = await exampleFiles();
    const config = replaceExactly(seed[CONFIG], 'paths: ["apps/podinfo/canary-dep.yaml"]', 'paths: ["apps/podinfo/canary-dep.yaml", "apps/podinfo/huge.yaml"]');
    repo = await configRepo({ ...seed, [CONFIG]: config });
    // real content, not comments: read and parsed, this took the CLI to a 4 GB heap and an OOM
    const huge = Buffer.from(`kind: Deployment\nspec: {image: ${IMAGE}:0.2.0}\nitems:\n${'  - {a: 1, b: 2}\n'.repeat((50 * MB) / 16)}`);
    await commitRaw(repo, { 'apps/podinfo/huge.yaml': huge });
    const r = await runBin(['release', `${IMAGE}:0.2.1`, '--json', '--repo', repo.dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe('committed');
    expect(result.plan.skipped).toEqual([
      { file: 'apps/podinfo/huge.yaml', code: 'FILE_TOO_LARGE', reason: `apps/podinfo/huge.yaml: file is ${huge.length} bytes, over the limit of ${4 * MB} bytes (MAX_FILE_SIZE); not read` },
    ]);
    expect(r.maxRss).toBeLessThan(RSS_BOUND);
    expect(await repo.changed((await repo.remoteLog())[0].sha)).toEqual([CANARY]);
    expect(remoteBytes(repo, CANARY).toString()).toBe(replaceExactly(seed[CANARY], 'podinfo:0.2.0 ', 'podinfo:0.2.1 '));
    expect(remoteBytes(repo, 'apps/podinfo/huge.yaml').equals(huge)).toBe(true);
  });

  it('MAX_FILE_SIZE is honoured by the CLI', async () => {
    repo = await configRepo();
    vi.stubEnv('MAX_FILE_SIZE', '200');
    const r = await repo.run('set-image', `${IMAGE}:0.3.0`, '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('unchanged');
    // every file that mentions podinfo is over 200 bytes: each one is skipped, nothing fails
    expect(result.plan.skipped.map((s: { file: string; code: string }) => `${s.file} ${s.code}`)).toEqual(
      [CONFIG, CANARY, 'apps/podinfo/destination-rule.yaml', GA, VS].map((f) => `${f} FILE_TOO_LARGE`),
    );
    vi.stubEnv('MAX_FILE_SIZE', 'lots');
    const bad = await repo.run('status');
    expect(bad.code).toBe(1);
    expect(oneLine(bad.err)).toBe('gitops-canary: MAX_FILE_SIZE: MAX_FILE_SIZE must be a positive number of bytes, got "lots"');
  });

  it('a manifest symlinked outside the repo is never read or written; a symlinked traffic file is refused naming it', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'gc-hostile-'));
    const secret = path.join(scratch, 'podinfo-secret.yaml');
    const secretText = `image: ${IMAGE}:0.1.0\n`;
    writeFileSync(secret, secretText);
    await commitRaw(repo, { 'apps/podinfo/linked.yaml': { symlink: secret } });
    const r = await repo.run('set-image', `${IMAGE}:0.3.0`, '--path', 'apps/podinfo/*.yaml', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).plan.edits.map((e: { file: string }) => e.file).sort()).toEqual([CANARY, GA]);
    expect(readFileSync(secret, 'utf8')).toBe(secretText);
    expect(execFileSync('git', ['ls-tree', 'main', 'apps/podinfo/linked.yaml'], { cwd: repo.remote.bare, env: gitEnv() }).toString()).toMatch(/^120000 /);

    // the traffic file is named by the config, not found by grep: the reader refuses it
    await commitRaw(repo, { [VS]: { symlink: 'destination-rule.yaml' } });
    const w = await repo.run('set-weight', 'podinfo', '10');
    expect(w.code).toBe(1);
    expect(oneLine(w.err)).toBe(`gitops-canary: ${VS}: file is a symbolic link; only regular files in the repository are read`);
    expect(readFileSync(path.join(repo.dir, 'apps/podinfo/destination-rule.yaml'), 'utf8')).toBe(seed['apps/podinfo/destination-rule.yaml']);
  });
});

describe('bytes are sacred', { timeout: 120_000 }, () => {
  it('an edit in a file with Latin-1 bytes lands and every other byte stays', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    const latin1 = Buffer.concat([Buffer.from('# Gr\xfc\xdfe aus K\xf6ln \xa9 2024\n', 'latin1'), Buffer.from(seed[GA]), Buffer.from('# \xe9t\xe9\n', 'latin1')]);
    await commitRaw(repo, { [GA]: latin1 });
    const r = await repo.run('set-image', `${IMAGE}:0.3.0`, '--json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ status: 'committed', plan: { skipped: [] } });
    const want = Buffer.from(latin1.toString('latin1').replace('podinfo:0.1.0 ', 'podinfo:0.3.0 '), 'latin1');
    expect(remoteBytes(repo, GA).equals(want)).toBe(true);
    expect(readFileSync(path.join(repo.dir, GA)).equals(want)).toBe(true);
    expect(remoteBytes(repo, CANARY).toString()).toBe(replaceExactly(seed[CANARY], 'podinfo:0.2.0 ', 'podinfo:0.3.0 '));
  });

  it('a commit refused by a pre-commit hook puts the Latin-1 bytes back exactly', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    const latin1 = Buffer.concat([Buffer.from('# K\xf6ln\n', 'latin1'), Buffer.from(seed[GA])]);
    await commitRaw(repo, { [GA]: latin1 });
    const hook = path.join(repo.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const r = await repo.run('set-image', `${IMAGE}:0.3.0`);
    expect(r.code).toBe(1);
    expect(readFileSync(path.join(repo.dir, GA)).equals(latin1)).toBe(true);
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
  });

  it('a UTF-8 BOM survives an edit byte for byte, CRLF files included', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const ga = Buffer.concat([bom, Buffer.from(`# Grüße\n${seed[GA]}`)]);
    const canary = Buffer.concat([bom, Buffer.from(seed[CANARY].replace(/\n/g, '\r\n'))]);
    await commitRaw(repo, { [GA]: ga, [CANARY]: canary });
    const r = await repo.run('set-image', `${IMAGE}:0.3.0`, '--json');
    expect(JSON.parse(r.out)).toMatchObject({ status: 'committed', plan: { skipped: [] } });
    expect(remoteBytes(repo, GA).equals(Buffer.from(ga.toString('utf8').replace('podinfo:0.1.0 ', 'podinfo:0.3.0 ')))).toBe(true);
    expect(remoteBytes(repo, CANARY).equals(Buffer.from(canary.toString('utf8').replace('podinfo:0.2.0 ', 'podinfo:0.3.0 ')))).toBe(true);
  });
});
