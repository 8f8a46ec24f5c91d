// Every image reference of a clean tree, found once and shared by every app that asks.
// Asking for one image used to cost a `git grep` of the whole tree and a parse of each
// hit, per app and per track; a status of a thousand apps paid that a thousand times.
// Here a tree is listed once, a file is read once per tree, and parsed once per text:
// its references to all images are kept, and each question (an image and the track's
// paths) filters them. A newer tree re-reads only the files a question needs and
// re-parses only the texts that changed, so an event after a commit costs its own files.
//
// The answers are those of the per-image scan (jobs/images.ts) exactly: the same files
// (a file is a candidate when `git grep` would list it for the image's tokens: regular
// text files are judged here, any other is left to git), the same references in the same
// order, the same skipped files in the same order. A file where finding every image
// fails (a broken marker beside some image) is searched per image, as before.
import { BotError } from '../errors.ts';
import type { Skipped } from '../plan.ts';
import { normalizeRepository, parseImageRef } from '../policy/image.ts';
import type { FluxPolicy } from './flux-policies.ts';
import { YAML_FILE, type RepoFiles } from './files.ts';
import { deriveText, type Derived } from './derive.ts';
import { lineIndex, readManifestAsync } from './parse.ts';
import { imageEditors } from './registry.ts';
import { FLUX_TOKENS, imageTokens, loadFluxPolicies, selectPaths, type FoundFlux } from './scan.ts';
import { hash } from 'node:crypto';
import { contentStoreOf, persistLike, treeStoreOf, type TreeStore } from './tree-store.ts';
import type { ImageEditor, ImageRef } from './types.ts';
import { imageMatcher } from './workload-images.ts';
import { pooled } from '../pool.ts';

export interface ImageScan {
  refs: ImageRef[];
  skipped: Skipped[];
}

/** One file as this tree holds it. `git` = whether git must judge it (not a readable
 *  text, or a text git may take for binary). */
type Read = { text: string; git: boolean } | { error: unknown; git: boolean };

interface TreeIndex {
  tree: string;
  files?: Promise<string[]>;
  reads: Map<string, Promise<Read>>;
}

const READ_BATCH = 32;
const TREE_LIMIT = 64;
const DERIVED_LIMIT = 100_000;
const trees = new Map<string, TreeIndex>();
const derivedCache = new Map<string, { text: string; policies: string; result: Promise<Derived> }>();

/** How often the index read and parsed, for tests and the bench. */
export const imageIndexCounters = { reads: 0, parses: 0 };

const policyKeys = new WeakMap<ReadonlyMap<string, FluxPolicy>, string>();
const editorSets = new WeakMap<ReadonlyMap<string, FluxPolicy>, ImageEditor[]>();

// The references found depend on the ImagePolicies (filters, marker repositories): a
// parse is reused only under policies with the same content.
function policyKey(policies: Map<string, FluxPolicy>): string {
  let key = policyKeys.get(policies);
  if (key === undefined) policyKeys.set(policies, (key = JSON.stringify([...policies])));
  return key;
}

function editorsFor(policies: Map<string, FluxPolicy>): ImageEditor[] {
  let editors = editorSets.get(policies);
  if (!editors) editorSets.set(policies, (editors = imageEditors(policies)));
  return editors;
}

function treeIndex(repo: RepoFiles, tree: string): TreeIndex {
  let t = trees.get(repo.root);
  if (t?.tree !== tree) {
    t = { tree, reads: new Map() };
    trees.delete(repo.root);
    if (trees.size >= TREE_LIMIT) trees.delete(trees.keys().next().value as string);
    trees.set(repo.root, t);
  }
  return t;
}

function yamlFiles(repo: RepoFiles, t: TreeIndex, list = () => repo.list()): Promise<string[]> {
  if (!t.files) {
    const files = list().then((all) => all.filter((rel) => YAML_FILE.test(rel)).sort());
    t.files = files;
    files.catch(() => {
      if (t.files === files) t.files = undefined;
    });
  }
  return t.files;
}

// A missing file is not in the tree git searches; any other refusal (a symlink, a
// device, a file over the size limit) git judges, as a fresh search would.
const ABSENT = new Set(['GIT_FILE_NOT_FOUND', 'FILE_NOT_FOUND']);

function readFile(repo: RepoFiles, t: TreeIndex, rel: string): Promise<Read> {
  let r = t.reads.get(rel);
  if (!r) {
    imageIndexCounters.reads++;
    r = repo.read(rel).then(
      // git takes a text with a NUL for binary and does not search it
      (text): Read => ({ text, git: text.includes('\0') }),
      (error: unknown): Read => ({ error, git: !(error instanceof BotError && ABSENT.has(error.code)) }),
    );
    t.reads.set(rel, r);
  }
  return r;
}

