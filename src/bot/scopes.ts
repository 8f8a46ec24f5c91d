// Scopes for the two ways the bot runs. GitHub mode: an installation's Octokit, its
// token, and the config repos it reaches. Local mode: one repo on disk, no API.
import type { Context } from 'probot';
import { CONFIG_FILES } from '../config/index.ts';
import { GitHubForge } from '../forge/github.ts';
import { newSourceReadState, type SourceReadState } from '../forge/github-sources.ts';
import { LocalForge } from '../forge/local.ts';
import { parseRepoName, repoName } from '../forge/types.ts';
import type { ConfigRepo, Scope } from './types.ts';

type Octokit = Context['octokit'];

/** Per-process memory of the GitHub scope, owned by the runtime (never module-global, so
 *  two apps in one process never share it). Which repos of an installation have a config
 *  file is cached briefly: listing repos and probing files on every event would spend the
 *  rate limit for nothing. Installation tokens are reused until shortly before expiry. */
export interface ScopeCache {
  discovered: Map<number, { at: number; repos: ConfigRepo[] }>;
  tokens: Map<number, { token: string; expiresAt: number }>;
  /** Look-ups in flight, by installation: a burst of events shares one instead of each
   *  listing the repos (and minting a token) again. Dropped when they settle. */
  pending: Map<string, Promise<unknown>>;
  /** Per installation: answers to conditional source reads, and rate-limit backoff. */
  sources: Map<number, SourceReadState>;
}

export function newScopeCache(): ScopeCache {
  return { discovered: new Map(), tokens: new Map(), sources: new Map(), pending: new Map() };
}

const DISCOVERY_TTL_MS = 5 * 60_000;
const TOKEN_MARGIN_MS = 5 * 60_000;

async function hasConfig(octokit: Octokit, owner: string, repo: string): Promise<boolean> {
  for (const file of CONFIG_FILES) {
    try {
      await octokit.rest.repos.getContent({ owner, repo, path: file });
      return true;
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
  }
  return false;
}

/** One look-up at a time per key: callers arriving meanwhile await the same promise. A
 *  failure is not kept, so the next caller asks again. */
function shared<T>(cache: ScopeCache, key: string, run: () => Promise<T>): Promise<T> {
  const inFlight = cache.pending.get(key) as Promise<T> | undefined;
  if (inFlight) return inFlight;
  const p = run().finally(() => cache.pending.delete(key));
  cache.pending.set(key, p);
  return p;
}

function sourceState(cache: ScopeCache, installation: number): SourceReadState {
  let state = cache.sources.get(installation);
  if (!state) cache.sources.set(installation, (state = newSourceReadState()));
  return state;
}

export function githubScope(context: Context, opts: { configRepos?: string[]; cache: ScopeCache; now?: () => number }): Scope {
  const { discovered, tokens } = opts.cache;
  const octokit = context.octokit;
  const installation = (context.payload as { installation?: { id: number } }).installation?.id ?? 0;
  const now = opts.now ?? Date.now;
  const listed = opts.configRepos?.length ? new Set(opts.configRepos.map((r) => r.toLowerCase())) : null;

  async function configRepos(): Promise<ConfigRepo[]> {
    if (listed) {
      const out: ConfigRepo[] = [];
      for (const name of listed) {
        const id = parseRepoName(name);
        const { data } = await octokit.rest.repos.get({ owner: id.owner, repo: id.name });
        out.push({ id: { owner: data.owner.login, name: data.name }, cloneUrl: data.clone_url, htmlUrl: data.html_url });
      }
      return out;
    }
    const cached = discovered.get(installation);
    if (cached && now() - cached.at < DISCOVERY_TTL_MS) return cached.repos;
    return shared(opts.cache, `discover ${installation}`, async () => {
      const all = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
      const repos: ConfigRepo[] = [];
      for (const r of all) {
        if (await hasConfig(octokit, r.owner.login, r.name)) repos.push({ id: { owner: r.owner.login, name: r.name }, cloneUrl: r.clone_url, htmlUrl: r.html_url });
      }
      discovered.set(installation, { at: now(), repos });
      return repos;
    });
  }

  return {
    forge: new GitHubForge(octokit, sourceState(opts.cache, installation)),
    log: context.log,
    async token() {
      // Not octokit.auth(): on a cold cache Probot's auth strategy asks api.github.com,
      // ignoring GHE's base URL. The request hook signs this call with the app JWT and
      // sends it to the configured host.
      const cached = tokens.get(installation);
      if (cached && cached.expiresAt - TOKEN_MARGIN_MS > now()) return cached.token;
      return shared(opts.cache, `token ${installation}`, async () => {
        const { data } = await octokit.rest.apps.createInstallationAccessToken({ installation_id: installation });
        tokens.set(installation, { token: data.token, expiresAt: Date.parse(data.expires_at) });
        return data.token;
      });
    },
    configRepos,
    async configRepoFor(repository) {
      const id = parseRepoName(repository.full_name);
      if (listed) return listed.has(repoName(id).toLowerCase()) ? { id, cloneUrl: repository.clone_url, htmlUrl: (repository as { html_url?: string }).html_url } : null;
      return (await hasConfig(octokit, id.owner, id.name)) ? { id, cloneUrl: repository.clone_url, htmlUrl: (repository as { html_url?: string }).html_url } : null;
    },
  };
}

export const LOCAL_REPO_ID = { owner: 'local', name: 'config-repo' };

/** `forge`: one LocalForge for the process, so it remembers what each source looked like. */
export function localScope(context: Context, repoDir: string, forge: LocalForge = new LocalForge(context.log)): Scope {
  const repo: ConfigRepo = { id: LOCAL_REPO_ID, cloneUrl: repoDir };
  return {
    forge,
    log: context.log,
    token: async () => undefined,
    configRepos: async () => [repo],
    configRepoFor: async () => repo,
  };
}
