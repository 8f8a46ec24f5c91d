// The registry client against Debian's docker-registry (the CNCF distribution registry)
// on 127.0.0.1, once behind htpasswd (Basic) and once behind token auth (Bearer, with a
// token service in this process), holding images pushed by skopeo from an OCI layout:
// tag lists, digests (the multi-arch index's, as `skopeo inspect --raw | sha256sum` says),
// auth failures, and a reconcile pass that rolls out a tag only the registry has.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReconciler } from '../../src/bot/reconcile/loop.ts';
import { newReconcileMemo } from '../../src/bot/reconcile/run.ts';
import { RegistryError } from '../../src/errors.ts';
import { scheduledScopes } from '../../src/handlers/schedule.ts';
import { distributionRegistry, registryFromEnv } from '../../src/registry/index.ts';
import { exampleFiles, OWNER, seedConfig, startHarness, type Harness } from '../helpers/app.ts';
import { PASSWORD, push, rawDigest, startRegistry, USER, type RegistryServer } from '../helpers/distribution-registry.ts';
import { writeOciLayout, type OciLayout } from '../helpers/oci-layout.ts';

const TAGS = ['0.1.0', '0.1.1', '0.2.0', '0.2.1'];
const NO_DOCKER_CONFIG = '/nonexistent/gitops-canary-test';

let dir: string;
let layout: OciLayout;
let basic: RegistryServer;
let token: RegistryServer;
const image = (r: RegistryServer) => `${r.host}/team/app`;
const creds = (r: RegistryServer, password = PASSWORD) => JSON.stringify({ [r.host]: { username: USER, password } });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'registry-it-'));
  layout = await writeOciLayout(path.join(dir, 'layout'));
  [basic, token] = await Promise.all([startRegistry('htpasswd'), startRegistry('token')]);
  // 0.2.1 is a multi-arch index, the others single-platform images. One push at a time
  // per registry: distribution 2.8 answers 500 to concurrent uploads of the same blob.
  await Promise.all(
    [basic, token].map(async (r) => {
      for (const t of TAGS) await push(layout.dir, t === '0.2.1' ? layout.multi.ref : layout.single.ref, image(r), t);
    }),
  );
});