function readAll(repo: RepoFiles, t: TreeIndex, rels: readonly string[]): Promise<Read[]> {
  return pooled(rels, READ_BATCH, (rel) => readFile(repo, t, rel));
}

function derive(rel: string, text: string, editors: ImageEditor[]): Derived | Promise<Derived> {
  imageIndexCounters.parses++;
  return deriveText(rel, text, editors);
}

const digest = (s: string) => hash('sha256', s, 'base64');
const policyDigests = new Map<string, string>();

/** What parsing `text` gives, kept on disk by content when `content` is given: the path,
 *  the text and the policies are the whole of its input. */
async function deriveKept(rel: string, text: string, policies: Map<string, FluxPolicy>, content: TreeStore): Promise<Derived> {
  const pk = policyKey(policies);
  let pd = policyDigests.get(pk);
  if (pd === undefined) policyDigests.set(pk, (pd = digest(pk)));
  const key = `${pd}\0${rel}\0${digest(text)}`;
  const kept = content.get<Derived>('derived', key);
  if (kept) return kept;
  const d = await derive(rel, text, editorsFor(policies));
  content.set('derived', key, d);
  return d;
}

function derived(root: string, rel: string, text: string, policies: Map<string, FluxPolicy>, content?: TreeStore): Promise<Derived> {
  const key = `${root}\0${rel}`;
  const pk = policyKey(policies);
  const hit = derivedCache.get(key);
  if (hit && hit.text === text && hit.policies === pk) return hit.result;
  const result = content ? deriveKept(rel, text, policies, content) : Promise.resolve(derive(rel, text, editorsFor(policies)));
  derivedCache.delete(key);
  if (derivedCache.size >= DERIVED_LIMIT) derivedCache.delete(derivedCache.keys().next().value as string);
  derivedCache.set(key, { text, policies: pk, result });
  result.catch(() => {
    if (derivedCache.get(key)?.result === result) derivedCache.delete(key);
  });
  return result;
}

function unreadSkip(rel: string, error: unknown): Skipped {
  // as loadFiles reports a file it cannot read
  if (error instanceof BotError) return { file: rel, code: error.code, reason: error.message };
  return { file: rel, code: 'READ_FAILED', reason: (error as Error | undefined)?.message ?? 'unreadable' };
}

/** `repo` reading each file once per clean tree, through the texts the image index keeps:
 *  the config checks that follow a status read the same track files again. Without a
 *  clean tree it reads as `repo` does. */
export function treeReader(repo: RepoFiles): RepoFiles {
  let tree: Promise<TreeIndex | undefined> | undefined;
  const index = () => (tree ??= Promise.resolve(repo.version?.()).then((v) => (v === undefined ? undefined : treeIndex(repo, v))));
  return persistLike(repo, {
    root: repo.root,
    list: () => repo.list(),
    grep: (tokens) => repo.grep(tokens),
    ...(repo.version ? { version: () => repo.version!() } : {}),
    async read(rel) {
      const t = await index();
      if (!t) return repo.read(rel);
      const r = await readFile(repo, t, rel);
      if ('text' in r) return r.text;
      throw r.error;
    },
  });
}

export interface ImageQuery {
  image: string;
  paths?: string[];
}

/** Reads and parses, in one pass, every file the questions will need: the status of all
 *  apps reads each file once with the reads overlapping, rather than app after app. The
 *  answers come from indexedImageScan as before, now from what this left behind. */
export async function prepareImageScans(repo: RepoFiles, asked: readonly ImageQuery[]): Promise<void> {
  const tree = await repo.version?.();
  if (tree === undefined || asked.length === 0) return;
  // answers kept on disk for this tree need no file at all
  const store = await treeStoreOf(repo);
  const queries = store ? asked.filter((q) => store.get('scan', scanKey(q.image, q.paths)) === undefined) : asked;
  if (queries.length === 0) return;
  const { policies } = await loadFluxPolicies(repo);
  const t = treeIndex(repo, tree);
  const files = await yamlFiles(repo, t);
  const wanted = new Map<string, string[]>();
  for (const q of queries) {
    let tokens;
    try {
      tokens = imageTokens(policies, q.image);
    } catch {
      continue; // not an image reference: indexedImageScan leaves it to the per-image scan
    }
    for (const rel of selectPaths(files, q.paths)) wanted.set(rel, [...(wanted.get(rel) ?? []), ...tokens]);
  }
  const rels = [...wanted.keys()];
  const reads = await readAll(repo, t, rels);
  const content = contentStoreOf(repo);
  for (const [i, rel] of rels.entries()) {
    const read = reads[i];
    // only what a question will parse: a text holding one of its tokens
    if ('text' in read && !read.git && wanted.get(rel)!.some((tok) => read.text.includes(tok))) await derived(repo.root, rel, read.text, policies, content);
  }
}

