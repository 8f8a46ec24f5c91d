// The CLI's kept facts are spread over files by key: a run that adds the facts of a few
// texts reads and writes the files those keys fall in, not every entry kept.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serialize } from 'node:v8';
import { closeFacts, decodeShard, encodeShard, factsFileOf, factsShardName, flushFacts } from '../../src/manifests/kept-facts.ts';
import { packageVersion } from '../../src/version.ts';

let root: string;
const store = () => path.join(root, '.git', 'gitops-canary');

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gcb-facts-'));
  await mkdir(path.join(root, '.git'));
  closeFacts();
});

afterEach(async () => {
  closeFacts();
  await rm(root, { recursive: true, force: true });
});

const contents = async () => new Map(await Promise.all((await readdir(store())).map(async (n) => [n, await readFile(path.join(store(), n))] as const)));

describe('kept facts', () => {
  it('keeps each entry in the file of its key, and a later run rewrites only the files of what it added', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `policies\0${root}\0apps/a${i}.yaml\0digest-${i}`);
    for (const k of keys) factsFileOf(root)!.set(k, { key: k });
    // the file an earlier version kept everything in goes once the new ones are written
    await mkdir(store(), { recursive: true });
    await writeFile(path.join(store(), 'facts.v8'), 'old');
    await flushFacts(root);
    expect(existsSync(path.join(store(), 'facts.v8'))).toBe(false);
    const before = await contents();
    expect(before.size).toBeGreaterThan(32);
    closeFacts();
    // a new process: every entry found, from its own file
    for (const k of keys) expect(factsFileOf(root)!.get(k)).toEqual({ key: k });
    const added = `policies\0${root}\0apps/new.yaml\0digest-new`;
    factsFileOf(root)!.set(added, { key: added });
    await flushFacts(root);
    const after = await contents();
    const changed = [...after.keys()].filter((n) => !before.get(n)?.equals(after.get(n)!));
    expect(changed).toEqual([factsShardName(added)]);
    closeFacts();
    expect(factsFileOf(root)!.get(added)).toEqual({ key: added });
    expect(factsFileOf(root)!.get(keys[7])).toEqual({ key: keys[7] });
  });

  it('writes nothing for a run that only read', async () => {
    const k = `p\0${root}\0a.yaml\0d`;
    factsFileOf(root)!.set(k, 1);
    await flushFacts(root);
    const before = await contents();
    closeFacts();
    expect(factsFileOf(root)!.get(k)).toBe(1);
    factsFileOf(root)!.set(k, 1);
    await flushFacts(root);
    expect(await contents()).toEqual(before);
  });

  it('serializes what was set when flushing; a get before that has it already', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `p\0${root}\0apps/a${i}.yaml\0d${i}`);
    for (const k of keys) factsFileOf(root)!.set(k, { key: k, spans: [[1, 2]] });
    expect(existsSync(store())).toBe(false);
    // read back in this process before any flush: a copy of what was set
    expect(factsFileOf(root)!.get(keys[3])).toEqual({ key: keys[3], spans: [[1, 2]] });
    await flushFacts(root);
    closeFacts();
    for (const k of keys) expect(factsFileOf(root)!.get(k)).toEqual({ key: k, spans: [[1, 2]] });
  });
  it('keeps an entry touched ahead of what the run used before it, when a file holds more than it keeps', async () => {
    // keys that all fall in one file: more than a file keeps once the run adds its own
    const sameFile: string[] = [];
    for (let i = 0; sameFile.length < 60; i++) {
      const k = `p\0${root}\0apps/a${i}.yaml\0d${i}`;
      if (factsShardName(k) === 'facts-00.v8') sameFile.push(k);
    }
    const [first, second] = sameFile;
    for (const k of sameFile.slice(0, 40)) factsFileOf(root)!.set(k, k);
    await flushFacts(root);
    closeFacts();
    // a run uses all 40, the first one first, and adds 20; it touches the first one, as a
    // plan does the entry the ones it adds are derived from
    for (const k of sameFile.slice(0, 40)) expect(factsFileOf(root)!.get(k)).toBe(k);
    for (const k of sameFile.slice(40)) factsFileOf(root)!.set(k, k);
    factsFileOf(root)!.touch(first);
    await flushFacts(root);
    closeFacts();
    expect(factsFileOf(root)!.get(first)).toBe(first);
    expect(factsFileOf(root)!.get(second)).toBeUndefined();
    for (const k of sameFile.slice(40)) expect(factsFileOf(root)!.get(k)).toBe(k);
  });

  it('lets the event loop turn while it makes and serializes what it keeps: git\'s next process is not held back', async () => {
    // each entry takes longer to make than a flush works between two turns
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const keys = Array.from({ length: 8 }, (_, i) => `policies\0${root}\0apps/b${i}.yaml\0digest-${i}`);
    // the turns of the event loop seen as each entry is made
    const seen: number[] = [];
    for (const k of keys) {
      factsFileOf(root)!.setLater(k, () => {
        seen.push(turns);
        spin(5);
        return { key: k };
      });
    }
    let turns = 0;
    let flushing = true;
    const ticker = async () => {
      while (flushing) {
        await new Promise((r) => setImmediate(r));
        turns++;
      }
    };
    const ticks = ticker();
    await flushFacts(root);
    flushing = false;
    await ticks;
    // a turn between each two entries made (a count of entries a turn made all eight in one)
    expect(seen).toHaveLength(keys.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    closeFacts();
    for (const k of keys) expect(factsFileOf(root)!.get(k)).toEqual({ key: k });
  });

  it('reads a file back as the entries written, and nothing of a file cut short, of another version or of the former layout', async () => {
    const entries = new Map<string, Uint8Array>([
      [`p\0${root}\0apps/ä.yaml\0d1`, serialize({ a: 1 })],
      ['', new Uint8Array()],
      ['k', Uint8Array.from([0, 255, 7])],
    ]);
    const file = Buffer.concat(encodeShard(entries));
    const back = decodeShard(file)!;
    expect([...back.keys()]).toEqual([...entries.keys()]);
    for (const [k, v] of entries) expect(Buffer.from(back.get(k)!).equals(Buffer.from(v))).toBe(true);
    for (let n = 0; n < file.length; n++) expect(decodeShard(file.subarray(0, n))).toBeUndefined();
    const other = Buffer.from(file);
    other.write('9', other.indexOf(packageVersion()));
    expect(decodeShard(other)).toBeUndefined();
    expect(decodeShard(serialize({ format: 3, version: packageVersion(), entries }))).toBeUndefined();
    // a file of the former layout is read as none, and written anew by the next flush
    const k = `p\0${root}\0a.yaml\0d`;
    await mkdir(store(), { recursive: true });
    await writeFile(path.join(store(), factsShardName(k)), serialize({ format: 3, version: packageVersion(), entries: new Map([[k, serialize(1)]]) }));
    expect(factsFileOf(root)!.get(k)).toBeUndefined();
    factsFileOf(root)!.set(k, 2);
    await flushFacts(root);
    closeFacts();
    expect(factsFileOf(root)!.get(k)).toBe(2);
  });
});
