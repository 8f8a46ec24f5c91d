// What was derived from one clean tree, kept on disk beside the repo's git data, so a
// cold `gitops-canary status` on an unchanged tree reads answers instead of re-reading
// and re-parsing thousands of files. A tree id names its files exactly, so an answer
// kept under it can only be stale when the code that derived it changed: the file is
// keyed by the tree, the package version, a format number and the file size limit, and
// anything that does not match (or does not deserialize) is ignored and rebuilt.
//
// Only readers made by persistentRepo use it (the CLI's status): the bot's own caches
// live in its process, and a change must never rest on a file anyone can write.
import { readFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { deserialize } from 'node:v8';
import { maxFileSize } from '../repo-io/read.ts';
import { packageVersion } from '../version.ts';
import type { RepoFiles } from './files.ts';
import { closeFacts, flushFacts } from './kept-facts.ts';
import { closeScreens, flushScreens, keptGrep } from './kept-screens.ts';
import { storeDirOf, writeStoreFile } from './store-dir.ts';

/** Bump when the shape or the meaning of a stored answer changes. */
const FORMAT = 1;
/** Trees kept per repo: a branch switch back and forth finds its answers still there. */
const KEEP = 8;
const STORE = Symbol('treeStore');
// a reader's store of answers keyed by content, kept in this process (withContentStore)
const MEMORY = Symbol('contentMemory');

interface Stored {
  format: number;
  version: string;
  limit: number;
  tree: string;
  sections: Record<string, Record<string, unknown>>;
}

export interface TreeStore {
  readonly tree: string;
  get<T>(section: string, key: string): T | undefined;
  set(section: string, key: string, value: unknown): void;
  /** Writes what was added since the last flush (atomically: a reader sees the old file
   *  or the new one). A repo that cannot be written just stays uncached. */
  flush(): Promise<void>;
}

/** The name under which answers that hold for any tree are kept (keyed by content). */
const SHARED = 'shared';

/** `repo` whose derived answers are kept on disk per clean tree, its searches too
 *  (kept-screens.ts). */
export function persistentRepo(repo: RepoFiles): RepoFiles {
  return { ...repo, grep: keptGrep(repo), [STORE]: true } as RepoFiles;
}

/** Carries the persistence of `from` (and its store kept in memory) over to a reader
 *  built on it. */
export function persistLike<T extends RepoFiles>(from: RepoFiles, to: T): T {
  const memory = (from as { [MEMORY]?: TreeStore })[MEMORY];
  if (memory) withContentStore(to, memory);
  return (from as { [STORE]?: boolean })[STORE] ? Object.assign(to, { [STORE]: true }) : to;
}

export function isPersistent(repo: RepoFiles): boolean {
  return (repo as { [STORE]?: boolean })[STORE] === true;
}

/** Answers found on disk and answers derived afresh, for tests and the bench. */
export const treeStoreCounters = { hits: 0, misses: 0 };

// a watch or the bot's status page moves from tree to tree: keep the few latest open
const OPEN_LIMIT = 16;
const open = new Map<string, TreeStore>();

/** The store of `repo`'s clean tree; undefined when `repo` does not persist, the files
 *  match no clean tree, or the repo has no git directory to keep it in. */
export async function treeStoreOf(repo: RepoFiles): Promise<TreeStore | undefined> {
  if (!isPersistent(repo)) return undefined;
  const tree = await repo.version?.();
  if (tree === undefined) return undefined;
  return opened(repo.root, tree);
}

/** The store of answers keyed by what they were derived from (a file's path and text),
 *  which hold in any tree: the first status after a commit re-parses only the files the
 *  commit changed. Of each kind of answer only what the last process to use that kind
 *  used is kept, so it cannot grow without end. Undefined when `repo` does not persist or has no git directory. */
export function contentStoreOf(repo: RepoFiles): TreeStore | undefined {
  const memory = (repo as { [MEMORY]?: TreeStore })[MEMORY];
  if (memory) return memory;
  return isPersistent(repo) ? opened(repo.root, SHARED) : undefined;
}

/** A store of answers keyed by content kept in this process only, never on disk: for the
 *  bot's scheduler tick, whose planning passes over trees a file or two apart (one per
 *  app it steps) would otherwise parse every Service and workload again for each. */
export function memoryContentStore(): TreeStore {
  const sections: Record<string, Record<string, unknown>> = {};
  return {
    tree: SHARED,
    get: <T>(section: string, key: string) => sections[section]?.[key] as T | undefined,
    set(section, key, value) {
      (sections[section] ??= {})[key] = value;
    },
    flush: async () => undefined,
  };
}

/** `repo`, keeping its answers keyed by content in `store` (see memoryContentStore). */
export function withContentStore<T extends RepoFiles>(repo: T, store: TreeStore): T {
  return Object.assign(repo, { [MEMORY]: store });
}

/** Writes what `repo`'s stores gained (see TreeStore.flush). `screens: false` leaves the
 *  searches for a later flush: one after the commit keeps them for its tree. */
export async function flushStores(repo: RepoFiles, { screens = true }: { screens?: boolean } = {}): Promise<void> {
  await contentStoreOf(repo)?.flush();
  if (!isPersistent(repo)) return;
  // every store an answer went to is open already: the flush need not ask which tree the
  // files are (git), which once a change is written would no longer be the one planned on
  const dir = storeDirOf(repo.root);
  if (dir) for (const [id, store] of open) if (id.startsWith(`${dir}\0`)) await store.flush();
  if (screens) await flushScreens(repo.root);
  await flushFacts(repo.root);
}

function opened(root: string, tree: string): TreeStore | undefined {
  const dir = storeDirOf(root);
  if (!dir) return undefined;
  const id = `${dir}\0${tree}`;
  let store = open.get(id);
  if (!store) {
    store = load(dir, tree);
    if (open.size >= OPEN_LIMIT) open.delete(open.keys().next().value as string);
    open.set(id, store);
  }
  return store;
}

/** Forgets the stores this process opened (tests run several "processes" in one). */
export function closeTreeStores(): void {
  open.clear();
  closeScreens();
  closeFacts();
}

function fileOf(dir: string, tree: string): string {
  return path.join(dir, tree === SHARED ? 'content.v8' : `index-${tree}.v8`);
}

function valid(x: unknown, tree: string): x is Stored {
  const s = x as Partial<Stored> | undefined;
  return (
    !!s &&
    s.format === FORMAT &&
    s.version === packageVersion() &&
    s.limit === maxFileSize() &&
    s.tree === tree &&
    !!s.sections &&
    typeof s.sections === 'object' &&
    Object.values(s.sections).every((v) => !!v && typeof v === 'object')
  );
}

// Read on first use: a status whose answers are all kept per tree never opens the
// (larger) content store.
function load(dir: string, tree: string): TreeStore {
  const file = fileOf(dir, tree);
  let loaded: Stored['sections'] | undefined;
  const all = (): Stored['sections'] => {
    if (loaded) return loaded;
    loaded = {};
    try {
      const x: unknown = deserialize(readFileSync(file));
      if (valid(x, tree)) loaded = x.sections;
    } catch {
      // missing or unreadable: derived afresh and written again
    }
    return loaded;
  };
  let dirty = false;
  // the content store keeps of each section it used what this process used: the working
  // set of the repo's apps; a section it did not use (a dirty tree's status parses no
  // image index) is kept whole
  const used: Stored['sections'] | undefined = tree === SHARED ? {} : undefined;
  return {
    tree,
    get<T>(section: string, key: string) {
      const v = all()[section]?.[key] as T | undefined;
      if (v === undefined) treeStoreCounters.misses++;
      else treeStoreCounters.hits++;
      if (v !== undefined && used && (used[section] ??= {})[key] === undefined) {
        used[section][key] = v;
        dirty = true;
      }
      return v;
    },
    set(section, key, value) {
      (all()[section] ??= {})[key] = value;
      if (used) (used[section] ??= {})[key] = value;
      dirty = true;
    },
    async flush() {
      if (!dirty) return;
      dirty = false;
      const stored: Stored = { format: FORMAT, version: packageVersion(), limit: maxFileSize(), tree, sections: used ? { ...all(), ...used } : all() };
      if (await writeStoreFile(dir, file, stored)) await prune(dir).catch(() => undefined);
    },
  };
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => /^index-[0-9a-f]+\.v8$/.test(n));
  if (names.length <= KEEP) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.t - a.t);
  await Promise.all(dated.slice(KEEP).map(({ n }) => rm(path.join(dir, n), { force: true })));
}
