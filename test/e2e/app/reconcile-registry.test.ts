// Reconciliation from the registry (`sources: [repo, registry]`), through the GitHub double
// and an in-process registry on 127.0.0.1: a tag pushed without any release is applied by
// a pass, as the image tag itself; a registry that cannot be reached is named and the
// repo's releases still count; an app without `sources` never asks the registry.
import { afterEach, describe, expect, it } from 'vitest';
import { startReconciler } from '../../../src/bot/reconcile/loop.ts';
import { newReconcileMemo } from '../../../src/bot/reconcile/run.ts';
import { scheduledScopes } from '../../../src/handlers/schedule.ts';
import { startFakeRegistry, type FakeRegistry } from '../../helpers/fake-registry.ts';
import { exampleFiles, OWNER, seedConfig, startHarness, type Harness } from '../../helpers/app.ts';

let h: Harness | undefined;
let reg: FakeRegistry | undefined;
afterEach(async () => {
  await h?.close();
  await reg?.close();
  h = undefined;
  reg = undefined;
});

function reconciler(hh: Harness) {
  const memo = newReconcileMemo();
  return startReconciler({ deps: { ...hh.runtime.deps, reconciled: memo }, scopes: scheduledScopes(hh.probot, { mode: 'github', configRepos: [], localConfigRepo: '' }), intervalMs: 0, memo });
}

/** The example config repo with its image served by the fake registry. */
async function start(sources?: string): Promise<{ h: Harness; reg: FakeRegistry; image: string }> {
  reg = await startFakeRegistry({ auth: 'bearer' });
  const image = `${reg.host}/example/podinfo`;
  const files = Object.fromEntries(Object.entries(exampleFiles()).map(([k, v]) => [k, v.replaceAll('ghcr.io/example/podinfo', image)]));
  let config = seedConfig({ delivery: 'commit' }).replace('ghcr.io/example/podinfo', image);
  if (sources) config = config.replace('    source: example/podinfo\n', `    source: example/podinfo\n    sources: ${sources}\n`);
  h = await startHarness({ configFiles: { ...files, '.github/gitops-canary.yml': config } });
  return { h, reg, image };
}

describe('reconcile from the registry', () => {
  it('applies a tag only the registry has, newest per track, alongside the releases', async () => {
    const { h, reg, image } = await start('[repo, registry]');
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    for (const t of ['0.1.0', '0.1.7', '0.2.0', '0.2.4', 'latest']) reg.addTag('example/podinfo', t);
    const out = await reconciler(h).run();
    expect(out.map((o) => [o.app, o.changed])).toEqual([['podinfo', true]]);
    expect(out[0].outcome.split('; ').sort()).toEqual([expect.stringMatching(/^canary: 0\.2\.4 committed [0-9a-f]{12}$/), expect.stringMatching(/^stable: 0\.1\.7 committed [0-9a-f]{12}$/)]);
    expect(await h.show('config', 'apps/podinfo/canary-dep.yaml')).toContain(`${image}:0.2.4`);
    expect(await h.show('config', 'apps/podinfo/ga-dep.yaml')).toContain(`${image}:0.1.7`);
    const body = (await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', '--grep=canary 0.2.0', 'main')).trim();
    expect(body).toContain('Gitops-Canary-Event: reconcile');
    expect(body).toContain('Gitops-Canary-Tag: 0.2.4');
    h.double.assertNoViolations();
  }, 120_000);

  it('names a registry it cannot reach and still applies the releases', async () => {
    const { h, reg, image } = await start('[repo, registry]');
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    await reg.close();
    const out = await reconciler(h).run();
    const port = reg.host.split(':')[1];
    expect(out[0].outcome).toContain(`cannot read the tags of ${image} from registry ${reg.host}: connect ECONNREFUSED 127.0.0.1:${port}; trying again next pass`);
    expect(await h.show('config', 'apps/podinfo/canary-dep.yaml')).toContain(`${image}:0.2.1`);
  }, 120_000);

  it('reads only the registry with sources: [registry], and nothing from it without sources', async () => {
    const { h, reg, image } = await start('[registry]');
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.9' });
    reg.addTag('example/podinfo', '0.2.3');
    const out = await reconciler(h).run();
    expect(out[0].outcome).toMatch(/^canary: 0\.2\.3 committed/);
    expect(await h.show('config', 'apps/podinfo/canary-dep.yaml')).toContain(`${image}:0.2.3`);
    expect(h.double.requests.filter((q) => q.operationId === 'repos/list-releases')).toEqual([]);
    await h.close();
    await reg.close();

    const again = await start();
    again.reg.addTag('example/podinfo', '0.2.3');
    await reconciler(again.h).run();
    expect(again.reg.requests).toEqual([]);
  }, 120_000);

  it('reads a ghcr.io image of the installation through GitHub Packages, with no registry at all', async () => {
    const config = seedConfig({ delivery: 'commit' }).replace('    source: example/podinfo\n', '    source: example/podinfo\n    sources: [registry]\n');
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': config } });
    h.double.publishContainer(OWNER, 'podinfo', ['0.2.0']);
    h.double.publishContainer(OWNER, 'podinfo', ['0.2.3', 'latest']);
    const r = reconciler(h);
    const [first] = await r.run();
    expect(first.outcome).toMatch(/^canary: 0\.2\.3 committed [0-9a-f]{12}$/);
    expect(await h.show('config', 'apps/podinfo/canary-dep.yaml')).toContain('ghcr.io/example/podinfo:0.2.3');
    const versions = () => h!.double.requests.filter((q) => q.operationId === 'packages/get-all-package-versions-for-package-owned-by-org').map((q) => q.status);
    expect(versions()).toEqual([200]);
    // an unchanged package is answered 304, and nothing moves
    const [again] = await r.run();
    expect(versions()).toEqual([200, 304]);
    expect(again.changed).toBe(false);
    h.double.publishContainer(OWNER, 'podinfo', ['0.2.5']);
    const [later] = await r.run();
    expect(later.outcome).toMatch(/^canary: 0\.2\.5 committed [0-9a-f]{12}$/);
    h.double.assertNoViolations();
  }, 120_000);
});