afterAll(async () => {
  await basic?.stop();
  await token?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('htpasswd (Basic) registry', () => {
  it('lists every tag with the credentials of a docker config.json, whatever page size is asked', async () => {
    const config = path.join(dir, 'docker');
    await rm(config, { recursive: true, force: true });
    await mkdir(config);
    await writeFile(path.join(config, 'config.json'), JSON.stringify({ auths: { [basic.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    expect((await registryFromEnv({ DOCKER_CONFIG: config }).listTags(image(basic))).sort()).toEqual(TAGS);
    // distribution 2.8 sends every tag in one page, ignoring `n`: the client follows a Link
    // only when there is one (pagination itself: test/registry/distribution.test.ts)
    expect((await registryFromEnv({ DOCKER_CONFIG: config }, { pageSize: 2 }).listTags(image(basic))).sort()).toEqual(TAGS);
  });

  it("resolves a tag to the digest the registry serves: the index's for a multi-arch image", async () => {
    const client = registryFromEnv({ REGISTRY_CREDENTIALS: creds(basic), DOCKER_CONFIG: NO_DOCKER_CONFIG });
    const multi = await client.resolveDigest(image(basic), '0.2.1');
    expect(multi).toBe(layout.multi.digest);
    expect(multi).toBe(await rawDigest(image(basic), '0.2.1'));
    const single = await client.resolveDigest(image(basic), '0.1.0');
    expect(single).toBe(layout.single.digest);
    expect(single).toBe(await rawDigest(image(basic), '0.1.0'));
  });

  it('names image and registry when credentials are wrong, missing, or the tag is unknown', async () => {
    const wrong = await failure(registryFromEnv({ REGISTRY_CREDENTIALS: creds(basic, 'nope'), DOCKER_CONFIG: NO_DOCKER_CONFIG }).listTags(image(basic)));
    expect(wrong.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(wrong.message).toBe(`cannot read the tags of ${image(basic)} from registry ${basic.host}: the credentials for ${basic.host} were refused (HTTP 401: UNAUTHORIZED: authentication required)`);
    const none = await failure(distributionRegistry().resolveDigest(image(basic), '0.2.1'));
    expect(none.message).toBe(`cannot read the digest of ${image(basic)}:0.2.1 from registry ${basic.host}: the registry asks for a user name and password and none is configured for ${basic.host} (REGISTRY_CREDENTIALS or a docker config.json)`);
    const missing = await failure(registryFromEnv({ REGISTRY_CREDENTIALS: creds(basic), DOCKER_CONFIG: NO_DOCKER_CONFIG }).resolveDigest(image(basic), '9.9.9'));
    expect([missing.code, missing.why]).toEqual(['REGISTRY_NOT_FOUND', 'no such tag or repository (HTTP 404)']);
  });
});

describe('token (Bearer) registry', () => {
  it('gets a token for the pull scope with Basic credentials at the realm, and reuses it', async () => {
    const served = await rawDigest(image(token), '0.2.0');
    const client = registryFromEnv({ REGISTRY_CREDENTIALS: creds(token), DOCKER_CONFIG: NO_DOCKER_CONFIG });
    const before = token.tokenRequests;
    expect((await client.listTags(image(token))).sort()).toEqual(TAGS);
    expect(await client.resolveDigest(image(token), '0.2.1')).toBe(layout.multi.digest);
    expect(await client.resolveDigest(image(token), '0.2.0')).toBe(served);
    expect(token.tokenRequests - before).toBe(1);
  });

  it('says the token service refused the credentials', async () => {
    const err = await failure(registryFromEnv({ REGISTRY_CREDENTIALS: creds(token, 'nope'), DOCKER_CONFIG: NO_DOCKER_CONFIG }).listTags(image(token)));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.message).toMatch(new RegExp(`^cannot read the tags of ${image(token)} from registry ${token.host}: the token service 127\\.0\\.0\\.1:\\d+ refused the credentials for ${token.host} \\(HTTP 401: invalid username or password\\)$`));
  });
});

describe('reconcile from a real registry', () => {
  let h: Harness | undefined;
  afterAll(async () => h?.close());

  it('rolls out a tag only the registry has, pinned references with the index digest', async () => {
    const img = image(token);
    const pinnedAt = await rawDigest(img, '0.2.0');
    const files = Object.fromEntries(Object.entries(exampleFiles()).map(([k, v]) => [k, v.replaceAll('ghcr.io/example/podinfo', img)]));
    files['apps/podinfo/canary-dep.yaml'] = files['apps/podinfo/canary-dep.yaml'].replace(`${img}:0.2.0`, `${img}:0.2.0@${pinnedAt}`);
    const config = seedConfig({ delivery: 'commit' }).replace('ghcr.io/example/podinfo', img).replace('    source: example/podinfo\n', '    source: example/podinfo\n    sources: [registry]\n');
    h = await startHarness({ configFiles: { ...files, '.github/gitops-canary.yml': config }, env: { REGISTRY_CREDENTIALS: creds(token), DOCKER_CONFIG: NO_DOCKER_CONFIG } });
    const memo = newReconcileMemo();
    const pass = startReconciler({ deps: { ...h.runtime.deps, reconciled: memo }, scopes: scheduledScopes(h.probot, { mode: 'github', configRepos: [], localConfigRepo: '' }), intervalMs: 0, memo });
    const out = await pass.run();
    expect(out.map((o) => [o.app, o.changed])).toEqual([['podinfo', true]]);
    expect(await h.show('config', 'apps/podinfo/canary-dep.yaml')).toContain(`image: ${img}:0.2.1@${layout.multi.digest}   # canary track`);
    expect(await h.show('config', 'apps/podinfo/ga-dep.yaml')).toContain(`${img}:0.1.1`);
    const body = await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', '--grep=canary 0.2.0', 'main');
    expect(body).toContain('Gitops-Canary-Event: reconcile');
    expect(body).toContain('Gitops-Canary-Tag: 0.2.1');
    // the next pass finds everything applied and writes nothing
    const head = await h.double.git(OWNER, 'config', 'rev-parse', 'main');
    expect((await pass.run()).map((o) => o.changed)).toEqual([false]);
    expect(await h.double.git(OWNER, 'config', 'rev-parse', 'main')).toBe(head);
  });
});
