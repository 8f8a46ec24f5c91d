// The working copy reads through the safe reader and writes back the bytes it read:
// a Latin-1 file stays Latin-1, a BOM stays, and refusals keep their code. The screen
// cache hands files it refuses to read to git, so it still agrees with a fresh grep.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { DEFAULT_MAX_FILE_SIZE, setMaxFileSize } from '../../src/repo-io/read.ts';
import { git } from '../helpers/git-remote.ts';

let dir: string;

async function commit(files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, bytes] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), bytes);
  }
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'change');
}

const LATIN1 = Buffer.from('# Gr\xfc\xdfe aus K\xf6ln\nimage: ghcr.io/acme/podinfo:0.1.0\n', 'latin1');
const BOM = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# Grüße\nimage: ghcr.io/acme/podinfo:0.1.0\n')]);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'file-bytes-'));
  await git(dir, 'init', '-q', '-b', 'main');
  await commit({ 'apps/latin1.yaml': LATIN1, 'apps/bom.yaml': BOM, 'apps/plain.yaml': 'image: ghcr.io/acme/podinfo:0.1.0\n' });
});

afterEach(() => setMaxFileSize(DEFAULT_MAX_FILE_SIZE));

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('working copy bytes', () => {
  it('writes a file that is not UTF-8 back byte for byte around the edit', async () => {
    const ws = await Workspace.local(dir);
    const text = await ws.readFile('apps/latin1.yaml');
    expect(text).not.toContain('\uFFFD');
    await ws.writeFile('apps/latin1.yaml', text.replace('0.1.0', '0.2.0'));
    const want = Buffer.from(LATIN1.toString('latin1').replace('0.1.0', '0.2.0'), 'latin1');
    expect(await readFile(path.join(dir, 'apps/latin1.yaml'))).toEqual(want);
    await git(dir, 'checkout', '--', '.');
  });

  it('keeps a UTF-8 BOM', async () => {
    const ws = await Workspace.local(dir);
    const text = await ws.readFile('apps/bom.yaml');
    expect(text.startsWith('\uFEFF')).toBe(true);
    await ws.writeFile('apps/bom.yaml', text.replace('0.1.0', '0.2.0'));
    expect(await readFile(path.join(dir, 'apps/bom.yaml'))).toEqual(Buffer.from(BOM.toString('utf8').replace('0.1.0', '0.2.0'), 'utf8'));
    await git(dir, 'checkout', '--', '.');
  });

  it('refuses to write a char a Latin-1 file cannot hold, and writes nothing', async () => {
    const ws = await Workspace.local(dir);
    const text = await ws.readFile('apps/latin1.yaml');
    await expect(ws.writeFile('apps/latin1.yaml', text.replace('0.1.0', '0.1.0-\u20ac'))).rejects.toMatchObject({ code: 'EDIT_ENCODING', location: { file: 'apps/latin1.yaml', line: 2 } });
    expect(await readFile(path.join(dir, 'apps/latin1.yaml'))).toEqual(LATIN1);
  });

  it('writes UTF-8 once the file it reads is UTF-8 again, and for new files', async () => {
    const ws = await Workspace.local(dir);
    await ws.readFile('apps/latin1.yaml');
    await writeFile(path.join(dir, 'apps/latin1.yaml'), 'a: é\n');
    await ws.writeFile('apps/latin1.yaml', (await ws.readFile('apps/latin1.yaml')).replace('a', 'b'));
    expect(await readFile(path.join(dir, 'apps/latin1.yaml'), 'utf8')).toBe('b: é\n');
    await ws.writeFile('apps/new.yaml', 'c: €\n');
    expect(await readFile(path.join(dir, 'apps/new.yaml'), 'utf8')).toBe('c: €\n');
    await git(dir, 'checkout', '--', '.');
    await rm(path.join(dir, 'apps/new.yaml'));
  });

  it('passes refusals on with their code and the file', async () => {
    const ws = await Workspace.local(dir);
    setMaxFileSize(10);
    await expect(ws.readFile('apps/plain.yaml')).rejects.toMatchObject({ code: 'FILE_TOO_LARGE', location: { file: 'apps/plain.yaml' } });
    await expect(ws.readFileAt('HEAD', 'apps/plain.yaml')).rejects.toMatchObject({ code: 'FILE_TOO_LARGE', location: { file: 'apps/plain.yaml' } });
  });
});

describe('screen cache and refused files', () => {
  it('agrees with a fresh git grep when changed files are too large or symlinks', async () => {
    const ws = await Workspace.local(dir);
    const t1 = await ws.cleanTree();
    expect(await ws.grep(['podinfo'], { tree: t1 })).toEqual(['apps/bom.yaml', 'apps/latin1.yaml', 'apps/plain.yaml']);
    setMaxFileSize(64);
    await commit({
      'apps/big-hit.yaml': `image: ghcr.io/acme/podinfo:0.1.0\n${'#'.repeat(100)}\n`,
      'apps/big-miss.yaml': `image: ghcr.io/acme/other:0.1.0\n${'#'.repeat(100)}\n`,
    });
    await symlink('podinfo-target.yaml', path.join(dir, 'apps/link.yaml'));
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'link');
    const t2 = await ws.cleanTree();
    const carried = await ws.grep(['podinfo'], { tree: t2 });
    expect(carried).toEqual(await ws.grep(['podinfo']));
    expect(carried).toEqual(['apps/big-hit.yaml', 'apps/bom.yaml', 'apps/latin1.yaml', 'apps/plain.yaml']);
  });
});
