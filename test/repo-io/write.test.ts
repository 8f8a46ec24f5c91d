// Files are written in place (repo-io/write.ts): over from offset 0, then cut to length.
// What a file holds afterwards is exactly the bytes given, whether they are fewer or more
// than before, for a new file too; a symlink is refused, never followed.
import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeInPlaceSync } from '../../src/repo-io/write.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'write-in-place-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writing a file in place', () => {
  it('leaves exactly the bytes given, shorter or longer than before', async () => {
    const file = path.join(dir, 'a.yaml');
    await writeFile(file, `image: ghcr.io/acme/app:1.0.0\n# ${'x'.repeat(5000)}\n`);
    for (const text of ['image: b\n', `image: ghcr.io/acme/app:10.0.0\n${'y'.repeat(70_000)}\n`, '', 'z']) {
      writeInPlaceSync(file, Buffer.from(text));
      expect(await readFile(file, 'utf8')).toBe(text);
    }
  });

  it('creates a file that is not there, as writeFile would', async () => {
    const file = path.join(dir, 'new.yaml');
    writeInPlaceSync(file, Buffer.from('kind: ConfigMap\n'));
    expect(await readFile(file, 'utf8')).toBe('kind: ConfigMap\n');
    await writeFile(path.join(dir, 'plain.yaml'), '');
    expect((await stat(file)).mode & 0o777).toBe((await stat(path.join(dir, 'plain.yaml'))).mode & 0o777);
  });

  it('refuses a symlink and leaves what it points to alone', async () => {
    const target = path.join(dir, 'target.yaml');
    await writeFile(target, 'kept: true\n');
    const link = path.join(dir, 'link.yaml');
    await symlink(target, link);
    expect(() => writeInPlaceSync(link, Buffer.from('changed: true\n'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(await readFile(target, 'utf8')).toBe('kept: true\n');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });
});