/** The references to `image` in the YAML files matching `paths`, as scanImageRefs finds
 *  them; undefined when the files match no clean tree (nothing may be kept) or `image`
 *  is no image reference (the per-image scan reports that as it always has). */
export async function indexedImageScan(repo: RepoFiles, image: string, paths?: string[]): Promise<ImageScan | undefined> {
  const tree = await repo.version?.();
  if (tree === undefined) return undefined;
  try {
    parseImageRef(image);
  } catch {
    return undefined;
  }
  const store = await treeStoreOf(repo);
  const key = scanKey(image, paths);
  const kept = store?.get<ImageScan>('scan', key);
  // a copy: callers own what they are given, as with a fresh scan
  if (kept) return structuredClone(kept);
  const scan = await scanTree(repo, tree, image, paths);
  store?.set('scan', key, structuredClone(scan));
  return scan;
}

function scanKey(image: string, paths: string[] | undefined): string {
  return JSON.stringify([image, paths ?? null]);
}

async function scanTree(repo: RepoFiles, tree: string, image: string, paths: string[] | undefined): Promise<ImageScan> {
  const { policies, skipped: policySkips } = await loadFluxPolicies(repo);
  const t = treeIndex(repo, tree);
  const candidates = selectPaths(await yamlFiles(repo, t), paths);
  const reads = await readAll(repo, t, candidates);
  const tokens = imageTokens(policies, image);
  let listed: Set<string> | undefined;
  const hits: Array<{ rel: string; read: Read }> = [];
  for (let i = 0; i < candidates.length; i++) {
    const read = reads[i];
    let hit = !read.git && 'text' in read && tokens.some((tok) => read.text.includes(tok));
    if (read.git) hit = (listed ??= new Set(await repo.grep(tokens))).has(candidates[i]);
    if (hit) hits.push({ rel: candidates[i], read });
  }
  const editors = editorsFor(policies);
  const content = contentStoreOf(repo);
  const matches = imageMatcher(image);
  const seen = new Set(policySkips.map((x) => x.file));
  const refs: ImageRef[] = [];
  const skipped: Skipped[] = [];
  // in batches, as the per-image scan reports them: a batch's unreadable files, then
  // what searching its files found wrong
  for (let i = 0; i < hits.length; i += READ_BATCH) {
    const batch = hits.slice(i, i + READ_BATCH);
    const found = await Promise.all(batch.map(({ rel, read }) => ('text' in read ? derived(repo.root, rel, read.text, policies, content) : undefined)));
    batch.forEach(({ rel, read }, k) => {
      const d = found[k];
      if (seen.has(rel)) return;
      if (!('text' in read)) skipped.push(unreadSkip(rel, read.error));
      else if (d?.kind === 'unparsed') skipped.push({ file: rel, code: d.code, reason: d.reason });
    });
    for (const [k, { rel, read }] of batch.entries()) {
      const d = found[k];
      if (!('text' in read) || !d || d.kind === 'unparsed') continue;
      if (d.kind === 'refs') {
        editors.forEach((e, j) => {
          const byEditor = d.byEditor[j];
          if (byEditor && e.screen(read.text, image)) for (const ref of byEditor) if (matches(ref.repository)) refs.push({ ...ref });
        });
        continue;
      }
      try {
        refs.push(...(await findFor(rel, read.text, editors, image)));
      } catch (err) {
        if (!(err instanceof BotError)) throw err;
        skipped.push({ file: rel, code: err.code, reason: err.message });
      }
    }
  }
  return { refs, skipped: [...skipped, ...policySkips] };
}

/** The per-image search of one file, for a file where searching for all images fails. */
async function findFor(rel: string, text: string, editors: ImageEditor[], image: string): Promise<ImageRef[]> {
  const file = await readManifestAsync(rel, text);
  const out: ImageRef[] = [];
  for (const e of editors) if (e.screen(text, image)) out.push(...e.find(file, image));
  return out;
}

const EXTRACT_WORDS = ['image', 'repository'];

