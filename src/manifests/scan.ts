// Finding the files worth parsing. Large repos are screened with a cheap substring
// search before anything is parsed (as Flux's image-automation filereader does), and a
// file that fails to parse is recorded and skipped instead of failing the run.
import picomatch from 'picomatch';
import { BotError } from '../errors.ts';
import type { Skipped } from '../plan.ts';
import { collectFluxPolicies, type FluxPolicy } from './flux-policies.ts';
import { parseManifest, parseManifestAsync } from './parse.ts';
import type { RepoFiles } from './files.ts';
import { YAML_FILE } from './files.ts';
import type { ManifestFile } from './types.ts';

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

// Flux image objects change rarely but are needed for every event: keep their parsed
// files and reuse them while the text is unchanged (the text is re-read every time, so
// the cache can never serve stale content).
const POLICY_CACHE_LIMIT = 5000;
const policyFiles = new Map<string, ManifestFile>();

function parseCached(root: string) {
  return (rel: string, text: string): ManifestFile => {
    const key = `${root}\0${rel}`;
    const hit = policyFiles.get(key);
    if (hit && hit.text === text) return hit;
    const file = parseManifest(rel, text);
    if (policyFiles.size >= POLICY_CACHE_LIMIT) policyFiles.delete(policyFiles.keys().next().value as string);
    policyFiles.set(key, file);
    return file;
  };
}

type Policies = { policies: Map<string, FluxPolicy>; skipped: Skipped[] };
const byVersion = new Map<string, { version: string; result: Policies }>();

/** Every Flux ImagePolicy in the repo, resolved to its image repository and filter.
 *  Cached per clean tree: on an unchanged repo the second event needs no search at all. */
export async function loadFluxPolicies(repo: RepoFiles): Promise<Policies> {
  const version = await repo.version?.();
  const hit = byVersion.get(repo.root);
  if (version !== undefined && hit?.version === version) return hit.result;
  const result = await searchFluxPolicies(repo);
  if (version !== undefined) byVersion.set(repo.root, { version, result });
  return result;
}

async function searchFluxPolicies(repo: RepoFiles): Promise<Policies> {
  const hits = (await repo.grep(['ImagePolicy', 'ImageRepository'])).filter((rel) => YAML_FILE.test(rel)).sort();
  const { files, skipped } = await loadFiles(repo, hits, parseCached(repo.root));
  return { policies: collectFluxPolicies(files), skipped };
}

/** The last path segment of an image repository: a token every reference to it contains. */
export function screenToken(repository: string): string {
  return repository.split('/').pop() ?? repository;
}
