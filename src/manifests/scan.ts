// Finding the files worth parsing. Large repos are screened with a cheap substring
// search before anything is parsed (as Flux's image-automation filereader does), and a
// file that fails to parse is recorded and skipped instead of failing the run.
import picomatch from 'picomatch';
import { BotError } from '../errors.ts';
import { normalizeRepository } from '../policy/image.ts';
import type { Skipped } from '../plan.ts';
import { hash } from 'node:crypto';
import { collectFluxPolicies, fluxDocsOf, type FluxDocs, type FluxPolicy } from './flux-policies.ts';
import { parseManifestAsync, readManifest } from './parse.ts';
import type { RepoFiles } from './files.ts';
import { YAML_FILE } from './files.ts';
import type { ManifestFile } from './types.ts';
import { contentStoreOf, treeStoreOf, type TreeStore } from './tree-store.ts';
import { screenStep } from '../git/screen-cache.ts';

export interface Loaded {
  files: ManifestFile[];
  skipped: Skipped[];
}

/** A predicate for repo-relative paths from glob patterns; undefined patterns match all. */
export function pathFilter(globs: string[] | undefined): (rel: string) => boolean {
  if (!globs || globs.length === 0) return () => true;
  const m = picomatch(globs, { dot: true });
  return (rel) => m(rel);
}

// Compiling a glob costs more than testing a thousand paths with it, and every app asks
// with the same few globs on every event.
const MATCHER_LIMIT = 10_000;
const matchers = new Map<string, (rel: string) => boolean>();

function cachedFilter(globs: string[]): (rel: string) => boolean {
  const key = globs.join('\0');
  let m = matchers.get(key);
  if (!m) {
    m = pathFilter(globs);
    if (matchers.size >= MATCHER_LIMIT) matchers.delete(matchers.keys().next().value as string);
    matchers.set(key, m);
  }
  return m;
}

