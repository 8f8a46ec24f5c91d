// Local mode's generated webhook secret is made once, kept readable by its owner only, and
// read back on the next start.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepSecret } from '../../src/local/secret.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'secret-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('keepSecret', () => {
  it('makes the file (and its directory) with mode 0600, then returns what it holds', async () => {
    const file = path.join(dir, 'a', '.gitops-canary', 'webhook-secret');
    const made = keepSecret(file);
    expect(made).toEqual({ secret: expect.stringMatching(/^[0-9a-f]{40}$/), created: true });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(`${made.secret}\n`);
    expect(keepSecret(file, 'another')).toEqual({ secret: made.secret, created: false });
  });

  it('takes a secret written by hand, and makes it readable by its owner only', async () => {
    const file = path.join(dir, 'by-hand');
    await writeFile(file, '  s3cret \n');
    await chmod(file, 0o644);
    expect(keepSecret(file)).toEqual({ secret: 's3cret', created: false });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses an empty file rather than signing with an empty secret', async () => {
    const file = path.join(dir, 'empty');
    await writeFile(file, '\n');
    expect(() => keepSecret(file)).toThrow(expect.objectContaining({ code: 'LOCAL_SECRET_EMPTY' }));
  });
});
