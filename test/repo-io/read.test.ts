// The one reader of config-repo files: only regular files inside the repo, judged by
// lstat before opening, and never more than the size limit + 1 bytes read.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotError, ConfigError } from '../../src/errors.ts';
import { readSettings } from '../../src/settings.ts';
import { DEFAULT_MAX_FILE_SIZE, maxFileSize, parseMaxFileSize, readRepoBytes, readRepoBytesSync, readRepoText, setMaxFileSize } from '../../src/repo-io/read.ts';

let root: string;
let repo: string;
let outside: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gc-read-'));
  repo = join(root, 'repo');
  outside = join(root, 'outside');
  mkdirSync(join(repo, 'apps'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.yaml'), 'secret: 1\n');
});

afterEach(() => {
  setMaxFileSize(DEFAULT_MAX_FILE_SIZE);
  rmSync(root, { recursive: true, force: true });
});

/** The error of both the async and the sync reader, which must agree. */
async function refusal(base: string, rel: string): Promise<{ code: string; message: string }> {
  const both: Array<{ code: string; message: string }> = [];
  for (const read of [() => readRepoBytes(base, rel), async () => readRepoBytesSync(base, rel)]) {
    try {
      await read();
      throw new Error(`read ${rel} without complaint`);
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      both.push({ code: err.code, message: err.message });
    }
  }
  expect(both[1]).toEqual(both[0]);
  return both[0];
}

