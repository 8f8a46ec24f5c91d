// `gitops-canary ab` on a user's checkout: an A/B match to the canary set and removed by
// hand, the weights left alone, a weight set by hand leaving the match alone, and the
// route back to its bytes once the match is off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRepo, remoteSnapshot, type ConfigRepo } from '../../helpers/cli.ts';

const VS = 'apps/podinfo/virtual-service.yaml';

let repo: ConfigRepo;
let seed: Record<string, string>;

beforeAll(async () => {
  repo = await configRepo();
  seed = await remoteSnapshot(repo.remote);
});

afterAll(async () => {
  await repo.cleanup();
});

async function vs(): Promise<string> {
  return (await repo.remote.readOnRemote(VS))!;
}

describe('gitops-canary ab', { timeout: 120_000 }, () => {
  it('refuses malformed matches with usage (exit 2) and unknown apps (exit 1), changing nothing', async () => {
    const head = (await repo.remoteLog())[0].sha;
    for (const argv of [['ab', 'podinfo'], ['ab', 'podinfo', 'header', 'user-agent'], ['ab', 'podinfo', 'body', 'x', '=', 'y'], ['ab', 'podinfo', 'header', 'x', '<', 'y']]) {
      const r = await repo.run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^gitops-canary: (expected ab <app>|ab: )/);
      expect(r.err).toContain('usage: gitops-canary');
    }
    const upper = await repo.run('ab', 'podinfo', 'header', 'User-Agent', '=', 'x');
    expect(upper).toMatchObject({ code: 2 });
    expect(upper.err).toMatch(/^gitops-canary: ab: header names are lower case \(Istio requires it\): write "user-agent"/);
    const lookbehind = await repo.run('ab', 'podinfo', 'header', 'user-agent', '~', '(?<=x)Firefox');
    expect(lookbehind.err).toMatch(/lookbehind .* not supported by RE2/);
    const unknown = await repo.run('ab', 'podinf', 'off');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/unknown app "podinf"/);
    expect((await repo.remoteLog())[0].sha).toBe(head);
  });

  it('prints the plan with --dry-run and changes nothing', async () => {
    const head = (await repo.remoteLog())[0].sha;
    const r = await repo.run('ab', 'podinfo', 'header', 'user-agent', '~', '.*Firefox.*', '--dry-run');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^podinfo: A\/B header user-agent ~ \.\*Firefox\.\* to the canary/);
    expect((await repo.remoteLog())[0].sha).toBe(head);
    expect(await vs()).toBe(seed[VS]);
  });

  it('sends matching requests to the canary, keeping the weights', async () => {
    const r = await repo.run('ab', 'podinfo', 'header', 'user-agent', '~', '.*Firefox.*');
    expect(r.code, r.err).toBe(0);
    const [c] = await repo.remoteLog();
    expect(c.subject).toBe('podinfo: A/B header user-agent ~ .*Firefox.* to the canary');
    expect(c.trailers).toMatchObject({ App: 'podinfo', Action: 'ab', Track: 'canary', Weights: 'stable=100,canary=0', 'Old-Weights': 'stable=100,canary=0', Traffic: 'ab: header user-agent~.*Firefox.*' });
    expect(c.trailers['Old-Traffic']).toBeUndefined();
    expect(await repo.changed(c.sha)).toEqual([VS]);
    const text = await vs();
    expect(text).toContain('gitops-canary-podinfo-ab');
    expect(text).toContain('.*Firefox.*');
    expect(text).toMatch(/subset: ga\n\s+weight: 100\n/);

    const status = await repo.run('status');
    expect(status.out).toContain('  routing  A/B header user-agent ~ .*Firefox.*');
    const json = JSON.parse((await repo.run('status', '--json')).out);
    expect(json[0].routing).toEqual({ ab: { headers: { 'user-agent': { regex: '.*Firefox.*' } } }, text: 'A/B header user-agent ~ .*Firefox.*' });
  });

  it('a weight set by hand leaves the A/B route as it is', async () => {
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.code, r.err).toBe(0);
    const [c] = await repo.remoteLog();
    expect(c.trailers).toMatchObject({ Action: 'set-weight', Weights: 'stable=90,canary=10', Traffic: 'ab: header user-agent~.*Firefox.*', 'Old-Traffic': 'ab: header user-agent~.*Firefox.*' });
    const text = await vs();
    expect(text).toContain('gitops-canary-podinfo-ab');
    expect(text).toMatch(/subset: canary\n\s+weight: 10\n/);
  });

  it('`ab <app> off` removes the route, and the weight back to 0 restores the seed bytes', async () => {
    const off = await repo.run('ab', 'podinfo', 'off');
    expect(off.code, off.err).toBe(0);
    const [c] = await repo.remoteLog();
    expect(c.subject).toBe('podinfo: A/B route off (was A/B header user-agent ~ .*Firefox.*)');
    expect(c.trailers).toMatchObject({ Action: 'ab', Weights: 'stable=90,canary=10', 'Old-Traffic': 'ab: header user-agent~.*Firefox.*' });
    expect(c.trailers.Traffic).toBeUndefined();
    expect(await vs()).not.toContain('gitops-canary-podinfo-ab');
    expect((await repo.run('status')).out).not.toContain('routing');

    // nothing left to remove: nothing changes
    const again = await repo.run('ab', 'podinfo', 'off');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/nothing to change|nothing needed changing|no A\/B route/);
    expect((await repo.remoteLog())[0].sha).toBe(c.sha);

    expect((await repo.run('set-weight', 'podinfo', '0')).code).toBe(0);
    expect(await remoteSnapshot(repo.remote)).toEqual(seed);
  });

  it('is undone by rollback, like any change of the bot', async () => {
    expect((await repo.run('ab', 'podinfo', 'cookie', 'user', '=', 'alice')).code).toBe(0);
    expect(await vs()).toContain('gitops-canary-podinfo-ab');
    const r = await repo.run('rollback', 'podinfo');
    expect(r.code, r.err).toBe(0);
    const [c] = await repo.remoteLog();
    expect(c.trailers).toMatchObject({ Action: 'rollback', 'Old-Traffic': 'ab: cookie user=alice' });
    expect(await remoteSnapshot(repo.remote)).toEqual(seed);
  });
});
