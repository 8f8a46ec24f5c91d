// set-image across the shapes a config repo holds an image in: a workload container, a
// kustomization `images:` entry and Flux `$imagepolicy` markers in a HelmRelease, with
// --path globs limiting which files it touches.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configRepo, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';

const DEPLOY = 'apps/podinfo/deployment.yaml';
const KUST = 'overlays/prod/kustomization.yaml';
const HELM = 'apps/helm/release.yaml';
const FLUX = 'clusters/prod/flux-system/image-automation.yaml';

const FILES: Record<string, string> = {
  [DEPLOY]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: podinfod
          image: "ghcr.io/acme/podinfo:0.2.0"
        - name: envoy
          image: envoyproxy/envoy:v1.29.0
`,
  [KUST]: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ghcr.io/acme/podinfo
    newTag: 0.2.0
  - name: envoyproxy/envoy
    newTag: v1.29.0
`,
  [HELM]: `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  chart:
    spec:
      chart: podinfo
      version: "6.5.4"
  values:
    image:
      repository: ghcr.io/acme/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
      tag: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
`,
  [FLUX]: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/acme/podinfo
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: 0.2.x
`,
};

const MOVED: Record<string, string> = {
  [DEPLOY]: replaceExactly(FILES[DEPLOY], '"ghcr.io/acme/podinfo:0.2.0"', '"ghcr.io/acme/podinfo:0.2.1"'),
  [KUST]: replaceExactly(FILES[KUST], 'newTag: 0.2.0', 'newTag: 0.2.1'),
  [HELM]: replaceExactly(FILES[HELM], 'tag: 0.2.0 #', 'tag: 0.2.1 #'),
};

let repo: ConfigRepo;

beforeEach(async () => {
  repo = await configRepo(FILES);
});

afterEach(async () => {
  await repo.cleanup();
});

describe('set-image', { timeout: 60_000 }, () => {
  it('rewrites every reference to the image in every shape, in one commit, and nothing else', async () => {
    const r = await repo.run('set-image', 'ghcr.io/acme/podinfo:0.2.1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...FILES, ...MOVED });
    const [c] = await repo.remoteLog();
    expect(await repo.changed(c.sha)).toEqual([HELM, DEPLOY, KUST]);
    expect(c.trailers).toMatchObject({ Action: 'set-image', Tag: '0.2.1', Image: 'ghcr.io/acme/podinfo' });
    expect(r.out).toContain(`${KUST} Kustomization/overlays/prod images[ghcr.io/acme/podinfo].newTag: 0.2.0 -> 0.2.1`);
  });

  it('--path globs limit the files it touches', async () => {
    const r = await repo.run('set-image', 'ghcr.io/acme/podinfo:0.2.1', '--path', 'overlays/**', '--path', 'apps/helm/*.yaml');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...FILES, [KUST]: MOVED[KUST], [HELM]: MOVED[HELM] });
    expect(await repo.changed((await repo.remoteLog())[0].sha)).toEqual([HELM, KUST]);
  });

  // A --path typo must not look like "already at that tag".
  it('a --path matching nothing is an error (IMAGE_NOT_FOUND) and changes nothing', async () => {
    const r = await repo.run('set-image', 'ghcr.io/acme/podinfo:0.2.1', '--path', 'nowhere/**');
    expect(r.code).toBe(1);
    expect(r.err).toBe('gitops-canary: no file matching --path nowhere/** references ghcr.io/acme/podinfo');
    expect((await repo.remoteLog()).length).toBe(1);
  });

  it('never downgrades: an older tag is ignored with a reason per reference', async () => {
    const r = await repo.run('set-image', 'ghcr.io/acme/podinfo:0.1.9', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('unchanged');
    expect(result.plan.edits).toEqual([]);
    expect(result.plan.skipped.map((s: { file: string; code: string }) => [s.file, s.code])).toEqual([
      [HELM, 'TAG_OLDER'],
      [DEPLOY, 'TAG_OLDER'],
      [KUST, 'TAG_OLDER'],
    ]);
    expect(await remoteSnapshot(repo.remote)).toEqual(FILES);
  });
});