describe('readRepoBytes', () => {
  it('reads a regular file byte for byte, the sync reader too', async () => {
    const bytes = Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0xff, 0x0a]);
    writeFileSync(join(repo, 'apps/x.yaml'), bytes);
    expect(await readRepoBytes(repo, 'apps/x.yaml')).toEqual(bytes);
    expect(readRepoBytesSync(repo, 'apps/x.yaml')).toEqual(bytes);
    expect(await readRepoBytes(repo, './apps//x.yaml')).toEqual(bytes);
  });

  it.each([
    ['to /dev/zero', () => '/dev/zero'],
    ['to a file outside the repo', () => join(outside, 'secret.yaml')],
    ['to a file inside the repo', () => join(repo, 'apps/real.yaml')],
  ])('refuses a symlink %s without reading it', async (_what, target) => {
    writeFileSync(join(repo, 'apps/real.yaml'), 'a: 1\n');
    symlinkSync(target(), join(repo, 'apps/link.yaml'));
    expect(await refusal(repo, 'apps/link.yaml')).toEqual({
      code: 'FILE_NOT_REGULAR',
      message: 'apps/link.yaml: file is a symbolic link; only regular files in the repository are read',
    });
  });

  it('refuses a FIFO (without blocking on it), a directory and a device', async () => {
    execFileSync('mkfifo', [join(repo, 'apps/pipe.yaml')]);
    mkdirSync(join(repo, 'apps/dir.yaml'));
    expect(await refusal(repo, 'apps/pipe.yaml')).toEqual({ code: 'FILE_NOT_REGULAR', message: 'apps/pipe.yaml: file is a named pipe; only regular files in the repository are read' });
    expect(await refusal(repo, 'apps/dir.yaml')).toEqual({ code: 'FILE_NOT_REGULAR', message: 'apps/dir.yaml: file is a directory; only regular files in the repository are read' });
    // a "repo" rooted at /dev, as the only way to meet a device without mknod
    expect(await refusal('/dev', 'zero')).toEqual({ code: 'FILE_NOT_REGULAR', message: 'zero: file is a device; only regular files in the repository are read' });
  });

  it('refuses a file below a directory that is a symlink leading outside', async () => {
    symlinkSync(outside, join(repo, 'apps/out'));
    expect(await refusal(repo, 'apps/out/secret.yaml')).toEqual({
      code: 'FILE_OUTSIDE_REPO',
      message: 'apps/out/secret.yaml: a parent directory is a symbolic link leading outside the repository',
    });
  });

  it('follows a symlinked directory that stays inside the repo', async () => {
    writeFileSync(join(repo, 'apps/real.yaml'), 'a: 1\n');
    symlinkSync(join(repo, 'apps'), join(repo, 'alias'));
    expect((await readRepoBytes(repo, 'alias/real.yaml')).toString()).toBe('a: 1\n');
  });

  it('refuses paths that leave the repo before touching the disk', async () => {
    for (const rel of ['../outside/secret.yaml', '/etc/passwd', '.git/config']) {
      expect((await refusal(repo, rel)).code).toBe('GIT_UNSAFE_PATH');
    }
  });

  it('says FILE_NOT_FOUND for a missing file or directory', async () => {
    expect(await refusal(repo, 'apps/none.yaml')).toEqual({ code: 'FILE_NOT_FOUND', message: 'apps/none.yaml: no such file in the repository' });
    expect((await refusal(repo, 'nowhere/none.yaml')).code).toBe('FILE_NOT_FOUND');
  });

  it('reads up to the limit and refuses one byte more, by size before reading', async () => {
    setMaxFileSize(10);
    writeFileSync(join(repo, 'apps/ten.yaml'), '0123456789');
    writeFileSync(join(repo, 'apps/eleven.yaml'), '0123456789a');
    expect((await readRepoBytes(repo, 'apps/ten.yaml')).length).toBe(10);
    expect(await refusal(repo, 'apps/eleven.yaml')).toEqual({
      code: 'FILE_TOO_LARGE',
      message: 'apps/eleven.yaml: file is 11 bytes, over the limit of 10 bytes (MAX_FILE_SIZE); not read',
    });
  });

  it.runIf(process.platform === 'linux')('stops one byte past the limit when a file grows beyond the size it had', async () => {
    // /proc files claim size 0 and then deliver more: the shape of a file growing under us
    setMaxFileSize(16);
    expect(await refusal('/proc/self', 'status')).toEqual({
      code: 'FILE_TOO_LARGE',
      message: 'status: file grew past 16 bytes while being read, over the limit of 16 bytes (MAX_FILE_SIZE); not read',
    });
    setMaxFileSize(DEFAULT_MAX_FILE_SIZE);
    expect((await readRepoBytes('/proc/self', 'status')).toString()).toMatch(/^Name:/);
  });

  it('decodes text, remembering which encoding gives the bytes back', async () => {
    writeFileSync(join(repo, 'utf8.yaml'), 'a: é\n');
    writeFileSync(join(repo, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(await readRepoText(repo, 'utf8.yaml')).toEqual({ text: 'a: é\n', encoding: 'utf8' });
    expect(await readRepoText(repo, 'latin1.yaml')).toEqual({ text: 'a: é\n', encoding: 'latin1' });
  });
});

describe('MAX_FILE_SIZE', () => {
  it('defaults to 4 MB and takes a positive number of bytes', () => {
    expect(maxFileSize()).toBe(4 * 1024 * 1024);
    expect(parseMaxFileSize(undefined)).toBe(DEFAULT_MAX_FILE_SIZE);
    expect(parseMaxFileSize('')).toBe(DEFAULT_MAX_FILE_SIZE);
    expect(parseMaxFileSize(' 1048576 ')).toBe(1048576);
  });

  it('is part of the app settings, parsed the same way', () => {
    expect(readSettings({}, '/srv').maxFileSize).toBe(DEFAULT_MAX_FILE_SIZE);
    expect(readSettings({ MAX_FILE_SIZE: '1048576' }, '/srv').maxFileSize).toBe(1048576);
    expect(() => readSettings({ MAX_FILE_SIZE: '4MB' }, '/srv')).toThrow(expect.objectContaining({ code: 'SETTINGS_BAD_MAX_FILE_SIZE' }));
  });

  it.each(['0', '-1', '4MB', '1.5', '1e6', '99999999999999999999'])('refuses %j naming the variable', (raw) => {
    let err: unknown;
    try {
      parseMaxFileSize(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'SETTINGS_BAD_MAX_FILE_SIZE', location: { field: 'MAX_FILE_SIZE' } });
  });
});
