// The CLI keeps digests: `image:tag@sha256:…` writes that digest, and without one a
// reference pinned by digest gets the tag's digest from the registry (an in-process one
// on 127.0.0.1, with Basic auth through REGISTRY_CREDENTIALS), or stays with the reason.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configRepo, type ConfigRepo } from '../../helpers/cli.ts';
import { startFakeRegistry, type FakeRegistry } from '../../helpers/fake-registry.ts';

const OLD = `sha256:${'a'.repeat(64)}`;
const GIVEN = `sha256:${'c'.repeat(64)}`;

let repo: ConfigRepo | undefined;
let reg: FakeRegistry | undefined;
// the runner's own docker login must not decide these tests
const saved = { REGISTRY_CREDENTIALS: process.env.REGISTRY_CREDENTIALS, DOCKER_CONFIG: process.env.DOCKER_CONFIG };
beforeEach(() => {
  process.env.DOCKER_CONFIG = '/nonexistent/gitops-canary-test';
  delete process.env.REGISTRY_CREDENTIALS;
});
afterEach(async () => {
  await repo?.cleanup();
  await reg?.close();
  repo = undefined;
  reg = undefined;
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const deployment = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${image}
`;

async function setup(): Promise<{ image: string; digest: string }> {
  reg = await startFakeRegistry({ auth: 'basic', user: 'ci', password: 'pw' });
  reg.addTag('team/api', '2.0.0');
  const digest = reg.addTag('team/api', '2.1.0', '{"schemaVersion":2,"manifests":[]}', 'application/vnd.oci.image.index.v1+json');
  const image = `${reg.host}/team/api`;
  repo = await configRepo({
    'apps/api/pinned.yaml': deployment('pinned', `${image}:2.0.0@${OLD}`),
    'apps/api/plain.yaml': deployment('plain', `${image}:2.0.0`),
  });
  return { image, digest };
}

describe('gitops-canary and digests', () => {
  it('set-image image:tag@digest writes the digest it was given, on pinned and plain references', async () => {
    const { image } = await setup();
    const r = await repo!.run('set-image', `${image}:2.1.0@${GIVEN}`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await repo!.read('apps/api/pinned.yaml')).toContain(`image: ${image}:2.1.0@${GIVEN}`);
    expect(await repo!.read('apps/api/plain.yaml')).toContain(`image: ${image}:2.1.0@${GIVEN}`);
    expect(reg!.requests).toEqual([]);
  });

  it('set-image image:tag resolves the digest for pinned references with the configured credentials', async () => {
    const { image, digest } = await setup();
    process.env.REGISTRY_CREDENTIALS = JSON.stringify({ [reg!.host]: { username: 'ci', password: 'pw' } });
    const r = await repo!.run('set-image', `${image}:2.1.0`);
    expect(r.code).toBe(0);
    expect(await repo!.read('apps/api/pinned.yaml')).toContain(`image: ${image}:2.1.0@${digest}`);
    expect(await repo!.read('apps/api/plain.yaml')).toContain(`image: ${image}:2.1.0\n`);
  });

  it('leaves a pinned reference with the true reason when the registry refuses, and moves the rest', async () => {
    const { image } = await setup();
    const r = await repo!.run('set-image', `${image}:2.1.0`, '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as { plan: { skipped: Array<{ file: string; reason: string }> } };
    expect(result.plan.skipped).toEqual([
      expect.objectContaining({
        file: 'apps/api/pinned.yaml',
        reason: `${image}:2.0.0@${OLD} is pinned by digest and the registry ${reg!.host} did not give the digest of 2.1.0: the registry asks for a user name and password and none is configured for ${reg!.host} (REGISTRY_CREDENTIALS or a docker config.json)`,
      }),
    ]);
    expect(await repo!.read('apps/api/pinned.yaml')).toContain(`${image}:2.0.0@${OLD}`);
    expect(await repo!.read('apps/api/plain.yaml')).toContain(`image: ${image}:2.1.0\n`);
  });

  it('release image:tag@digest keeps the digest through the event path', async () => {
    const { image } = await setup();
    await repo!.cleanup();
    repo = await configRepo({
      '.github/gitops-canary.yml': `apps:\n  api:\n    image: ${image}\n    source: acme/api\n    delivery: commit\n    tracks:\n      stable: { filter: "semver:2.*", paths: ["apps/api/*.yaml"] }\n`,
      'apps/api/pinned.yaml': deployment('pinned', `${image}:2.0.0@${OLD}`),
    });
    const r = await repo.run('release', `${image}:2.1.0@${GIVEN}`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(await repo.read('apps/api/pinned.yaml')).toContain(`image: ${image}:2.1.0@${GIVEN}`);
  });
});
