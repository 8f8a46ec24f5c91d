// Finding the files worth parsing. Large repos are screened with a cheap substring
// search before anything is parsed (as Flux's image-automation filereader does), and a
// file that fails to parse is recorded and skipped instead of failing the run.
import picomatch from 'picomatch';
import { BotError } from '../errors.ts';
import type { Skipped } from '../plan.ts';
import { collectFluxPolicies, type FluxPolicy } from './flux-policies.ts';
import { parseManifest } from './parse.ts';
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

/** Parses the YAML files that contain any token (and match the path filter). */
export async function loadScreened(repo: RepoFiles, tokens: string[], include: (rel: string) => boolean): Promise<Loaded> {
  const hits = (await repo.grep(tokens)).filter((rel) => YAML_FILE.test(rel) && include(rel)).sort();
  return loadFiles(repo, hits);
}

export async function loadFiles(repo: RepoFiles, rels: string[]): Promise<Loaded> {
  const files: ManifestFile[] = [];
  const skipped: Skipped[] = [];
  for (const rel of rels) {
    let text: string;
    try {
      text = await repo.read(rel);
    } catch (err) {
      skipped.push({ file: rel, code: 'READ_FAILED', reason: (err as Error).message });
      continue;
    }
    try {
      files.push(parseManifest(rel, text));
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      skipped.push({ file: rel, code: err.code, reason: err.message });
    }
  }
  return { files, skipped };
}

/** Every Flux ImagePolicy in the repo, resolved to its image repository and filter. */
export async function loadFluxPolicies(repo: RepoFiles): Promise<{ policies: Map<string, FluxPolicy>; skipped: Skipped[] }> {
  const { files, skipped } = await loadScreened(repo, ['ImagePolicy', 'ImageRepository'], () => true);
  return { policies: collectFluxPolicies(files), skipped };
}

/** The last path segment of an image repository: a token every reference to it contains. */
export function screenToken(repository: string): string {
  return repository.split('/').pop() ?? repository;
}
