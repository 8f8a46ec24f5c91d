// Images named in Helm values (`repository` + `tag`): a Flux v2 HelmRelease on the
// stable track and one on the canary track, moved by `release` per the config's filters,
// and a Flux v1 HelmRelease whose tag annotation decides with no bot config at all.
import { afterEach, describe, expect, it } from 'vitest';
import { configRepo, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';

const STABLE = 'apps/podinfo/stable/helmrelease.yaml';
const CANARY = 'apps/podinfo/canary/helmrelease.yaml';

function release(name: string, tag: string): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: apps
spec:
  interval: 30m
  chartRef: { kind: OCIRepository, name: app-template }
  values:
    controllers:
      ${name}:
        containers:
          app:
            image:
              repository: ghcr.io/acme/podinfo
              tag: ${tag}   # written by gitops-canary
`;
}

const FILES: Record<string, string> = {
  '.github/gitops-canary.yml': `apps:
  podinfo:
    image: ghcr.io/acme/podinfo
    source: acme/podinfo
    tracks:
      stable: { filter: "semver:0.1.*", paths: ["apps/podinfo/stable/**"] }
      canary: { filter: "semver:0.2.*", paths: ["apps/podinfo/canary/**"] }
    delivery: commit
`,
  [STABLE]: release('podinfo', '0.1.0'),
  [CANARY]: release('podinfo-canary', '0.2.0'),
};

const LEGACY = 'releases/ghost.yaml';
const FLUX_V1 = `---
apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: ghost
  namespace: demo
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.chart-image: glob:3.1.1-debian-9-*
spec:
  releaseName: ghost
  values:
    image:
      repository: bitnami/ghost
      tag: 3.1.1-debian-9-r0
`;

let repo: ConfigRepo | undefined;

afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

describe('Helm values', { timeout: 60_000 }, () => {
  it('a release moves the HelmRelease of its track only, with the plan naming the values field', async () => {
    repo = await configRepo(FILES);
    const r = await repo.run('release', 'ghcr.io/acme/podinfo:v0.2.1', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('committed');
    expect(result.plan.edits).toEqual([
      { file: CANARY, object: expect.objectContaining({ kind: 'HelmRelease', namespace: 'apps', name: 'podinfo-canary' }), field: 'spec.values.controllers.podinfo-canary.containers.app.image.tag', old: '0.2.0', new: '0.2.1' },
    ]);
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...FILES, [CANARY]: replaceExactly(FILES[CANARY], 'tag: 0.2.0   #', 'tag: 0.2.1   #') });
    const [c] = await repo.remoteLog();
    expect(c.trailers).toMatchObject({ App: 'podinfo', Track: 'canary', Tag: '0.2.1', 'Old-Tag': '0.2.0' });

    const stable = await repo.run('release', 'ghcr.io/acme/podinfo:0.1.1');
    expect(stable.code).toBe(0);
    expect((await remoteSnapshot(repo.remote))[STABLE]).toBe(replaceExactly(FILES[STABLE], 'tag: 0.1.0   #', 'tag: 0.1.1   #'));
  });

  it('Flux v1: the chart-image tag annotation filters the top-level image of the values', async () => {
    repo = await configRepo({ [LEGACY]: FLUX_V1 });
    const outside = await repo.run('release', 'bitnami/ghost:3.2.0-debian-9-r0');
    expect(outside.code).toBe(0);
    expect(outside.out).toContain('does not match filter glob:3.1.1-debian-9-*');
    const r = await repo.run('release', 'docker.io/bitnami/ghost:3.1.1-debian-9-r1');
    expect(r.code).toBe(0);
    expect(await remoteSnapshot(repo.remote)).toEqual({ [LEGACY]: replaceExactly(FLUX_V1, 'debian-9-r0', 'debian-9-r1') });
  });
});
