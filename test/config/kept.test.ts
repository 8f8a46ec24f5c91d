// The config a persistent reader keeps on disk (config/kept.ts), as the CLI's `status`
// loads it: what a later process reads back must equal a fresh load, lines included; a
// config that does not load is never kept, and reports the same error with file and line
// on every run; and the paths are refused as loadConfig refuses them, also when something
// that git does not see from the tree id (an untracked symlink, an entry marked
// skip-worktree or assume-unchanged) changed since the last load.
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { comparedFiles } from '../../src/cli/status.ts';
import { loadKeptConfig } from '../../src/config/kept.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { trackedConfigPaths } from '../../src/config/paths.ts';
import { ConfigError } from '../../src/errors.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { workspaceFiles } from '../../src/jobs/run.ts';
import { closeTreeStores, flushStores, persistentRepo } from '../../src/manifests/tree-store.ts';
import { configRepo, replaceExactly } from '../helpers/cli.ts';
import { git } from '../helpers/git-remote.ts';
import { EXAMPLE } from './example.ts';

const CONFIG = '.github/gitops-canary.yml';
// the README example (windows, freezes, gates, templates) and an app with globs
const TEXT = `${EXAMPLE}  web:
    image: ghcr.io/acme/web
    source: acme/web
    tracks:
      stable: { filter: "semver:*", paths: ["apps/web/**", "apps/web/dep.yaml", "apps/new/*.yaml"] }
`;

const NEW_PATHS_LINE = TEXT.split('\n').findIndex((l) => l.includes('apps/new/*.yaml')) + 1;

let root: string;
let dir: string;
let outside: string;

async function write(rel: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), text);
}

async function commit(message: string): Promise<void> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', message);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gc-kept-'));
  dir = path.join(root, 'repo');
  outside = path.join(root, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'dep.yaml'), 'kind: Secret\n');
  await git(root, 'init', '-q', '--initial-branch=main', dir);
  await write(CONFIG, TEXT);
  await write('apps/podinfo/ga-dep.yaml', 'kind: Deployment\n');
  await write('apps/web/dep.yaml', 'kind: Deployment\n');
  await commit('init');
  closeTreeStores();
});

afterEach(async () => {
  closeTreeStores();
  await rm(root, { recursive: true, force: true });
});

/** One status process's load: its stores are opened from disk and written back at the
 *  end, as a status writes them. */
async function load() {
  closeTreeStores();
  const ws = await Workspace.local(dir);
  const files = persistentRepo(workspaceFiles(ws));
  try {
    return await loadKeptConfig(files, { tracked: await comparedFiles(ws) });
  } finally {
    await flushStores(files);
  }
}

/** The error a load throws, as the CLI prints it. */
async function failure(fn: () => unknown): Promise<{ code: string; message: string; location: unknown }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConfigError) return { code: err.code, message: err.message, location: err.location };
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Every key list of `value` (each map key and list index, at every depth), and a few
 *  that name nothing. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

const storedConfigs = async () => {
  const names = (await readdir(path.join(dir, '.git/gitops-canary')).catch(() => [])).filter((n) => n.endsWith('.v8'));
  const all = await Promise.all(names.map(async (n) => (deserialize(await readFile(path.join(dir, '.git/gitops-canary', n))) as { sections: Record<string, Record<string, unknown>> }).sections.config ?? {}));
  return all.flatMap((s) => Object.values(s));
};

