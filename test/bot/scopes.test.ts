// A burst of events on a cold cache shares one discovery of the config repos and one
// token, instead of each event listing every repo (and probing each for a config) again.
import { describe, expect, it } from 'vitest';
import { githubScope, newScopeCache } from '../../src/bot/scopes.ts';

function fakeOctokit() {
  const calls = { list: 0, probe: 0, token: 0 };
  const tick = () => new Promise((r) => setTimeout(r, 20));
  const octokit = {
    paginate: async () => {
      calls.list++;
      await tick();
      return [{ owner: { login: 'acme' }, name: 'config', clone_url: 'https://example.invalid/acme/config.git', html_url: 'https://example.invalid/acme/config' }];
    },
    rest: {
      apps: {
        listReposAccessibleToInstallation: {},
        createInstallationAccessToken: async () => {
          calls.token++;
          await tick();
          return { data: { token: `t${calls.token}`, expires_at: new Date(Date.now() + 3600_000).toISOString() } };
        },
      },
      repos: {
        getContent: async () => {
          calls.probe++;
          await tick();
          return { data: {} };
        },
      },
    },
  };
  return { octokit, calls };
}

describe('githubScope', () => {
  it('shares one discovery and one token among concurrent events, and keeps no failure', async () => {
    const cache = newScopeCache();
    const { octokit, calls } = fakeOctokit();
    const context = { octokit, log: { info() {}, warn() {}, error() {}, debug() {} }, payload: { installation: { id: 7 } } };
    const scopes = Array.from({ length: 10 }, () => githubScope(context as never, { cache }));
    const repos = await Promise.all(scopes.map((s) => s.configRepos()));
    const tokens = await Promise.all(scopes.map((s) => s.token()));
    expect(repos.every((r) => r.length === 1 && r[0].id.name === 'config')).toBe(true);
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(calls).toEqual({ list: 1, probe: 1, token: 1 });
    expect(cache.pending.size).toBe(0);
    // a failed look-up is not remembered: the next event asks again
    const failing = { ...octokit, paginate: async () => Promise.reject(new Error('boom')) };
    const cold = newScopeCache();
    const s = githubScope({ ...context, octokit: failing } as never, { cache: cold });
    await expect(s.configRepos()).rejects.toThrow('boom');
    expect(cold.pending.size).toBe(0);
  });
});
