// The config as a persistent reader (the CLI's `status`, see tree-store.ts) loads it: the
// parsed and validated config is kept on disk under a hash of its text, so a cold status
// of an unchanged config parses no YAML and runs no schema. Only a config that passed
// validation is kept; one that fails is parsed again on every load and reported as
// loadConfig reports it. Lines are parsed again only when a problem needs one, and the
// lines asked for are kept beside the config for the next process.
//
// The paths are checked on every load: those the clean tree's tracked files vouch for
// (paths.ts trackedConfigPaths) are remembered per tree, the rest are looked up on disk.
import { createHash } from 'node:crypto';
import type { RepoFiles } from '../manifests/files.ts';
import { contentStoreOf, isPersistent, treeStoreOf, type TreeStore } from '../manifests/tree-store.ts';
import { configFileIn, lineFinder, loadConfig, parseOnce, readConfigText, type LoadedConfig } from './load.ts';
import { checkConfigPaths, trackedConfigPaths } from './paths.ts';
import type { Config } from './schema.ts';

/** Bump when the config's shape or its validation changes within one package version. */
const FORMAT = 1;
const CONFIGS = 'config';
const VOUCHED = 'config-paths';

interface Kept {
  config: Config;
  /** Lines asked for so far, by JSON of the key list; null for none. */
  lines: Record<string, number | null>;
}

/** The config's paths the index vouches for (see KeptConfigOptions.tracked). */
interface Vouched {
  stamp: string;
  paths: string[];
}

export interface KeptConfigOptions {
  /** The tracked files git compares with the work tree (see trackedConfigPaths), read once
   *  per tree, config and `stamp`: what identifies the index file as written, since
   *  marking an entry skip-worktree or assume-unchanged rewrites the index, not the tree.
   *  Without it every path is looked up on disk. */
  tracked?: { stamp: string; files: () => Promise<string[]> };
}

// Time zones are checked against the runtime's ICU data: another Node may judge them
// otherwise.
function keyOf(file: string, text: string): string {
  const runtime = `${process.version} ${process.versions.icu ?? ''} ${process.versions.tz ?? ''}`;
  return createHash('sha256').update(`${FORMAT}\0${runtime}\0${file}\0`).update(text).digest('hex');
}

/** loadConfig of `repo`'s checkout, kept on disk when `repo` persists. The config is
 *  shared with the store: read it, never change it. */
export async function loadKeptConfig(repo: RepoFiles, opts: KeptConfigOptions = {}): Promise<LoadedConfig | null> {
  if (!isPersistent(repo)) return loadConfig(repo.root);
  const file = configFileIn(repo.root);
  if (file === null) return null;
  const text = readConfigText(repo.root, file);
  const key = keyOf(file, text);
  const tree = await treeStoreOf(repo);
  const { config, lineOf } = keptConfig(repo, tree, key, text, file);
  const { tracked } = opts;
  const kept = tracked && tree?.get<Partial<Vouched>>(VOUCHED, key);
  const vouched = kept && kept.stamp === tracked.stamp && Array.isArray(kept.paths) ? new Set(kept.paths) : undefined;
  checkConfigPaths(repo.root, config, { file, lineOf, vouched });
  // one answer per config and tree, the last index's: a store that cannot grow
  if (tree && tracked && !vouched) tree.set(VOUCHED, key, { stamp: tracked.stamp, paths: trackedConfigPaths(repo.root, config, await tracked.files()) } satisfies Vouched);
  return { config, file, lineOf };
}

// what the store file holds is checked for its shape only: anything else is derived afresh
function keptIn(store: TreeStore | undefined, key: string): Kept | undefined {
  const k = store?.get<Partial<Kept>>(CONFIGS, key);
  return k && typeof k.config === 'object' && k.config !== null && typeof k.lines === 'object' && k.lines !== null ? (k as Kept) : undefined;
}

// The tree's store first: it is read anyway, where the content store (all trees') is
// larger and opened only when the tree's has no answer.
function keptConfig(repo: RepoFiles, tree: TreeStore | undefined, key: string, text: string, file: string): Pick<LoadedConfig, 'config' | 'lineOf'> {
  const stores = tree ? [tree] : [];
  let found = keptIn(tree, key);
  if (!found) {
    const content = contentStoreOf(repo);
    if (content) stores.push(content);
    found = keptIn(content, key);
    if (found) tree?.set(CONFIGS, key, found);
  }
  let fresh: Kept | undefined;
  let lines: ((path: (string | number)[]) => number | undefined) | undefined;
  if (!found) {
    // throws for a config that does not load: nothing is kept
    const parsed = parseOnce(text, file);
    fresh = { config: parsed.config, lines: {} };
    lines = parsed.lineOf;
    for (const s of stores) s.set(CONFIGS, key, fresh);
  }
  const entry = (found ?? fresh)!;
  const lineOf = (path: (string | number)[]) => {
    const k = JSON.stringify(path);
    if (Object.hasOwn(entry.lines, k)) return entry.lines[k] ?? undefined;
    lines ??= lineFinder(text);
    const line = lines(path);
    entry.lines[k] = line ?? null;
    for (const s of stores) s.set(CONFIGS, key, entry);
    return line;
  };
  return { config: entry.config, lineOf };
}
