// The facts an image edit keeps of each text (indexed-edits.ts), kept between CLI
// processes so a cold `set-image` of a text planned (or written) before parses nothing.
// A file of their own beside the content store: a fleet-wide sidecar keeps some 1,600
// texts' facts (the texts it started from and the texts it wrote), which every other
// command would otherwise load with the content store.
//
// Each entry is serialized on its own: a run deserializes the entries it asks for, and
// writes again only those it added (kept as one serialized whole, 8 MB took 47 ms to
// deserialize and 40 ms to serialize; so, 6.5 MB of 1,602 entries loads in ~5 ms and the
// 801 a sidecar asks for deserialize in ~18 ms).
//
// Keyed by content (factsKey), an entry cannot be stale, only absent; one that does not
// match this version, this format or the shape is ignored. What is kept only says where
// the values sit: the edit is spliced there and confirmed by the lexer, and the facts of
// a stored entry are checked against the text they are used for (indexed-edits.ts). The
// file lives in the repository's git directory, which whoever can write can already run
// commands through its hooks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { packageVersion } from '../version.ts';
import { storeDirOf, writeStoreFile } from './store-dir.ts';

/** Bump when the shape or the meaning of a kept entry changes. */
const FORMAT = 1;
/** Entries kept per repo (some 4 KB each, 8 MB at most): the texts a sidecar-wide change
 *  of the 10k-file fleet starts from and writes (1,602); what the latest process used
 *  is kept first. */
const KEEP = 2048;
const NAME = 'facts.v8';

interface Stored {
  format: number;
  version: string;
  entries: Map<string, Uint8Array>;
}

export interface FactsFile {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
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

function valid(x: unknown): x is Stored {
  const s = x as Partial<Stored> | undefined;
  return !!s && s.format === FORMAT && s.version === packageVersion() && s.entries instanceof Map && [...s.entries.values()].every((v) => v instanceof Uint8Array);
}

// read on first use: only a plan of a text that has no facts in this process asks
function load(dir: string): Opened {
  const file = path.join(dir, NAME);
  let loaded: Map<string, Uint8Array> | undefined;
  const all = (): Map<string, Uint8Array> => {
    if (loaded) return loaded;
    loaded = new Map();
    try {
      const x: unknown = deserialize(readFileSync(file));
      if (valid(x)) loaded = x.entries;
    } catch {
      // missing or unreadable: derived afresh and written again
    }
    return loaded;
  };
  // what this process used or derived, kept ahead of the rest
  const used = new Map<string, Uint8Array>();
  let dirty = false;
  return {
    get(key) {
      const bytes = all().get(key);
      if (bytes === undefined) return undefined;
      used.set(key, bytes);
      try {
        return deserialize(bytes) as unknown;
      } catch {
        return undefined;
      }
    },
    // keyed by content, an entry kept already holds the same: the file is written again
    // only for what is new (and then keeps what this process used ahead of the rest)
    set(key, value) {
      const had = all().get(key);
      if (had) {
        used.set(key, had);
        return;
      }
      const bytes = serialize(value);
      all().set(key, bytes);
      used.set(key, bytes);
      dirty = true;
    },
    async flush() {
      if (!dirty) return;
      dirty = false;
      const entries = new Map<string, Uint8Array>();
      const room = KEEP - Math.min(used.size, KEEP);
      const rest = [...all()].filter(([k]) => !used.has(k));
      for (const [k, v] of rest.slice(Math.max(0, rest.length - room))) entries.set(k, v);
      for (const [k, v] of [...used].slice(-KEEP)) entries.set(k, v);
      const stored: Stored = { format: FORMAT, version: packageVersion(), entries };
      await writeStoreFile(dir, file, stored);
    },
  };
}

/** Writes what this process added to the kept facts of the checkout at `root`
 *  (atomically: a reader sees the old file or the new one). */
export async function flushFacts(root: string): Promise<void> {
  const dir = storeDirOf(root);
  await (dir ? open.get(dir) : undefined)?.flush();
}

/** Forgets the kept facts this process opened (tests run several "processes" in one). */
export function closeFacts(): void {
  open.clear();
}