describe('the kept config', () => {
  it('reads back in a later process equal to a fresh load, lines included', async () => {
    const fresh = loadConfig(dir)!;
    const first = (await load())!;
    expect(first.config).toEqual(parseConfig(TEXT, CONFIG));
    expect(await storedConfigs()).not.toEqual([]);
    const kept = (await load())!;
    // from disk: another object with the same content
    expect(kept.config).not.toBe(first.config);
    expect(kept.config).toEqual(parseConfig(TEXT, CONFIG));
    expect(kept.file).toBe(CONFIG);
    const asked = [...pathsOf(parseConfig(TEXT, CONFIG)), ['apps', 'nope'], ['apps', 'web', 'tracks', 'stable', 'paths', 9]];
    expect(asked.length).toBeGreaterThan(80);
    const want = asked.map((p) => fresh.lineOf(p));
    expect(asked.map((p) => kept.lineOf(p))).toEqual(want);
    expect(kept.lineOf(['apps', 'web', 'tracks', 'stable', 'paths', 2])).toBe(NEW_PATHS_LINE);
    // and the lines asked for are kept for the next process too
    const again = (await load())!;
    expect(asked.map((p) => again.lineOf(p))).toEqual(want);
  });

  it('is believed as written: a planted answer shows (so the tests below prove something)', async () => {
    await load();
    const file = path.join(dir, '.git/gitops-canary', (await readdir(path.join(dir, '.git/gitops-canary'))).find((n) => n.startsWith('index-'))!);
    const stored = deserialize(await readFile(file)) as { sections: { config: Record<string, { config: { apps: Record<string, { image: string }> } }> } };
    for (const k of Object.values(stored.sections.config)) k.config.apps.web.image = 'ghcr.io/acme/planted';
    await writeFile(file, serialize(stored));
    expect((await load())!.config.apps.web.image).toBe('ghcr.io/acme/planted');
  });

  it.each([
    ['a YAML syntax error', `${TEXT}  broken: [\n`],
    ['a schema error', TEXT.replace('    image: ghcr.io/acme/web', '    image: ghcr.io/acme/web\n    trafic: {}')],
    ['a semantic error', TEXT.replace('timezone: Europe/Berlin', 'timezone: Mars/Olympus')],
    ['an empty file', ''],
  ])('is never kept for %s: every run reports it with file and line', async (_, broken) => {
    await load();
    for (const committed of [false, true]) {
      await write(CONFIG, broken);
      if (committed) await commit('broken');
      const want = await failure(() => loadConfig(dir));
      expect(want.message).toMatch(/\.github\/gitops-canary\.yml:\d+/);
      expect(await failure(load)).toEqual(want);
      expect(await failure(load)).toEqual(want);
    }
    // only the valid text is stored
    for (const k of (await storedConfigs()) as Array<{ config: unknown }>) expect(k.config).toEqual(parseConfig(TEXT, CONFIG));
  });

  it('refuses an untracked symlink that escapes at a path the tree does not hold', async () => {
    await load();
    await symlink(outside, path.join(dir, 'apps/new'));
    const want = await failure(() => loadConfig(dir));
    expect(want.code).toBe('CONFIG_PATH_OUTSIDE');
    expect(want.location).toMatchObject({ file: CONFIG, line: NEW_PATHS_LINE, field: 'apps.web.tracks.stable.paths[2]' });
    expect(await failure(load)).toEqual(want);
  });

  it.each([['--skip-worktree'], ['--assume-unchanged']])('refuses a symlink in place of an entry marked %s, which leaves the checkout clean', async (flag) => {
    await load();
    await git(dir, 'update-index', flag, 'apps/web/dep.yaml');
    await rename(path.join(dir, 'apps/web'), path.join(root, 'web-moved'));
    await symlink(outside, path.join(dir, 'apps/web'));
    expect((await git(dir, 'diff-index', 'HEAD', '--')).trim()).toBe('');
    const want = await failure(() => loadConfig(dir));
    expect(want.code).toBe('CONFIG_PATH_OUTSIDE');
    expect(await failure(load)).toEqual(want);
  });

  it('keeps the paths the index vouches for once per tree and config, for the index as last written', async () => {
    const vouched = async () => {
      const names = (await readdir(path.join(dir, '.git/gitops-canary'))).filter((n) => n.startsWith('index-'));
      expect(names).toHaveLength(1);
      const stored = deserialize(await readFile(path.join(dir, '.git/gitops-canary', names[0]))) as { sections: Record<string, Record<string, { stamp: string; paths: string[] }>> };
      return Object.values(stored.sections['config-paths'] ?? {});
    };
    await load();
    const [first] = await vouched();
    expect(first.paths.sort()).toEqual(['apps/podinfo/ga-dep.yaml', 'apps/web/**', 'apps/web/dep.yaml']);
    for (let i = 0; i < 3; i++) {
      await git(dir, 'reset', '-q', '--hard', 'HEAD');
      await load();
    }
    const last = await vouched();
    expect(last).toHaveLength(1);
    expect(last[0].stamp).not.toBe(first.stamp);
    expect(last[0].paths.sort()).toEqual(first.paths);
  });

  it('loads a dirty checkout afresh and keeps its config by content', async () => {
    await load();
    await write('apps/web/dep.yaml', 'kind: Deployment # edited\n');
    const changed = TEXT.replace('ghcr.io/acme/web', 'ghcr.io/acme/shop');
    await write(CONFIG, changed);
    expect((await load())!.config).toEqual(parseConfig(changed, CONFIG));
    expect((await load())!.config).toEqual(parseConfig(changed, CONFIG));
  });
});

