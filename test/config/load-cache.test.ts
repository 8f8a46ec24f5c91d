// The config is parsed once per text and loaded once per tree (the scheduler reads the
// same tree every few minutes). What is remembered must never hide what the files on
// disk now say: a path that escapes the repo is refused on every new tree, even with the
// config text unchanged, and a tree id is only trusted for the tree it names.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { loadConfigAt } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { MINIMAL } from './example.ts';

let root: string;
let repo: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gc-config-cache-'));
  repo = join(root, 'repo');
  mkdirSync(join(repo, '.github'), { recursive: true });
  mkdirSync(join(root, 'outside'));
  writeFileSync(join(repo, '.github', 'gitops-canary.yml'), MINIMAL);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.code;
    throw err;
  }
  return undefined;
}

describe('config loads remembered per text and per tree', () => {
  it('checks the paths again on every load of an unchanged text', () => {
    expect(loadConfig(repo)?.config.apps.web.image).toBe('ghcr.io/acme/web');
    symlinkSync(join(root, 'outside'), join(repo, 'deploy'));
    expect(code(() => loadConfig(repo))).toBe('CONFIG_PATH_OUTSIDE');
  });

  it('reads a changed text anew', () => {
    loadConfig(repo);
    writeFileSync(join(repo, '.github', 'gitops-canary.yml'), MINIMAL.replace('ghcr.io/acme/web', 'ghcr.io/acme/shop'));
    expect(loadConfig(repo)?.config.apps.web.image).toBe('ghcr.io/acme/shop');
  });

  it('answers a tree it has seen from memory and loads a new tree from disk', () => {
    const first = loadConfigAt(repo, 'tree-1');
    expect(loadConfigAt(repo, 'tree-1')).toBe(first);
    symlinkSync(join(root, 'outside'), join(repo, 'deploy'));
    // the caller vouches that tree-1 is what is checked out: nothing on disk is read again
    expect(loadConfigAt(repo, 'tree-1')).toBe(first);
    expect(code(() => loadConfigAt(repo, 'tree-2'))).toBe('CONFIG_PATH_OUTSIDE');
  });

  it('remembers no error: a config that did not load is read again', () => {
    symlinkSync(join(root, 'outside'), join(repo, 'deploy'));
    expect(code(() => loadConfigAt(repo, 'tree-4'))).toBe('CONFIG_PATH_OUTSIDE');
    rmSync(join(repo, 'deploy'));
    expect(loadConfigAt(repo, 'tree-4')?.config.apps.web.image).toBe('ghcr.io/acme/web');
  });

  it('loads from disk when the checkout has no clean tree to name', () => {
    loadConfigAt(repo, undefined);
    writeFileSync(join(repo, '.github', 'gitops-canary.yml'), 'apps: [');
    expect(code(() => loadConfigAt(repo, undefined))).toBe('CONFIG_YAML');
  });
});