// A literal directory or file a glob cannot match outside of: only characters picomatch
// takes as themselves (it reads `|`, `$`, `^` and the like as regex or glob syntax in
// places), no `./` prefix or negation, and no empty, `.` or `..` segment.
const LITERAL_BASE = /^[A-Za-z0-9._~/-]+$/;
// ... and a rest of segment wildcards only: `|` or an extglob could match beside the base
const PLAIN_GLOB = /^[A-Za-z0-9._~/*?{},[\]-]*$/;

/** The literal directory (or file) a glob stays under, and what it takes there: a plain
 *  path only itself (`file`), `dir/**` the directory and everything below it (`tree`),
 *  anything else what its matcher says among the paths there (`glob`). */
type Literal = { base: string; kind: 'file' | 'tree' | 'glob' };

function literalBase(glob: string): Literal | undefined {
  const scanned = picomatch.scan(glob);
  if (!PLAIN_GLOB.test(glob) || scanned.prefix !== '' || scanned.negated || scanned.negatedExtglob || !LITERAL_BASE.test(scanned.base)) return undefined;
  if (scanned.base.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) return undefined;
  return { base: scanned.base, kind: scanned.glob === '' ? 'file' : scanned.glob === '**' ? 'tree' : 'glob' };
}

const literals = new Map<string, Literal | undefined>();

function literalOf(glob: string): Literal | undefined {
  if (!literals.has(glob)) {
    if (literals.size >= MATCHER_LIMIT) literals.delete(literals.keys().next().value as string);
    literals.set(glob, literalBase(glob));
  }
  return literals.get(glob);
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The paths of `sorted` (ascending, as `<` orders strings) that `globs` match: the same
 *  answer as filtering with pathFilter, but a glob under a literal directory only tests
 *  the paths beneath it, so a thousand apps' paths cost a lookup each, not a pass over
 *  the whole tree each. */
export function selectPaths(sorted: readonly string[], globs: string[] | undefined): string[] {
  if (!globs || globs.length === 0) return [...sorted];
  const literal = globs.map(literalOf);
  if (literal.some((l) => l === undefined)) return sorted.filter(cachedFilter(globs));
  const picked = new Set<number>();
  for (const { base, kind } of literal as Literal[]) {
    const exact = lowerBound(sorted, base);
    if (sorted[exact] === base) picked.add(exact);
    if (kind === 'file') continue;
    // '0' follows '/': [base/, base0) holds exactly the paths below base
    for (let i = lowerBound(sorted, `${base}/`), end = lowerBound(sorted, `${base}0`); i < end; i++) picked.add(i);
  }
  const out = [...picked].sort((a, b) => a - b).map((i) => sorted[i]);
  return literal.some((l) => l!.kind === 'glob') ? out.filter(cachedFilter(globs)) : out;
}

// The same file list is asked about once per app: sort it and number its paths once.
const orders = new WeakMap<readonly string[], { sorted: string[]; position: Map<string, number> }>();

/** Each path of `files` with its position in it (the first, should one repeat). */
export function pathPositions(files: readonly string[]): Map<string, number> {
  return orderOf(files).position;
}

function orderOf(files: readonly string[]): { sorted: string[]; position: Map<string, number> } {
  let o = orders.get(files);
  if (!o) {
    const position = new Map<string, number>();
    files.forEach((f, i) => position.has(f) || position.set(f, i));
    o = { sorted: [...position.keys()].sort(), position };
    orders.set(files, o);
  }
  return o;
}

/** The paths of `files` (in any order) that any of `globs` matches, in the order of
 *  `files`; none for no globs. selectPaths for a list that is not sorted. */
export function selectPathsIn(files: readonly string[], globs: readonly string[]): string[] {
  if (globs.length === 0) return [];
  const { sorted, position } = orderOf(files);
  return selectPaths(sorted, [...globs]).sort((a, b) => position.get(a)! - position.get(b)!);
}

/** Reads files a batch at a time: the reads overlap, but a huge hit list cannot open
 *  thousands of descriptors at once. */
const READ_BATCH = 32;

async function readAll(repo: RepoFiles, rels: string[]): Promise<Array<{ rel: string; text?: string; error?: Error }>> {
  const out: Array<{ rel: string; text?: string; error?: Error }> = [];
  for (let i = 0; i < rels.length; i += READ_BATCH) {
    const batch = rels.slice(i, i + READ_BATCH);
    out.push(...(await Promise.all(batch.map((rel) => repo.read(rel).then((text) => ({ rel, text }), (error: Error) => ({ rel, error }))))));
  }
  return out;
}

export async function loadFiles(repo: RepoFiles, rels: string[], parse: (rel: string, text: string) => ManifestFile | Promise<ManifestFile> = parseManifestAsync): Promise<Loaded> {
  const files: ManifestFile[] = [];
  const skipped: Skipped[] = [];
  for (const { rel, text, error } of await readAll(repo, rels)) {
    if (text === undefined) {
      // Refusals (FILE_TOO_LARGE, FILE_NOT_REGULAR, …) keep their code; their message names the file.
      if (error instanceof BotError) skipped.push({ file: rel, code: error.code, reason: error.message });
      else skipped.push({ file: rel, code: 'READ_FAILED', reason: error?.message ?? 'unreadable' });
      continue;
    }
    try {
      files.push(await parse(rel, text));
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      skipped.push({ file: rel, code: err.code, reason: err.message });
    }
  }
  return { files, skipped };
}

// Flux image objects change rarely but are needed for every event: keep what each text
// gave and reuse it while the text is unchanged (the text is re-read every time, so the
// cache can never serve stale content). The documents themselves are not kept: nodes the
// quick reader made and that live on teach V8 to allocate every later node of that reader
// in the old generation (allocation-site pretenuring), which made the garbage of finding
// the images of 5,000 files survive every scavenge (0.1 s of collections per extract).
const POLICY_CACHE_LIMIT = 5000;
const policyDocs = new Map<string, { text: string; docs: FluxDocs }>();

function fluxDocsCached(root: string, rel: string, text: string): FluxDocs {
  const key = `${root}\0${rel}`;
  const hit = policyDocs.get(key);
  if (hit && hit.text === text) return hit.docs;
  const docs = fluxDocsOf(readManifest(rel, text));
  if (policyDocs.size >= POLICY_CACHE_LIMIT) policyDocs.delete(policyDocs.keys().next().value as string);
  policyDocs.set(key, { text, docs });
  return docs;
}

type Policies = { policies: Map<string, FluxPolicy>; skipped: Skipped[] };
const byVersion = new Map<string, { version: string; result: Policies }>();

/** Every Flux ImagePolicy in the repo, resolved to its image repository and filter.
 *  Cached per clean tree: on an unchanged repo the second event needs no search at all. */
export async function loadFluxPolicies(repo: RepoFiles, found?: FoundFlux): Promise<Policies> {
  const version = await repo.version?.();
  const hit = byVersion.get(repo.root);
  if (version !== undefined && hit?.version === version) return hit.result;
  const store = await treeStoreOf(repo);
  let result = store?.get<Policies>('flux', '');
  if (!result) {
    result = await searchFluxPolicies(repo, version, found);
    store?.set('flux', '', result);
  }
  if (version !== undefined) byVersion.set(repo.root, { version, result });
  return result;
}

/** What a policy file must hold (git's search for it is a screen, not a verdict). */
export const FLUX_TOKENS = ['ImagePolicy', 'ImageRepository'];

/** The search's answer, when the caller searched the tree for these tokens itself: the
 *  YAML files holding one of them (as `git grep` lists them), with their texts. */
export interface FoundFlux {
  hits: string[];
  texts: ReadonlyMap<string, string>;
}

type KeptFlux = FluxDocs | { skip: { code: string; reason: string } };
/** What one policy file gave, and the key of its text in the content store (when kept). */
type FluxFile = { kept: KeptFlux; key?: string };

// Per checkout, what each policy file of the tree searched last gave: the next tree
// re-reads only the files the screen re-checked on its way there (screenStep), so a
// commit costs the files it changed, not every policy file of the repo. The CLI keeps
// the same per tree in the content store, as the path and content key of each file.
const FLUX_TREES_LIMIT = 256;
const fluxTrees = new Map<string, { tree: string; files: Map<string, FluxFile> }>();
interface KeptFluxTree {
  tree: string;
  files: Array<[string, string]>;
}

async function searchFluxPolicies(repo: RepoFiles, version: string | undefined, found?: FoundFlux): Promise<Policies> {
  const hits = found ? [...found.hits].sort() : (await repo.grep(FLUX_TOKENS)).filter((rel) => YAML_FILE.test(rel)).sort();
  const content = contentStoreOf(repo);
  const earlier = version === undefined ? undefined : carriedFluxFiles(repo, content, version);
  const files = new Map<string, FluxFile>();
  const fresh: string[] = [];
  for (const rel of hits) {
    const f = earlier?.(rel);
    if (f) files.set(rel, f);
    else fresh.push(rel);
  }
  const read = found ? fresh.map((rel) => ({ rel, text: found.texts.get(rel), error: undefined })) : await readAll(repo, fresh);
  for (const { rel, text, error } of read) {
    // read failures as loadFiles reports them
    if (text === undefined) files.set(rel, { kept: { skip: readFailure(error) } });
    else files.set(rel, fluxFileOf(repo, content, rel, text));
  }
  const docs: FluxDocs[] = [];
  const skipped: Skipped[] = [];
  for (const rel of hits) {
    const { kept } = files.get(rel)!;
    if ('skip' in kept) skipped.push({ file: rel, ...kept.skip });
    else docs.push(kept);
  }
  if (version !== undefined) {
    fluxTrees.delete(repo.root);
    if (fluxTrees.size >= FLUX_TREES_LIMIT) fluxTrees.delete(fluxTrees.keys().next().value as string);
    fluxTrees.set(repo.root, { tree: version, files });
    const keys = [...files].flatMap(([rel, f]): Array<[string, string]> => (f.key ? [[rel, f.key]] : []));
    content?.set('fluxTree', '', { tree: version, files: keys } satisfies KeptFluxTree);
  }
  return { policies: collectFluxPolicies(docs), skipped };
}

function readFailure(error: Error | undefined): { code: string; reason: string } {
  // Refusals (FILE_TOO_LARGE, FILE_NOT_REGULAR, …) keep their code; their message names the file.
  if (error instanceof BotError) return { code: error.code, reason: error.message };
  return { code: 'READ_FAILED', reason: error?.message ?? 'unreadable' };
}

/** What a policy file gives; with a content store, kept there by content, so a cold
 *  process parses only the policy files that changed. */
function fluxFileOf(repo: RepoFiles, content: TreeStore | undefined, rel: string, text: string): FluxFile {
  const key = content && `${rel}\0${hash('sha256', text, 'base64')}`;
  let kept = key === undefined ? undefined : content!.get<KeptFlux>('flux', key);
  if (!kept) {
    try {
      kept = fluxDocsCached(repo.root, rel, text);
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      kept = { skip: { code: err.code, reason: err.message } };
    }
    if (key !== undefined) content!.set('flux', key, kept);
  }
  return key === undefined ? { kept } : { kept, key };
}

/** For a file of the tree `version` that the policy screen did not re-check on its way
 *  from the tree searched before (so its text is the same), what it gave there; undefined
 *  for every file when the screen searched afresh or came from another tree. */
function carriedFluxFiles(repo: RepoFiles, content: TreeStore | undefined, version: string): ((rel: string) => FluxFile | undefined) | undefined {
  const step = screenStep(repo.root, FLUX_TOKENS);
  if (!step || step.to !== version) return undefined;
  // what was kept of the tree the screen came from holds for the files it did not
  // re-check, and what was kept of this very tree for all of its files
  const unchanged = (tree: string) => (tree === version ? new Set<string>() : tree === step.from ? new Set(step.changed) : undefined);
  const mine = fluxTrees.get(repo.root);
  const mineChanged = mine && unchanged(mine.tree);
  if (mine && mineChanged) return (rel) => (mineChanged.has(rel) ? undefined : mine.files.get(rel));
  const kept = content?.get<KeptFluxTree>('fluxTree', '');
  if (!validFluxTree(kept)) return undefined;
  const changed = unchanged(kept.tree);
  if (!changed) return undefined;
  const keys = new Map(kept.files);
  return (rel) => {
    const key = changed.has(rel) ? undefined : keys.get(rel);
    // a key names its file: a record pointing a file at another file's objects is ignored
    const docs = key?.startsWith(`${rel}\0`) ? content!.get<KeptFlux>('flux', key) : undefined;
    return docs && key ? { kept: docs, key } : undefined;
  };
}

function validFluxTree(x: unknown): x is KeptFluxTree {
  const t = x as Partial<KeptFluxTree> | undefined;
  return !!t && typeof t.tree === 'string' && Array.isArray(t.files) && t.files.every((f) => Array.isArray(f) && f.length === 2 && typeof f[0] === 'string' && typeof f[1] === 'string');
}

/** Forgets the policy files carried between trees (tests run several "processes" in one). */
export function forgetFluxTrees(): void {
  fluxTrees.clear();
  byVersion.clear();
}

/** The last path segment of an image repository: a token every reference to it contains. */
export function screenToken(repository: string): string {
  return repository.split('/').pop() ?? repository;
}

/** What a file must contain to hold a reference to `image`: its last path segment, or
 *  the id of an ImagePolicy of it (a marked `newTag:` names the policy, not the image). */
export function imageTokens(policies: ReadonlyMap<string, FluxPolicy>, image: string): string[] {
  const tokens = [screenToken(image)];
  if (policies.size === 0) return tokens;
  const want = normalizeRepository(image);
  if (!idsByRepository.has(policies) && !askedOnce.has(policies)) {
    askedOnce.add(policies);
    tokens.push(...idsNaming(policies, want));
  } else tokens.push(...(policyIds(policies).get(want) ?? []));
  return tokens;
}

// Every app asks which policies name its image: normalise each policy's repository once.
const idsByRepository = new WeakMap<ReadonlyMap<string, FluxPolicy>, Map<string, string[]>>();
// ... but a CLI run asks for one image: the first question normalises only the policies
// that can name it (normalising keeps the repository's last path segment as written)
const askedOnce = new WeakSet<ReadonlyMap<string, FluxPolicy>>();

function idsNaming(policies: ReadonlyMap<string, FluxPolicy>, normalized: string): string[] {
  const last = screenToken(normalized);
  const ids: string[] = [];
  for (const [id, p] of policies) if (p.repository.includes(last) && normalizeRepository(p.repository) === normalized) ids.push(id);
  return ids;
}

function policyIds(policies: ReadonlyMap<string, FluxPolicy>): Map<string, string[]> {
  let ids = idsByRepository.get(policies);
  if (!ids) {
    ids = new Map();
    for (const [id, p] of policies) {
      const key = normalizeRepository(p.repository);
      ids.set(key, [...(ids.get(key) ?? []), id]);
    }
    idsByRepository.set(policies, ids);
  }
  return ids;
}
