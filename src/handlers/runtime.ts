// What every handler gets: the bot's services and a way to turn a Probot context into
// the scope (forge, token, config repos) of its installation. Built once at start.
import type { Context } from 'probot';
import { NotifierHub } from '../bot/notifier-hub.ts';
import { newReconcileMemo } from '../bot/reconcile/run.ts';
import { githubScope, localScope, newScopeCache } from '../bot/scopes.ts';
import type { BotDeps, Logger, Scope } from '../bot/types.ts';
import { WorkspacePool } from '../bot/workspaces.ts';
import type { DispatcherOptions } from '../notify/index.ts';
import { registryFromEnv, type Registry } from '../registry/index.ts';
import { systemClock, type Clock } from '../rollout/clock.ts';

export interface Runtime {
  deps: BotDeps;
  scopeFor(context: Context): Scope;
}

export interface RuntimeOptions {
  mode: 'github' | 'local';
  workDir: string;
  /** GitHub mode: `owner/name` list; empty means every installed repo with a config file. */
  configRepos?: string[];
  /** Local mode: the config repo on disk. */
  localConfigRepo?: string;
  env: Record<string, string | undefined>;
  log: Logger;
  clock?: Clock;
  /** The registry client; by default one configured from `env` (REGISTRY_CREDENTIALS,
   *  DOCKER_CONFIG, REGISTRY_INSECURE_HOSTS). */
  registry?: Registry;
  /** Retry and timeout tuning for notifications (tests shorten the backoff). */
  notify?: Omit<DispatcherOptions, 'log'>;
}

export function createRuntime(opts: RuntimeOptions): { runtime: Runtime; notifier: NotifierHub } {
  const notifier = new NotifierHub(opts.env, { ...opts.notify, log: opts.log });
  const deps: BotDeps = {
    workspaces: new WorkspacePool(opts.workDir, {
      onLock: (e) => {
        if (e.removedGitLocks) opts.log.warn({ repo: e.repo, files: e.removedGitLocks }, 'removed git lock files left in the working copy by a process that stopped mid-write');
        else if (e.tookOver) opts.log.warn({ repo: e.repo, holder: e.tookOver }, 'took over a working copy whose holder is gone');
        else opts.log.info({ repo: e.repo, holder: e.waitingFor }, 'waiting for another process working in the same clone');
      },
    }),
    reconciled: newReconcileMemo(),
    notify: (notice, appNotify) => notifier.notify(notice, appNotify),
    clock: opts.clock ?? systemClock,
    log: opts.log,
    registry: opts.registry ?? registryFromEnv(opts.env),
  };
  const local = opts.localConfigRepo;
  const cache = newScopeCache();
  const scopeFor =
    opts.mode === 'github'
      ? (context: Context) => githubScope(context, { configRepos: opts.configRepos, cache })
      : (context: Context) => {
          if (!local) throw new Error('local mode needs localConfigRepo');
          return localScope(context, local);
        };
  return { runtime: { deps, scopeFor }, notifier };
}
