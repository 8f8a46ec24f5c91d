// `gitops-canary images` in a user's clone: every reference the editors find, grouped by
// repository, with its place and the Flux policy and filter that steer it; files it
// could not read named on stderr; a checkout with uncommitted changes read as it is.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImagesReport } from '../../src/cli/images.ts';
import { configRepo, type ConfigRepo } from '../helpers/cli.ts';

const FILES: Record<string, string> = {
  'apps/api/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
  annotations:
    fluxcd.io/tag.api: semver:~0.1
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:0.1.8
        - name: proxy
          image: "docker.io/envoyproxy/envoy:v1.30.1@sha256:${'a'.repeat(64)}"
`,
  'apps/web/kustomization.yaml': `resources: [deployment.yaml]
images:
  - name: ghcr.io/acme/web
    newTag: 1.2.0 # {"$imagepolicy": "flux-system:web:tag"}
`,
  'clusters/policies.yaml': `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: web, namespace: flux-system}
spec: {image: ghcr.io/acme/web}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: web, namespace: flux-system}
spec:
  imageRepositoryRef: {name: web}
  policy:
    semver: {range: 1.x}
`,
  'apps/broken.yaml': 'image: [unclosed\n',
};

let repo: ConfigRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

describe('gitops-canary images', () => {
  it('lists every reference by repository, with place, policy and filter', async () => {
    repo = await configRepo(FILES);
    const json = await repo.run('images', '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as ImagesReport;
    expect(report.repositories.map((r) => r.repository)).toEqual(['docker.io/envoyproxy/envoy', 'ghcr.io/acme/api', 'ghcr.io/acme/web']);
    expect(report.repositories[1].references).toEqual([
      { file: 'apps/api/deployment.yaml', line: 13, object: 'Deployment/prod/api', field: 'spec.template.spec.containers[api].image', part: 'ref', tag: '0.1.8', filter: 'semver:~0.1' },
    ]);
    expect(report.repositories[0].references[0]).toMatchObject({ line: 15, tag: 'v1.30.1', digest: `sha256:${'a'.repeat(64)}` });
    expect(report.repositories[2].references).toEqual([
      { file: 'apps/web/kustomization.yaml', line: 4, object: 'Kustomization/apps/web', field: 'images[ghcr.io/acme/web].newTag', part: 'tag', tag: '1.2.0', policy: 'flux-system:web', filter: 'semver:1.x' },
    ]);
    expect(report.skipped.map((s) => [s.file, s.code])).toEqual([['apps/broken.yaml', 'PARSE_YAML']]);
    expect(json.err).toContain('gitops-canary: warning: apps/broken.yaml: not searched (PARSE_YAML)');

    const text = await repo.run('images');
    expect(text.code).toBe(0);
    expect(text.out).toContain('ghcr.io/acme/api  (1 reference)\n  :0.1.8  apps/api/deployment.yaml:13  Deployment/prod/api  spec.template.spec.containers[api].image  [filter semver:~0.1]');
    expect(text.out).toContain('  :1.2.0  apps/web/kustomization.yaml:4  Kustomization/apps/web  images[ghcr.io/acme/web].newTag (tag)  [policy flux-system:web, filter semver:1.x]');
  });

  it('finds the same when a file holds a NUL past where git looks for one', async () => {
    // git takes the file for text (no NUL in its first 8,000 bytes) where the reader would
    // not: git's own search then decides the files, and the policies are searched apart
    const blob = `image: ghcr.io/acme/blob:1.0.0\n# ${'x'.repeat(9000)}\0\n`;
    repo = await configRepo(FILES);
    const plain = JSON.parse((await repo.run('images', '--json')).out) as ImagesReport;
    await repo.cleanup();
    repo = await configRepo({ ...FILES, 'apps/blob.yaml': blob });
    const run = await repo.run('images', '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as ImagesReport;
    const others = report.repositories.filter((r) => r.repository !== 'ghcr.io/acme/blob');
    expect(others).toEqual(plain.repositories);
    expect(report.skipped.filter((s) => s.file !== 'apps/blob.yaml')).toEqual(plain.skipped);
  });

  it('reads a checkout with uncommitted changes as it is', async () => {
    repo = await configRepo(FILES);
    await writeFile(path.join(repo.dir, 'apps/api/deployment.yaml'), FILES['apps/api/deployment.yaml'].replace('0.1.8', '0.1.9'));
    const report = JSON.parse((await repo.run('images', '--json')).out) as ImagesReport;
    expect(report.repositories.find((r) => r.repository === 'ghcr.io/acme/api')?.references[0].tag).toBe('0.1.9');
  });

  it('says so when there is no image reference', async () => {
    repo = await configRepo({ 'README.md': 'nothing here\n' });
    const run = await repo.run('images');
    expect(run).toMatchObject({ code: 0, out: 'no image references', err: '' });
  });
});
