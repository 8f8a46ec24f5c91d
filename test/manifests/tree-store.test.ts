// The on-disk tree store behind a cold `status`: a second process on the same tree takes
// every answer from disk (nothing read or parsed) and prints what a plain read prints; a
// corrupt file, a file of another version and a file of another tree are never believed,
// and after a commit only the files it changed are parsed again.
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, replaceExactly, type ConfigRepo } from '../helpers/cli.ts';
import { git, gitEnv } from '../helpers/git-remote.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'test/helpers/status-child.mjs');

interface Run {
  text: string;
  report: unknown;
  issues: string[];
  index: { reads: number; parses: number };
  store: { hits: number; misses: number };
}

function status(dir: string, plain = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const args = [CHILD, dir, ...(plain ? ['--plain'] : [])];
    execFile(process.execPath, args, { cwd: ROOT, env: gitEnv(), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as Run);
    });
  });
}

type Stored = { version: string; tree: string; sections: Record<string, Record<string, { refs?: Array<{ tag?: string }> }>> };

let repo: ConfigRepo;
let storeDir: string;

const storeFile = async () => path.join(storeDir, `index-${(await git(repo.dir, 'rev-parse', 'HEAD^{tree}')).trim()}.v8`);
const trees = async () => (await readdir(storeDir)).filter((n) => n.startsWith('index-')).sort();
const readStored = async () => deserialize(await readFile(await storeFile())) as Stored;

/** Every stored image reference of the tree given `tag`: what a status shows only when
 *  it believes the file. */
async function plant(tag: string, change: (s: Stored) => void = () => undefined): Promise<void> {
  const s = await readStored();
  for (const scan of Object.values(s.sections.scan)) for (const ref of scan.refs ?? []) ref.tag = tag;
  change(s);
  await writeFile(await storeFile(), serialize(s));
}

beforeAll(async () => {
  const files = await exampleFiles();
  const config = files['.github/gitops-canary.yml'];
  // a rollout to show, and an app whose paths match nothing: the config checks have something to say
  files['.github/gitops-canary.yml'] =
    replaceExactly(config, '    delivery: commit\n', '    rollout: { bake: 10m }\n    delivery: commit\n') +
    '  ghost:\n    image: ghcr.io/example/ghost\n    source: example/ghost\n    tracks:\n      stable: { filter: "semver:*", paths: ["apps/ghost/**"] }\n    delivery: commit\n';
  repo = await configRepo(files);
  storeDir = path.join(repo.dir, '.git/gitops-canary');
});

afterAll(async () => {
  await repo.cleanup();
});

describe('the on-disk tree store', { timeout: 120_000 }, () => {
  it('is written by one process and answers the next on the same tree without a read or a parse', async () => {
    const plain = await status(repo.dir, true);
    expect(plain.text).toContain('stable 100% / canary 0%');
    expect(plain.text).toContain('rollout  no rollout in progress');
    expect(plain.issues.join('\n')).toContain('apps/ghost/**');
    const first = await status(repo.dir);
    expect(first.store.misses).toBeGreaterThan(0);
    expect(first.index.parses).toBeGreaterThan(0);
    expect(await trees()).toEqual([path.basename(await storeFile())]);
    const second = await status(repo.dir);
    expect({ ...second, index: 0, store: 0 }).toEqual({ ...plain, index: 0, store: 0 });
    expect(second.index).toEqual({ reads: 0, parses: 0 });
    expect(second.store.misses).toBe(0);
    expect(second.store.hits).toBeGreaterThan(0);
  });

  it('is believed as written: a planted answer shows (so the next test proves something)', async () => {
    await status(repo.dir);
    await plant('9.9.9-planted');
    expect((await status(repo.dir)).text).toContain('9.9.9-planted');
  });

  it('is ignored and rewritten when corrupt', async () => {
    const plain = await status(repo.dir, true);
    await writeFile(await storeFile(), Buffer.from('not a v8 value at all'));
    await writeFile(path.join(storeDir, 'content.v8'), Buffer.from('nor this'));
    const run = await status(repo.dir);
    expect(run.text).toBe(plain.text);
    expect(run.issues).toEqual(plain.issues);
    expect(run.store.misses).toBeGreaterThan(0);
    // rewritten whole: the next process reads it
    expect((await readStored()).sections.scan).toBeDefined();
    expect((await status(repo.dir)).store.misses).toBe(0);
  });

  it('is ignored when another version of the bot wrote it', async () => {
    const plain = await status(repo.dir, true);
    await status(repo.dir);
    await plant('9.9.9-planted', (s) => (s.version = `${s.version}-other`));
    const run = await status(repo.dir);
    expect(run.text).not.toContain('9.9.9-planted');
    expect(run.text).toBe(plain.text);
    expect(run.store.misses).toBeGreaterThan(0);
  });

  it('is rebuilt for another tree, and the old tree keeps its own', async () => {
    const before = await storeFile();
    await writeFile(path.join(repo.dir, 'apps/podinfo/ga-dep.yaml'), replaceExactly(await repo.read('apps/podinfo/ga-dep.yaml'), 'podinfo:0.1.0', 'podinfo:0.1.7'));
    // a dirty tree has no id to keep answers under: no index is written for it
    const dirty = await status(repo.dir);
    expect(dirty.text).toContain('0.1.7');
    expect(await trees()).toEqual([path.basename(before)]);
    await git(repo.dir, 'commit', '-q', '-am', 'stable 0.1.7');
    const run = await status(repo.dir);
    expect(run.text).toContain('0.1.7');
    expect(run.text).toBe((await status(repo.dir, true)).text);
    expect(run.store.misses).toBeGreaterThan(0);
    // what files hold is kept by content: of the image's files only the changed one is parsed
    expect(run.index.parses).toBe(1);
    expect(await trees()).toEqual([path.basename(before), path.basename(await storeFile())].sort());
    expect((await status(repo.dir)).store.misses).toBe(0);
  });
});
