// The config file is read and parsed like any repo file: refused before reading when it
// is not a regular file or too large, and refused with file:line when its YAML nests too
// deep or its aliases explode. Every refusal is a ConfigError naming the file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { DEFAULT_MAX_FILE_SIZE, setMaxFileSize } from '../../src/repo-io/read.ts';
import { MINIMAL } from './example.ts';
import { aliasBomb } from '../helpers/hostile.ts';

const CONFIG = '.github/gitops-canary.yml';

let repo: string;

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'gc-config-limits-'));
  mkdirSync(join(repo, '.github'));
});

afterEach(() => {
  setMaxFileSize(DEFAULT_MAX_FILE_SIZE);
  rmSync(repo, { recursive: true, force: true });
});

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const BOMB = `apps:
  web:
${aliasBomb(6, 4)}`;

describe('reading the config file', () => {
  it('refuses a symlink to /dev/zero without reading a byte', () => {
    symlinkSync('/dev/zero', join(repo, CONFIG));
    const err = thrown(() => loadConfig(repo));
    expect(err.code).toBe('FILE_NOT_REGULAR');
    expect(err.message).toBe(`${CONFIG}: file is a symbolic link; only regular files in the repository are read`);
  });

  it('refuses a FIFO without blocking on it', () => {
    execFileSync('mkfifo', [join(repo, CONFIG)]);
    const err = thrown(() => loadConfig(repo));
    expect(err.code).toBe('FILE_NOT_REGULAR');
    expect(err.message).toBe(`${CONFIG}: file is a named pipe; only regular files in the repository are read`);
  });

  it('refuses a config over MAX_FILE_SIZE by its size', () => {
    writeFileSync(join(repo, CONFIG), MINIMAL);
    setMaxFileSize(MINIMAL.length - 1);
    const err = thrown(() => loadConfig(repo));
    expect(err.code).toBe('FILE_TOO_LARGE');
    expect(err.message).toBe(`${CONFIG}: file is ${MINIMAL.length} bytes, over the limit of ${MINIMAL.length - 1} bytes (MAX_FILE_SIZE); not read`);
    setMaxFileSize(MINIMAL.length);
    expect(loadConfig(repo)?.file).toBe(CONFIG);
  });
});

describe('YAML limits in the config', () => {
  it('refuses an alias bomb naming file and line', () => {
    writeFileSync(join(repo, CONFIG), BOMB);
    const err = thrown(() => loadConfig(repo));
    expect(err.code).toBe('PARSE_ALIASES');
    expect(err.message).toBe(`${CONFIG}:4: aliases expand to more than 1000 nodes (an alias bomb?); not resolved`);
  });

  it.each([
    ['100 000 [', `apps: ${'['.repeat(100_000)}`],
    ['100 000 nested maps', `apps: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`],
  ])('refuses %s naming file and line', (_what, text) => {
    const err = thrown(() => parseConfig(text));
    expect(err.code).toBe('PARSE_TOO_DEEP');
    expect(err.message).toBe(`${CONFIG}:1: nested deeper than 256 levels; not parsed further`);
  });

  it('still reads aliases that stay small', () => {
    const text = MINIMAL.replace('filter: "semver:1.*"', 'filter: &f "semver:1.*"') + '      canary: { filter: *f, paths: [deploy/canary.yaml] }\n';
    expect(parseConfig(text).apps.web.tracks.canary.filter).toBe('semver:1.*');
  });
});
