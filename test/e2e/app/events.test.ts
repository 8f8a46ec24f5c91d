// Event handling through the GitHub double: signatures on the HTTP endpoint, one change
// for a tag that arrives through several events, older tags, prereleases and held tags,
// and which config repos an installation has (discovered, or named by CONFIG_REPOS).
import { afterEach, describe, expect, it } from 'vitest';
import { createTagPayload, packagePayload, pushTagPayload, registryPackagePayload, releasePayload } from '../../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, seedConfig, startHarness, type Harness } from '../../helpers/app.ts';

const CANARY = 'apps/podinfo/canary-dep.yaml';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function repo(hh: Harness, name = 'podinfo') {
  return { owner: OWNER, repo: name, installationId: INSTALLATION, baseUrl: hh.double.url };
}

describe('webhook signatures', () => {
  it('rejects a missing or wrong X-Hub-Signature-256 and changes nothing; accepts a good one', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) } });
    const before = await h.subjects('config');
    const payload = releasePayload({ ...repo(h), tag: 'v0.2.1' });
    const missing = await h.post('release', payload, { signature: null });
    const wrong = await h.post('release', payload, { signature: `sha256=${'0'.repeat(64)}` });
    const otherSecret = await h.post('release', payload, { signature: (await import('../../github-double/index.ts')).sign(JSON.stringify(payload), 'not-the-secret') });
    for (const r of [missing, wrong, otherSecret]) expect(r.status).toBeGreaterThanOrEqual(400);
    expect(await h.subjects('config')).toEqual(before);
    expect(h.double.requests.filter((r) => r.method !== 'GET' || !r.path.startsWith('/app'))).toEqual([]);

    const good = await h.post('release', payload);
    expect(good.status).toBe(200);
    expect((await h.subjects('config'))[0]).toBe('podinfo: canary 0.2.0 → 0.2.1, canary weight 10%');
    const health = await fetch(`${h.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', mode: 'github' });
    h.double.assertNoViolations();
  }, 90_000);
});

describe('one tag, several events', () => {
  it('release + create + push + package + registry_package of one tag open ONE pull request with one commit', async () => {
    h = await startHarness();
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    const sha = (await h.double.git(OWNER, 'podinfo', 'rev-parse', 'v0.2.1^{commit}')).trim();
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    await h.receive('create', createTagPayload({ ...repo(h), tag: 'v0.2.1' }));
    await h.receive('push', pushTagPayload({ ...repo(h), tag: 'v0.2.1', sha }));
    await h.receive('package', packagePayload({ ...repo(h), packageName: 'podinfo', tag: '0.2.1' }));
    await h.receive('registry_package', registryPackagePayload({ ...repo(h), packageName: 'podinfo', tag: '0.2.1' }));
    const pulls = await h.double.pulls(OWNER, 'config');
    expect(pulls.map((p) => p.title)).toEqual(['podinfo: canary 0.2.0 → 0.2.1, canary weight 10%']);
    expect((await h.double.git(OWNER, 'config', 'rev-list', '--count', 'main..gitops-canary/podinfo/canary')).trim()).toBe('1');
    expect(h.double.statuses(OWNER, 'podinfo').every((s) => s.sha === sha)).toBe(true);
    h.double.assertNoViolations();
  }, 120_000);

  it('with commit delivery, the same tag through every event is one commit; an older tag afterwards changes nothing', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) } });
    const before = (await h.subjects('config')).length;
    await h.receive('package', packagePayload({ ...repo(h), packageName: 'podinfo', tag: '0.2.2' }));
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.2' }));
    await h.receive('create', createTagPayload({ ...repo(h), tag: 'v0.2.2' }));
    await h.receive('push', pushTagPayload({ ...repo(h), tag: 'v0.2.2' }));
    const after = await h.subjects('config');
    expect(after.length).toBe(before + 1);
    expect(after[0]).toBe('podinfo: canary 0.2.0 → 0.2.2, canary weight 10%');
    // Older tag after a newer one: never a downgrade.
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.subjects('config')).toEqual(after);
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.2');
    h.double.assertNoViolations();
  }, 120_000);

  it('ignores a digest-only package, a branch create and a branch push, with a reason each', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) } });
    const before = await h.subjects('config');
    const digestOnly = packagePayload({ ...repo(h), packageName: 'podinfo', tag: '0.2.3' }) as unknown as { package: { package_version: { container_metadata: { tag: { name: string } } } } };
    digestOnly.package.package_version.container_metadata.tag.name = '';
    await h.receive('package', digestOnly);
    await h.receive('create', createTagPayload({ ...repo(h), tag: 'feature-x', refType: 'branch' }));
    const branchPush = pushTagPayload({ ...repo(h), tag: 'x' }) as unknown as { ref: string };
    branchPush.ref = 'refs/heads/main';
    await h.receive('push', branchPush);
    expect(await h.subjects('config')).toEqual(before);
    const msgs = h.logs.map((l) => l.msg);
    expect(msgs).toContain('ignoring digest-only container publication: no tag to roll out');
    expect(msgs).toContain('ignoring create of a non-tag ref');
    expect(msgs).toContain('ignoring push of a branch');
    h.double.assertNoViolations();
  }, 60_000);

  it('a GitHub pre-release goes only to a track that accepts prereleases', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) } });
    const before = await h.subjects('config');
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.4', action: 'prereleased', prerelease: true }));
    expect(await h.subjects('config')).toEqual(before);
    expect(h.logs.map((l) => l.msg)).toContain('pre-release and no track of the app accepts prereleases; nothing changes');
    h.double.assertNoViolations();
  }, 60_000);
});

describe('which config repos', () => {
  const commitFiles = () => ({ ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) });
  const discovery = (hh: Harness) => hh.double.requests.filter((r) => r.path.startsWith('/installation/repositories'));

  it('by default, the installed repos that have the config file; with CONFIG_REPOS, only those named', async () => {
    h = await startHarness({ configFiles: commitFiles() });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    expect(discovery(h).length).toBeGreaterThan(0);
    await h.close();

    h = await startHarness({ configFiles: commitFiles(), configRepos: ['example/config'] });
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.show('config', CANARY)).toContain('podinfo:0.2.1');
    expect(discovery(h)).toEqual([]);
    h.double.assertNoViolations();
  }, 120_000);

  it('a config repo left out of CONFIG_REPOS is never changed', async () => {
    h = await startHarness({ configFiles: commitFiles(), configRepos: ['example/intruder'] });
    const before = await h.subjects('config');
    await h.receive('release', releasePayload({ ...repo(h), tag: 'v0.2.1' }));
    expect(await h.subjects('config')).toEqual(before);
    expect(h.logs).toContainEqual(expect.objectContaining({ repo: 'example/intruder', msg: 'no .github/gitops-canary.yml; skipping this repo' }));
    h.double.assertNoViolations();
  }, 120_000);
});

describe('container package events', () => {
  it('write the package tag as it is: the tagTemplate is for release tags, not image tags', async () => {
    const config = seedConfig({ delivery: 'commit' }).replace('    tracks:', '    tagTemplate: "{version}-alpine"\n    tracks:').replace('semver:0.2.*', 'semver:>=0.2.0-0 <0.3.0');
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': config } });
    const payload = registryPackagePayload({ ...repo(h), packageName: 'podinfo', tag: '0.2.1-alpine' });
    // GitHub names the package's owner as its namespace: ghcr.io/example/podinfo
    (payload as unknown as { registry_package: { namespace: string } }).registry_package.namespace = OWNER;
    await h.receive('registry_package', payload);
    expect(await h.show('config', CANARY)).toContain('image: ghcr.io/example/podinfo:0.2.1-alpine   # canary track');
    h.double.assertNoViolations();
  }, 90_000);
});

