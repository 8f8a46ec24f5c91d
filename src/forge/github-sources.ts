// An app repo's releases and tags, read for reconciliation with conditional requests:
// GitHub answers 304 to an unchanged list and does not count it against the rate limit,
// so looking every few minutes at a quiet source costs nothing. One page (the newest 100)
// of each is enough: reconciliation wants the newest tag of each track.
import type { ProbotOctokit } from 'probot';
import { ForgeError } from '../errors.ts';
import { mergeSourceTags, type RepoId, type SourceTag, type SourceTags } from './types.ts';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** What a conditional GET last returned, by request; kept for the process's life. */
export type ConditionalCache = Map<string, { etag: string; data: unknown }>;

const CACHE_LIMIT = 10_000;

interface Fetched<T> {
  data: T;
  changed: boolean;
}

async function conditional<T>(cache: ConditionalCache, key: string, what: string, get: (headers: Record<string, string>) => Promise<{ data: T; headers: { etag?: string } }>): Promise<Fetched<T> | null> {
  const hit = cache.get(key);
  try {
    const r = await get(hit ? { 'if-none-match': hit.etag } : {});
    if (r.headers.etag) {
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      cache.set(key, { etag: r.headers.etag, data: r.data });
    }
    return { data: r.data, changed: true };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 304 && hit) return { data: hit.data as T, changed: false };
    if (status === 404) return null;
    const message = (err as { response?: { data?: { message?: string } } }).response?.data?.message ?? (err as Error).message;
    throw new ForgeError(`FORGE_HTTP_${status ?? 'ERROR'}`, `GitHub ${what} failed${status ? ` (${status})` : ''}: ${message}`, {}, {
      transient: status === undefined || status >= 500 || status === 429 || status === 403,
      cause: err,
    });
  }
}

export async function listSourceTags(octokit: Octokit, cache: ConditionalCache, repo: RepoId): Promise<SourceTags | null> {
  const base = { owner: repo.owner, repo: repo.name, per_page: 100 };
  const key = `${repo.owner}/${repo.name}`.toLowerCase();
  const releases = await conditional(cache, `${key} releases`, `list releases of ${key}`, (headers) => octokit.rest.repos.listReleases({ ...base, headers }));
  if (!releases) return null;
  const tags = await conditional(cache, `${key} tags`, `list tags of ${key}`, (headers) => octokit.rest.repos.listTags({ ...base, headers }));
  const fromReleases: SourceTag[] = releases.data.filter((r) => !r.draft).map((r) => ({ tag: r.tag_name, release: true, prerelease: r.prerelease }));
  const fromTags: SourceTag[] = (tags?.data ?? []).map((t) => ({ tag: t.name, release: false, prerelease: false }));
  return { tags: mergeSourceTags(fromReleases, fromTags), changed: releases.changed || (tags?.changed ?? false) };
}
