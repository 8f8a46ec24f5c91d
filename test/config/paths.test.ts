import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { checkConfigPaths, loadConfig, parseConfig, resolveRepoPath, staticPrefix } from '../../src/config/index.ts';
import { EXAMPLE, MINIMAL } from './example.ts';

let root: string;
let repo: string;
let outside: string;

function write(rel: string, text = 'x: 1\n'): void {
  mkdirSync(join(repo, rel, '..'), { recursive: true });
  writeFileSync(join(repo, rel), text);
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gc-config-'));
  repo = join(root, 'repo');
  outside = join(root, 'outside');
  mkdirSync(repo);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.yaml'), 'secret: 1\n');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('resolveRepoPath', () => {
  it('resolves files, missing files and globs inside the repo', () => {
    write('apps/web/dep.yaml');
    expect(resolveRepoPath(repo, 'apps/web/dep.yaml', 'f')).toMatch(/apps[/\\]web[/\\]dep\.yaml$/);
    expect(resolveRepoPath(repo, 'apps/new/dep.yaml', 'f')).toMatch(/apps[/\\]new[/\\]dep\.yaml$/);
    expect(() => resolveRepoPath(repo, 'apps/*/dep.yaml', 'f')).not.toThrow();
  });

  it.each([
    ['/etc/passwd', /not absolute/],
    ['apps/../../x.yaml', /"\.\." segments/],
    ['..', /"\.\." segments/],
    ['apps\\web.yaml', /backslashes/],
    ['', /empty/],
  ])('refuses %j', (rel, re) => {
    const err = thrown(() => resolveRepoPath(repo, rel, 'apps.web.tracks.stable.paths[0]'));
    expect(err.code).toBe('CONFIG_PATH_OUTSIDE');
    expect(err.location.field).toBe('apps.web.tracks.stable.paths[0]');
    expect(err.message).toMatch(re);
  });

  it('refuses a symlinked file pointing outside the repo', () => {
    mkdirSync(join(repo, 'apps'));
    symlinkSync(join(outside, 'secret.yaml'), join(repo, 'apps', 'dep.yaml'));
    const err = thrown(() => resolveRepoPath(repo, 'apps/dep.yaml', 'apps.web.traffic.file'));
    expect(err.code).toBe('CONFIG_PATH_OUTSIDE');
    expect(err.message).toMatch(/^apps\.web\.traffic\.file: path resolves outside the repository/);
  });

  it('refuses a symlinked directory under a glob or a file not yet created', () => {
    symlinkSync(outside, join(repo, 'apps'));
    expect(thrown(() => resolveRepoPath(repo, 'apps/*.yaml', 'g')).message).toMatch(/outside the repository/);
    expect(thrown(() => resolveRepoPath(repo, 'apps/new/file.yaml', 'g')).message).toMatch(/outside the repository/);
  });

  it('refuses a dangling symlink, which a write would follow', () => {
    symlinkSync(join(outside, 'not-there.yaml'), join(repo, 'dep.yaml'));
    expect(thrown(() => resolveRepoPath(repo, 'dep.yaml', 'f')).code).toBe('CONFIG_PATH_OUTSIDE');
  });

  it('allows symlinks that stay inside, and a repo reached through a symlink', () => {
    write('real/dep.yaml');
    symlinkSync(join(repo, 'real'), join(repo, 'alias'));
    expect(() => resolveRepoPath(repo, 'alias/dep.yaml', 'f')).not.toThrow();
    symlinkSync(repo, join(root, 'repo-link'));
    expect(() => resolveRepoPath(join(root, 'repo-link'), 'real/dep.yaml', 'f')).not.toThrow();
  });

  it('computes the static prefix of globs', () => {
    expect(staticPrefix('apps/podinfo/*.yaml')).toBe('apps/podinfo');
    expect(staticPrefix('apps/**/dep.yaml')).toBe('apps');
    expect(staticPrefix('*.yaml')).toBe('');
    expect(staticPrefix('./apps/x.yaml')).toBe('apps/x.yaml');
  });
});

describe('checkConfigPaths', () => {
  it('passes the example when all paths are inside', () => {
    write('apps/podinfo/ga-dep.yaml');
    expect(() => checkConfigPaths(repo, parseConfig(EXAMPLE))).not.toThrow();
  });

  it('names the field of a track path that escapes through a symlink', () => {
    mkdirSync(join(repo, 'apps'));
    symlinkSync(outside, join(repo, 'apps', 'podinfo'));
    const err = thrown(() => checkConfigPaths(repo, parseConfig(EXAMPLE)));
    expect(err.code).toBe('CONFIG_PATH_OUTSIDE');
    expect(err.location.field).toBe('apps.podinfo.tracks.stable.paths[0]');
  });

  it('checks the traffic file', () => {
    write('apps/podinfo/ga-dep.yaml');
    write('apps/podinfo/canary-dep.yaml');
    symlinkSync(join(outside, 'secret.yaml'), join(repo, 'apps/podinfo/virtual-service.yaml'));
    expect(thrown(() => checkConfigPaths(repo, parseConfig(EXAMPLE))).location.field).toBe('apps.podinfo.traffic.file');
  });
});

describe('loadConfig', () => {
  it('returns null without a config file', () => {
    expect(loadConfig(repo)).toBeNull();
  });

  it('loads .yml or .yaml and reports which', () => {
    write('.github/gitops-canary.yaml', MINIMAL);
    expect(loadConfig(repo)).toMatchObject({ config: parseConfig(MINIMAL), file: '.github/gitops-canary.yaml' });
  });

  it('refuses two config files', () => {
    write('.github/gitops-canary.yml', MINIMAL);
    write('.github/gitops-canary.yaml', MINIMAL);
    expect(thrown(() => loadConfig(repo)).code).toBe('CONFIG_AMBIGUOUS');
  });

  it('names file and line of a path escaping through a symlink', () => {
    write('.github/gitops-canary.yml', MINIMAL);
    symlinkSync(outside, join(repo, 'deploy'));
    const err = thrown(() => loadConfig(repo));
    expect(err.code).toBe('CONFIG_PATH_OUTSIDE');
    expect(err.message).toMatch(/^\.github\/gitops-canary\.yml:6 apps\.web\.tracks\.stable\.paths\[0\]: path resolves outside the repository/);
  });

  it('refuses a config file that is a symlink out of the repo, without reading it', () => {
    writeFileSync(join(outside, 'cfg.yml'), MINIMAL);
    mkdirSync(join(repo, '.github'));
    symlinkSync(join(outside, 'cfg.yml'), join(repo, '.github', 'gitops-canary.yml'));
    const err = thrown(() => loadConfig(repo));
    expect(err.code).toBe('FILE_NOT_REGULAR');
    expect(err.message).toBe('.github/gitops-canary.yml: file is a symbolic link; only regular files in the repository are read');
  });

  it('refuses a config reached through a .github directory that is a symlink out of the repo', () => {
    mkdirSync(join(outside, 'gh'));
    writeFileSync(join(outside, 'gh', 'gitops-canary.yml'), MINIMAL);
    symlinkSync(join(outside, 'gh'), join(repo, '.github'));
    const err = thrown(() => loadConfig(repo));
    expect(err.code).toBe('FILE_OUTSIDE_REPO');
    expect(err.location.file).toBe('.github/gitops-canary.yml');
  });

  it('passes on validation errors with the file it read', () => {
    write('.github/gitops-canary.yaml', MINIMAL.replace('source: acme/web', 'source: nope'));
    expect(thrown(() => loadConfig(repo)).message).toMatch(/^\.github\/gitops-canary\.yaml:4 apps\.web\.source: /);
  });
});
