// The seams between the Probot handlers and the bot's jobs: where config repos come
// from, which forge answers, and the shared services every event uses.
import type { Forge, RepoId } from '../forge/types.ts';
import type { AppNotify, Notice } from '../notify/index.ts';
import type { Registry } from '../registry/index.ts';
import type { Clock } from '../rollout/clock.ts';
import type { ReconcileMemo } from './reconcile/run.ts';
import type { WorkspacePool } from './workspaces.ts';

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
}

export interface ConfigRepo {
  id: RepoId;
  /** `clone_url` from the API (or a local path in local mode); never carries a token. */
  cloneUrl: string;
  /** Web address, for links to commits in messages. */
  htmlUrl?: string;
}

/** What one event (one installation) can reach. */
export interface Scope {
  forge: Forge;
  /** Installation token for git over HTTPS; undefined in local mode. */
  token(): Promise<string | undefined>;
  configRepos(): Promise<ConfigRepo[]>;
  /** The config repo an event happened in (review, comment), or null when that repo is
   *  not one the bot manages. */
  configRepoFor(repository: { full_name: string; clone_url: string }): Promise<ConfigRepo | null>;
  log: Logger;
}

export interface BotDeps {
  workspaces: WorkspacePool;
  /** What the reconcile loop found last, per app, for status. */
  reconciled?: ReconcileMemo;
  /** Fire and forget; `appNotify` is the app's `notify:` config, when the notice is about one app. */
  notify(notice: Notice, appNotify?: AppNotify): void;
  clock: Clock;
  log: Logger;
  /** Container registries: tags for apps that reconcile from their registry, and the
   *  new digest for references pinned by digest. Absent: neither is read. */
  registry?: Registry;
}
