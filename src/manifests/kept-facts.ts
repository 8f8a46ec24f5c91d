// The facts an image edit keeps of each text (indexed-edits.ts), kept between CLI
// processes so a cold `set-image` of a text planned (or written) before parses nothing.
// A file of their own beside the content store: a fleet-wide sidecar keeps some 1,600
// texts' facts (the texts it started from and the texts it wrote), which every other
// command would otherwise load with the content store.
//
// Each entry is serialized on its own: a run deserializes the entries it asks for, and
// writes again only those it added (kept as one serialized whole, 8 MB took 47 ms to
// deserialize and 40 ms to serialize; so, 6.5 MB of 1,602 entries loads in ~5 ms and the
// 801 a sidecar asks for deserialize in ~18 ms). A file is those entries' bytes one after
// the other, each behind its key and their lengths (encodeShard), written from where they
// are: v8's serialization of a Map of byte arrays copied each through a JavaScript hook
// and then joined the file, 20-35 ms of a sidecar's flush for 2,900 entries. The entries
// are spread over 64 files by key: a change of one image in four files read and wrote all
// 8 MB of one file (~80 ms of a 700 ms run on a slow machine); it now reads and writes
// the few files its eight texts fall in.
//
// Keyed by content (factsKey), an entry cannot be stale, only absent; one that does not
// match this version, this format or the shape is ignored. What is kept only says where
// the values sit: the edit is spliced there and confirmed, and the facts of a stored
// entry are checked against the text they are used for (indexed-edits.ts). The file
// lives in the repository's git directory, which whoever can write can already run
// commands through its hooks.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { slices } from './turns.ts';
import { packageVersion } from '../version.ts';
import { storeDirOf, writeStoreBytes } from './store-dir.ts';

/** Bump when the shape or the meaning of a kept entry, or the file's layout, changes. */
const FORMAT = 4;
/** 64 files: the top six bits of a key's hash. */
const SHARD_SHIFT = 26;
/** Entries kept per file (some 4 KB each): a sidecar-wide change of the 10k-file fleet
 *  keeps the 1,602 texts it starts from and writes, some 25 a file and 40 at most;
 *  what the latest process used is kept first. 12 MB at most in all. */
const KEEP = 48;
/** The single file an earlier version kept every entry in. */
const FORMER = 'facts.v8';

/** A file's first bytes, then the length of a JSON header ({format, version, count}) and
 *  the header; then each entry: its key's length and its bytes' length (32-bit, little-endian),
 *  the key (UTF-8) and the bytes. */
const MAGIC = Buffer.from('GCKF');

export interface FactsFile {
  get(key: string): unknown;
  /** Keeps `value` (serialized when flushed: it must not change meanwhile). */
  set(key: string, value: unknown): void;
  /** Keeps what `make` gives (nothing, when undefined), made when the file is flushed or
   *  the key first asked for: for a value only a later run needs, which the CLI flushes
   *  while git commits. */
  setLater(key: string, make: () => unknown): void;
  /** Keeps `key`, when the file holds it, ahead of what this process used before: an
   *  entry another one is derived from (see SplicedFacts in indexed-edits.ts). */
  touch(key: string): void;
}

interface Opened extends FactsFile {
  flush(): Promise<void>;
}

const open = new Map<string, Opened>();

/** The kept facts of the checkout at `root`; undefined without a git directory. */
export function factsFileOf(root: string): FactsFile | undefined {
  const dir = storeDirOf(root);
  if (!dir) return undefined;
  let f = open.get(dir);
  if (!f) open.set(dir, (f = load(dir)));
  return f;
}

/** The file of the shard a key is kept in. */
export function factsShardName(key: string): string {
  // FNV-1a: keys end in a content hash, so any mix of their characters spreads them
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // the high bits: a multiply carries every character into them, not into the low ones
  return `facts-${(h >>> SHARD_SHIFT).toString(16).padStart(2, '0')}.v8`;
}

/** A shard file's bytes (see MAGIC), in parts to be written one after the other. */
export function encodeShard(entries: ReadonlyMap<string, Uint8Array>): Uint8Array[] {
  const header = Buffer.from(JSON.stringify({ format: FORMAT, version: packageVersion(), count: entries.size }));
  const parts: Uint8Array[] = [MAGIC, u32(header.length), header];
  for (const [key, bytes] of entries) {
    const k = Buffer.from(key);
    const lengths = Buffer.allocUnsafe(8);
    lengths.writeUInt32LE(k.length, 0);
    lengths.writeUInt32LE(bytes.length, 4);
    parts.push(lengths, k, bytes);
  }
  return parts;
}

/** The entries of a shard file; undefined for one of another format or version, or cut
 *  short. The bytes of each are a view of `file`. */
export function decodeShard(file: Buffer): Map<string, Uint8Array> | undefined {
  if (file.length < 8 || !file.subarray(0, 4).equals(MAGIC)) return undefined;
  const headerEnd = 8 + file.readUInt32LE(4);
  if (headerEnd > file.length) return undefined;
  let count;
  try {
    const header = JSON.parse(file.toString('utf8', 8, headerEnd)) as { format?: unknown; version?: unknown; count?: unknown };
    if (header.format !== FORMAT || header.version !== packageVersion()) return undefined;
    count = header.count;
  } catch {
    return undefined;
  }
  const entries = new Map<string, Uint8Array>();
  for (let at = headerEnd; at < file.length; ) {
    if (at + 8 > file.length) return undefined;
    const keyEnd = at + 8 + file.readUInt32LE(at);
    const end = keyEnd + file.readUInt32LE(at + 4);
    if (end > file.length) return undefined;
    entries.set(file.toString('utf8', at + 8, keyEnd), file.subarray(keyEnd, end));
    at = end;
  }
  // (cut short where an entry ends, a file would read as fewer entries)
  return entries.size === count ? entries : undefined;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n, 0);
  return b;
}

