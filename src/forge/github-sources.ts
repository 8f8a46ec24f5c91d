// An app repo's releases and tags, read for reconciliation with conditional requests:
// GitHub answers 304 to an unchanged list and does not count it against the rate limit,
// so looking every few minutes at a quiet source costs nothing. One page (the newest 100)
// of each is enough: reconciliation wants the newest tag of each track.
//
// Reconciling is never urgent, events are: when the installation's rate limit runs low
// (or GitHub says to wait), source reads stop until the reset GitHub names, leaving what
// is left to the events' pull requests and merges.
import type { ProbotOctokit } from 'probot';
import { ForgeError } from '../errors.ts';
import { mergeSourceTags, type RepoId, type SourceTag, type SourceTags } from './types.ts';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** What source reads of one installation remember across passes. */
export interface SourceReadState {
  /** What a conditional GET last returned, by request. */
  conditional: Map<string, { etag: string; data: unknown }>;
  /** No source read before this time (epoch ms): the rate limit is low or spent. */
  backoffUntil?: number;
  /** Why, for the message. */
  backoffReason?: string;
}

export function newSourceReadState(): SourceReadState {
  return { conditional: new Map() };
}

const CACHE_LIMIT = 10_000;
/** Below this share of the hourly limit, reconciliation stops reading until the reset. */
const RESERVE = 0.1;

interface Fetched<T> {
  data: T;
  changed: boolean;
}

type Headers = Record<string, string | number | undefined>;

/** Watches the rate-limit headers of every answer (304s carry them too). */
function observe(state: SourceReadState, headers: Headers | undefined, now: number): void {
  const remaining = Number(headers?.['x-ratelimit-remaining']);
  const limit = Number(headers?.['x-ratelimit-limit']);
  const reset = Number(headers?.['x-ratelimit-reset']) * 1000;
  if (Number.isFinite(remaining) && Number.isFinite(limit) && limit > 0 && remaining < limit * RESERVE && Number.isFinite(reset) && reset > now) {
    state.backoffUntil = reset;
    state.backoffReason = `${remaining} of ${limit} requests left`;
  }
}

function backoffFor(state: SourceReadState, status: number | undefined, headers: Headers | undefined, now: number): void {
  if (status !== 403 && status !== 429) return;
  const retryAfter = Number(headers?.['retry-after']);
  const reset = Number(headers?.['x-ratelimit-reset']) * 1000;
  const until = Number.isFinite(retryAfter) ? now + retryAfter * 1000 : Number.isFinite(reset) ? reset : undefined;
  if (until !== undefined && until > now) {
    state.backoffUntil = until;
    state.backoffReason = status === 429 ? 'GitHub asked to slow down (429)' : 'rate limit exceeded (403)';
  }
}

async function conditional<T>(state: SourceReadState, key: string, what: string, get: (headers: Record<string, string>) => Promise<{ data: T; headers: Headers }>): Promise<Fetched<T> | null> {
  const cache = state.conditional;
  const hit = cache.get(key);
  try {
    const r = await get(hit ? { 'if-none-match': hit.etag } : {});
    observe(state, r.headers, Date.now());
    if (typeof r.headers.etag === 'string') {
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      cache.set(key, { etag: r.headers.etag, data: r.data });
    }
    return { data: r.data, changed: true };
  } catch (err) {
    const status = (err as { status?: number }).status;
    const headers = (err as { response?: { headers?: Headers } }).response?.headers;
    observe(state, headers, Date.now());
    if (status === 304 && hit) return { data: hit.data as T, changed: false };
    if (status === 404) return null;
    backoffFor(state, status, headers, Date.now());
    const message = (err as { response?: { data?: { message?: string } } }).response?.data?.message ?? (err as Error).message;
    throw new ForgeError(`FORGE_HTTP_${status ?? 'ERROR'}`, `GitHub ${what} failed${status ? ` (${status})` : ''}: ${message}`, {}, {
      transient: status === undefined || status >= 500 || status === 429 || status === 403,
      cause: err,
    });
  }
}

function checkBackoff(state: SourceReadState, now: number): void {
  if (state.backoffUntil === undefined) return;
  if (now >= state.backoffUntil) {
    state.backoffUntil = undefined;
    return;
  }
  throw new ForgeError('FORGE_RATE_LIMIT_BACKOFF', `not reading sources until ${new Date(state.backoffUntil).toISOString()}: ${state.backoffReason}; the rest is kept for events`, {}, { transient: true });
}

export async function listSourceTags(octokit: Octokit, state: SourceReadState, repo: RepoId): Promise<SourceTags | null> {
  checkBackoff(state, Date.now());
  const base = { owner: repo.owner, repo: repo.name, per_page: 100 };
  const key = `${repo.owner}/${repo.name}`.toLowerCase();
  const releases = await conditional(state, `${key} releases`, `list releases of ${key}`, (headers) => octokit.rest.repos.listReleases({ ...base, headers }));
  if (!releases) return null;
  const tags = await conditional(state, `${key} tags`, `list tags of ${key}`, (headers) => octokit.rest.repos.listTags({ ...base, headers }));
  const fromReleases: SourceTag[] = releases.data.filter((r) => !r.draft).map((r) => ({ tag: r.tag_name, release: true, prerelease: r.prerelease }));
  const fromTags: SourceTag[] = (tags?.data ?? []).map((t) => ({ tag: t.name, release: false, prerelease: false }));
  return { tags: mergeSourceTags(fromReleases, fromTags), changed: releases.changed || (tags?.changed ?? false) };
}

/** A container package's tags through the Packages API (the org's, else the user's), for
 *  ghcr.io images of the installation: no registry credentials needed, and the same
 *  conditional reads and backoff as the source repos. */
export async function listPackageTags(octokit: Octokit, state: SourceReadState, owner: string, name: string): Promise<SourceTags | null> {
  checkBackoff(state, Date.now());
  const key = `${owner}/${name}`.toLowerCase();
  const base = { package_type: 'container' as const, package_name: name, per_page: 100 };
  const versions =
    (await conditional(state, `${key} package (org)`, `list versions of package ${key}`, (headers) => octokit.rest.packages.getAllPackageVersionsForPackageOwnedByOrg({ ...base, org: owner, headers }))) ??
    (await conditional(state, `${key} package (user)`, `list versions of package ${key}`, (headers) => octokit.rest.packages.getAllPackageVersionsForPackageOwnedByUser({ ...base, username: owner, headers })));
  if (!versions) return null;
  const tags = versions.data.flatMap((v) => v.metadata?.container?.tags ?? []).map((tag): SourceTag => ({ tag, release: false, prerelease: false }));
  return { tags, changed: versions.changed };
}
