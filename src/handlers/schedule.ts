// Scopes for scheduled ticks, which arrive with no webhook and so no Probot context: in
// GitHub mode one per installation of the app (authenticated as that installation), in
// local mode the one local config repo.
import type { Context, Probot } from 'probot';
import { githubScope, localScope, newScopeCache, type ScopeCache } from '../bot/scopes.ts';
import type { Scope } from '../bot/types.ts';
import { LocalForge } from '../forge/local.ts';

export interface ScheduleSettings {
  mode: 'github' | 'local';
  configRepos: string[];
  localConfigRepo: string;
  /** Local mode's app source repos (tags stand in for releases). */
  localSources?: string;
}

/** A stand-in for the webhook context githubScope/localScope read (octokit, installation, log). */
function contextFor(probot: Probot, octokit: unknown, installation?: number): Context {
  return { octokit, log: probot.log, payload: installation === undefined ? {} : { installation: { id: installation } } } as unknown as Context;
}

export function scheduledScopes(probot: Probot, settings: ScheduleSettings, cache: ScopeCache = newScopeCache()): () => Promise<Scope[]> {
  if (settings.mode === 'local') {
    const scope = localScope(contextFor(probot, undefined), settings.localConfigRepo, new LocalForge(probot.log, settings.localSources));
    return async () => [scope];
  }
  return async () => {
    const app = await probot.auth();
    const installations = await app.paginate(app.rest.apps.listInstallations, { per_page: 100 });
    const scopes: Scope[] = [];
    for (const inst of installations) {
      let listed: string[] | undefined;
      if (settings.configRepos.length) {
        // CONFIG_REPOS may span installations; each scope gets only the repos it can reach.
        listed = [];
        for (const full of settings.configRepos) {
          const [owner, repo] = full.split('/');
          try {
            const { data } = await app.rest.apps.getRepoInstallation({ owner, repo });
            if (data.id === inst.id) listed.push(full);
          } catch (err) {
            if ((err as { status?: number }).status !== 404) throw err;
          }
        }
        if (listed.length === 0) continue;
      }
      const octokit = await probot.auth(inst.id);
      scopes.push(githubScope(contextFor(probot, octokit, inst.id), { configRepos: listed, cache }));
    }
    return scopes;
  };
}