interface Shard {
  /** Read on first use: only a plan of a text that has no facts in this process asks. */
  loaded?: Map<string, Uint8Array>;
  /** What this process used or derived, kept ahead of the rest. */
  used: Map<string, Uint8Array>;
  /** Derived here and not serialized yet: serializing waits for the flush, which the CLI
   *  runs while git commits (a sidecar's 801 entries took ~40 ms to serialize). */
  fresh: Map<string, unknown>;
  /** To be made (setLater), without reading the shard's file first. */
  later: Map<string, () => unknown>;
  dirty: boolean;
}

function load(dir: string): Opened {
  const shards = new Map<string, Shard>();
  const shardOf = (key: string): Shard => {
    const name = factsShardName(key);
    let s = shards.get(name);
    if (!s) shards.set(name, (s = { used: new Map(), fresh: new Map(), later: new Map(), dirty: false }));
    return s;
  };
  const all = (key: string): { shard: Shard; entries: Map<string, Uint8Array> } => {
    const shard = shardOf(key);
    if (!shard.loaded) {
      shard.loaded = new Map();
      try {
        shard.loaded = decodeShard(readFileSync(path.join(dir, factsShardName(key)))) ?? shard.loaded;
      } catch {
        // missing or unreadable: derived afresh and written again
      }
    }
    return { shard, entries: shard.loaded };
  };
  const made = (shard: Shard, key: string): void => {
    const make = shard.later.get(key);
    if (!make) return;
    shard.later.delete(key);
    const value = make();
    if (value !== undefined) file.set(key, value);
  };
  const file: Opened = {
    get(key) {
      made(shardOf(key), key);
      const { shard, entries } = all(key);
      if (shard.fresh.has(key)) serializeFresh(shard);
      const bytes = entries.get(key);
      if (bytes === undefined) return undefined;
      shard.used.set(key, bytes);
      try {
        return deserialize(bytes) as unknown;
      } catch {
        return undefined;
      }
    },
    // keyed by content, an entry kept already holds the same: a file is written again
    // only for what is new (and then keeps what this process used ahead of the rest)
    set(key, value) {
      const { shard, entries } = all(key);
      const had = entries.get(key);
      if (had) {
        shard.used.set(key, had);
        return;
      }
      if (shard.fresh.has(key)) return;
      shard.fresh.set(key, value);
      shard.dirty = true;
    },
    setLater(key, make) {
      shardOf(key).later.set(key, make);
    },
    touch(key) {
      const { shard, entries } = all(key);
      const bytes = shard.used.get(key) ?? entries.get(key);
      if (bytes === undefined) return;
      // a Map keeps the order keys were first set in
      shard.used.delete(key);
      shard.used.set(key, bytes);
    },
    async flush() {
      const turn = slices();
      for (const shard of [...shards.values()]) {
        for (const key of [...shard.later.keys()]) {
          await turn();
          made(shard, key);
        }
      }
      for (const shard of shards.values()) {
        for (const [key, value] of shard.fresh) {
          await turn();
          // (a get meanwhile may have serialized it already)
          if (shard.fresh.delete(key)) keep(shard, key, serialize(value));
        }
      }
      const writes: Array<Promise<boolean>> = [];
      for (const [name, shard] of shards) {
        if (!shard.dirty || !shard.loaded) continue;
        await turn();
        shard.dirty = false;
        const entries = new Map<string, Uint8Array>();
        const room = KEEP - Math.min(shard.used.size, KEEP);
        const rest = [...shard.loaded].filter(([k]) => !shard.used.has(k));
        for (const [k, v] of rest.slice(Math.max(0, rest.length - room))) entries.set(k, v);
        for (const [k, v] of [...shard.used].slice(-KEEP)) entries.set(k, v);
        writes.push(writeStoreBytes(dir, path.join(dir, name), encodeShard(entries)));
      }
      if (writes.length === 0) return;
      writes.push(rm(path.join(dir, FORMER), { force: true }).then(() => true, () => false));
      await Promise.all(writes);
    },
  };
  return file;
}

function keep(shard: Shard, key: string, bytes: Uint8Array): void {
  shard.loaded?.set(key, bytes);
  shard.used.set(key, bytes);
}

function serializeFresh(shard: Shard): void {
  for (const [key, value] of shard.fresh) keep(shard, key, serialize(value));
  shard.fresh.clear();
}

/** Writes what this process added to the kept facts of the checkout at `root`
 *  (atomically per file: a reader sees the old file or the new one). */
export async function flushFacts(root: string): Promise<void> {
  const dir = storeDirOf(root);
  await (dir ? open.get(dir) : undefined)?.flush();
}

/** Forgets the kept facts this process opened (tests run several "processes" in one). */
export function closeFacts(): void {
  open.clear();
}