describe('trackedConfigPaths', () => {
  const config = (paths: string[], traffic?: string) =>
    parseConfig(`apps:\n  web:\n    image: ghcr.io/acme/web\n    source: acme/web\n    tracks:\n      stable: { filter: "semver:*", paths: ${JSON.stringify(paths)} }\n${traffic ? `      canary: { filter: "semver:*", paths: ["x.yaml"] }\n    traffic: { file: ${traffic}, stable: { subset: a }, canary: { subset: b }, steps: [50, 100] }\n` : ''}`);

  it('vouches for tracked regular files and directories holding tracked files, nothing else', async () => {
    await symlink('dep.yaml', path.join(dir, 'apps/web/link.yaml'));
    const tracked = ['apps/web/dep.yaml', 'apps/web/link.yaml', 'apps/podinfo/ga-dep.yaml', 'apps/gone.yaml'];
    const paths = ['apps/web/dep.yaml', 'apps/web/**', 'apps/*/x.yaml', '**/*.yaml', 'apps/web/link.yaml', 'apps/new/*.yaml', 'apps/gone.yaml', 'apps//web/dep.yaml', './apps/web/dep.yaml', 'apps/we'];
    expect(trackedConfigPaths(dir, config(paths, 'apps/podinfo/ga-dep.yaml'), tracked).sort()).toEqual(
      ['apps/web/dep.yaml', 'apps/web/**', 'apps/*/x.yaml', '**/*.yaml', 'apps/podinfo/ga-dep.yaml'].sort(),
    );
  });
});

describe('gitops-canary status on a kept config', { timeout: 60_000 }, () => {
  it('prints what a fresh load prints, and a broken config the same error with file and line on every run', async () => {
    const repo = await configRepo();
    try {
      // a process of its own each time: only what is on disk carries over
      const status = async () => {
        closeTreeStores();
        return repo.run('status');
      };
      const fresh = await status();
      expect(fresh.code).toBe(0);
      expect(fresh.out).toContain('podinfo');
      const kept = await status();
      expect(kept).toEqual(fresh);
      const text = await repo.read(CONFIG);
      await writeFile(path.join(repo.dir, CONFIG), replaceExactly(text, '    image: ghcr.io/example/podinfo\n', '    image: ghcr.io/example/podinfo\n    imagee: typo\n'));
      await git(repo.dir, 'commit', '-q', '-am', 'a typo');
      const broken = await status();
      expect(broken.code).toBe(1);
      expect(broken.err).toMatch(/\.github\/gitops-canary\.yml:\d+ apps\.podinfo\.imagee: unknown key "imagee"/);
      expect(await status()).toEqual(broken);
      await git(repo.dir, 'revert', '--no-edit', 'HEAD');
      expect(await status()).toEqual(kept);
    } finally {
      await repo.cleanup();
    }
  });
});