/** Of the files holding an extract word or a policy kind, those holding an extract word
 *  and (`found`) the policy files, told apart by their texts as git searched them. With a
 *  file git may judge otherwise (unreadable here, or with a NUL), git's own search of the
 *  words decides, and the policies are searched apart. */
async function screened(repo: RepoFiles, rels: string[], reads: Read[]): Promise<{ files: string[]; reads: Read[]; found?: FoundFlux }> {
  if (reads.some((r) => !('text' in r) || r.git)) {
    const words = new Set(await repo.grep(EXTRACT_WORDS));
    return { files: rels.filter((rel) => words.has(rel)), reads: reads.filter((_, i) => words.has(rels[i])) };
  }
  const files: string[] = [];
  const kept: Read[] = [];
  const hits: string[] = [];
  const texts = new Map<string, string>();
  rels.forEach((rel, i) => {
    const text = (reads[i] as { text: string }).text;
    if (EXTRACT_WORDS.some((w) => text.includes(w))) {
      files.push(rel);
      kept.push(reads[i]);
    }
    if (FLUX_TOKENS.some((w) => text.includes(w))) {
      hits.push(rel);
      texts.set(rel, text);
    }
  });
  return { files, reads: kept, found: { hits, texts } };
}

export interface ImageExtract {
  /** Every reference, keyed by normalised repository, in file order. */
  byRepository: Map<string, ImageRef[]>;
  /** Files that could not be read or parsed, or where finding every image failed. */
  skipped: Skipped[];
  /** YAML files searched: those holding a word some image field needs. */
  files: number;
  /** The 1-based line of `offset` in `file`, a file some reference is in. */
  lineOf(file: string, offset: number): number;
}

/** Every image reference of the tree (what `images`, the status of every app and
 *  reconciliation read). A tree with changes nobody committed is read as it is, and
 *  nothing read is kept for the next question. */
export async function extractAllImages(repo: RepoFiles): Promise<ImageExtract> {
  // the listing and the search start while git says which tree the files are
  const listing = repo.list();
  const grepped = repo.grep([...EXTRACT_WORDS, ...FLUX_TOKENS]);
  listing.catch(() => undefined);
  grepped.catch(() => undefined);
  const tree = await repo.version?.();
  const t: TreeIndex = tree === undefined ? { tree: '', reads: new Map() } : treeIndex(repo, tree);
  // Every editor's screen asks for one of these words (`image`, `images`, `$imagepolicy`;
  // Helm values' `repository`): git finds the files holding them faster than reading all.
  // The same search finds the Flux policy files, whose texts decide which is which.
  const [listed, yaml] = await Promise.all([grepped.then((l) => new Set(l)), yamlFiles(repo, t, () => listing)]);
  const both = yaml.filter((rel) => listed.has(rel));
  const { files, reads, found } = await screened(repo, both, await readAll(repo, t, both));
  const { policies, skipped } = await loadFluxPolicies(repo, found);
  const editors = editorsFor(policies);
  const byRepository = new Map<string, ImageRef[]>();
  const out: Skipped[] = [...skipped];
  const texts = new Map<string, string>();
  // a fleet names each repository several times
  const normalized = new Map<string, string>();
  for (let i = 0; i < files.length; i += READ_BATCH) {
    const batch = files.slice(i, i + READ_BATCH).map((rel, k) => ({ rel, read: reads[i + k] }));
    const found = await Promise.all(
      batch.map(({ rel, read }) => ('text' in read && editors.some((e) => e.screen(read.text)) ? derived(repo.root, rel, read.text, policies) : undefined)),
    );
    batch.forEach(({ rel, read }, k) => {
      const d = found[k];
      if (!('text' in read)) {
        if (read.git) out.push(unreadSkip(rel, read.error));
      } else if (d && d.kind !== 'refs') {
        out.push({ file: rel, code: d.code, reason: d.reason });
      } else if (d) {
        if (d.byEditor.some((r) => r && r.length > 0)) texts.set(rel, read.text);
        for (const ref of d.byEditor.flatMap((r) => r ?? [])) {
          let key = normalized.get(ref.repository);
          if (key === undefined) normalized.set(ref.repository, (key = normalizeRepository(ref.repository)));
          const list = byRepository.get(key);
          if (list) list.push(ref);
          else byRepository.set(key, [ref]);
        }
      }
    });
  }
  const lines = new Map<string, (offset: number) => number>();
  const lineOf = (file: string, offset: number): number => {
    let of = lines.get(file);
    if (!of) lines.set(file, (of = lineIndex(texts.get(file) ?? '')));
    return of(offset);
  };
  return { byRepository, skipped: out, files: files.length, lineOf };
}
