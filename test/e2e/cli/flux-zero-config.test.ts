// Repos without .github/gitops-canary.yml: the per-reference policy decides, read from
// Flux v2 ImagePolicy markers or Flux v1 tag annotations.
import { afterEach, describe, expect, it } from 'vitest';
import { configRepo, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';

const POLICIES = 'clusters/prod/flux-system/image-automation.yaml';
const V2 = 'apps/podinfo/deploy.yaml';
const V1 = 'apps/legacy/deploy.yaml';
const PLAIN = 'apps/plain/deploy.yaml';

const FLUX_V2: Record<string, string> = {
  [POLICIES]: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/acme/podinfo
  interval: 1m0s
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
      range: 0.1.x
`,
  [V2]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/acme/podinfo:0.1.0 # {"$imagepolicy": "flux-system:podinfo"}
`,
};

const FLUX_V1: Record<string, string> = {
  [V1]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy
  namespace: apps
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.podinfod: semver:~0.1
spec:
  template:
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/acme/podinfo:0.1.0
`,
  [PLAIN]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: plain
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/acme/podinfo:0.1.0
`,
};

let repo: ConfigRepo | undefined;

afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

describe('release with no bot config', { timeout: 60_000 }, () => {
  it('Flux v2: an ImagePolicy marker moves to a newer tag in range (v prefix stripped), not to one out of range', async () => {
    repo = await configRepo(FLUX_V2);
    const r = await repo.run('release', 'ghcr.io/acme/podinfo:v0.1.1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...FLUX_V2, [V2]: replaceExactly(FLUX_V2[V2], 'podinfo:0.1.0 #', 'podinfo:0.1.1 #') });
    const [c] = await repo.remoteLog();
    expect(c.trailers).toMatchObject({ App: 'podinfo', Action: 'release', Tag: '0.1.1', Image: 'ghcr.io/acme/podinfo' });

    const moved = await remoteSnapshot(repo.remote);
    const out = await repo.run('release', 'ghcr.io/acme/podinfo:0.2.0');
    expect(out.code).toBe(0);
    expect(out.out).toContain('nothing to change');
    expect(out.out).toContain(`${V2} spec.template.spec.containers[podinfod].image: tag 0.2.0 is outside the range 0.1.x`);
    const older = await repo.run('release', 'ghcr.io/acme/podinfo:0.1.0');
    expect(older.code).toBe(0);
    expect(older.out).toContain('tag 0.1.0 is older than 0.1.1');
    expect(await remoteSnapshot(repo.remote)).toEqual(moved);
    expect((await repo.remoteLog()).length).toBe(2);
  });

  it('Flux v1: a fluxcd.io/tag.<container> annotation decides; a reference with no policy stays', async () => {
    repo = await configRepo(FLUX_V1);
    const r = await repo.run('release', 'ghcr.io/acme/podinfo:0.1.5', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('committed');
    expect(result.plan.edits).toEqual([expect.objectContaining({ file: V1, old: 'ghcr.io/acme/podinfo:0.1.0', new: 'ghcr.io/acme/podinfo:0.1.5' })]);
    expect(result.plan.skipped).toEqual([expect.objectContaining({ file: PLAIN, code: 'TAG_NO_POLICY' })]);
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...FLUX_V1, [V1]: replaceExactly(FLUX_V1[V1], 'podinfo:0.1.0\n', 'podinfo:0.1.5\n') });

    const out = await repo.run('release', 'ghcr.io/acme/podinfo:0.2.0');
    expect(out.code).toBe(0);
    expect(out.out).toContain('tag 0.2.0 is outside the range ~0.1');
    expect((await repo.remoteLog()).length).toBe(2);
  });

  it('a glob policy is checked against the tag that would be written (v prefix stripped), never a tag it refuses', async () => {
    const vglob = replaceExactly(FLUX_V1[V1], 'semver:~0.1', 'glob:v*').replace('podinfo:0.1.0', 'podinfo:v0.1.0');
    repo = await configRepo({ [V1]: vglob });
    const r = await repo.run('release', 'ghcr.io/acme/podinfo:v0.1.1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('tag 0.1.1 does not match filter glob:v*');
    expect(await remoteSnapshot(repo.remote)).toEqual({ [V1]: vglob });
  });

  it('a broken file is reported and left alone while the rest still moves', async () => {
    const broken = 'kind: Deployment\nspec:\n  image: ghcr.io/acme/podinfo:0.1.0 # {"$imagepolicy": "flux-system:podinfo"}\n   bad: [\n';
    repo = await configRepo({ ...FLUX_V2, 'apps/broken/deploy.yaml': broken });
    const r = await repo.run('release', 'ghcr.io/acme/podinfo:0.1.1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}- apps\/broken\/deploy\.yaml:\d+: invalid YAML/m);
    const after = await remoteSnapshot(repo.remote);
    expect(after['apps/broken/deploy.yaml']).toBe(broken);
    expect(after[V2]).toBe(replaceExactly(FLUX_V2[V2], 'podinfo:0.1.0 #', 'podinfo:0.1.1 #'));
  });
});
