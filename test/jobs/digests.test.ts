// Digest-pinned references move with the new tag's digest from the registry (an
// in-process one on 127.0.0.1), plain ones stay plain, and a registry that cannot be
// reached leaves the pinned ones where they are with the reason.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withPinnedDigests } from '../../src/jobs/digests.ts';
import { planImages } from '../../src/jobs/images.ts';
import type { AppHistory } from '../../src/jobs/history.ts';
import { planAppRelease } from '../../src/jobs/release.ts';
import { parseConfig } from '../../src/config/index.ts';
import { directoryFiles } from '../../src/manifests/files.ts';
import { distributionRegistry } from '../../src/registry/index.ts';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.ts';

const OLD = `sha256:${'a'.repeat(64)}`;
const NO_HISTORY: AppHistory = { commits: [], held: [], paused: false };

let dir: string | undefined;
let reg: FakeRegistry | undefined;
afterEach(async () => {
  await reg?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  reg = undefined;
  dir = undefined;
});

const deployment = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${image}
`;

async function setup(): Promise<{ image: string; newDigest: string; files: ReturnType<typeof directoryFiles>; root: string }> {
  reg = await startFakeRegistry();
  reg.addTag('team/web', '1.0.0', '{"schemaVersion":2,"v":"1.0.0"}');
  const newDigest = reg.addTag('team/web', '1.1.0', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}', 'application/vnd.oci.image.index.v1+json');
  const image = `${reg.host}/team/web`;
  dir = await mkdtemp(path.join(tmpdir(), 'digests-'));
  await mkdir(path.join(dir, 'apps/web'), { recursive: true });
  await writeFile(path.join(dir, 'apps/web/pinned.yaml'), deployment('pinned', `${image}:1.0.0@${OLD}`));
  await writeFile(path.join(dir, 'apps/web/plain.yaml'), deployment('plain', `${image}:1.0.0`));
  await writeFile(path.join(dir, 'apps/web/kustomization.yaml'), `images:\n  - name: ${image}\n    newTag: 1.0.0\n    digest: ${OLD}\n`);
  return { image, newDigest, files: directoryFiles(dir), root: dir };
}

describe('pinned references', () => {
  it('move to tag@digest with the digest the registry holds (the index, for multi-arch), asked once', async () => {
    const { image, newDigest, files } = await setup();
    const p = await planImages(files, withPinnedDigests({ image, tag: '1.1.0' }, distributionRegistry()));
    expect(p.skipped).toEqual([]);
    expect(p.writes.get('apps/web/pinned.yaml')).toContain(`image: ${image}:1.1.0@${newDigest}`);
    // a plain reference gets the tag only: pins are kept, never added
    expect(p.writes.get('apps/web/plain.yaml')).toContain(`image: ${image}:1.1.0\n`);
    expect(p.writes.get('apps/web/kustomization.yaml')).toBe(`images:\n  - name: ${image}\n    newTag: 1.1.0\n    digest: ${newDigest}\n`);
    expect(reg!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /v2/team/web/manifests/1.1.0']);
  });

  it('stay, with the reason, when the registry cannot be reached; plain references still move', async () => {
    const { image, files } = await setup();
    await reg!.close();
    const p = await planImages(files, withPinnedDigests({ image, tag: '1.1.0' }, distributionRegistry()));
    expect([...p.writes.keys()]).toEqual(['apps/web/plain.yaml']);
    const port = image.split(':')[1].split('/')[0];
    expect(p.skipped.map((s) => [s.file, s.code, s.reason])).toEqual([
      ['apps/web/kustomization.yaml', 'REGISTRY_UNREACHABLE', `${image}:1.0.0@${OLD} is pinned by digest and the registry 127.0.0.1:${port} could not be reached: connect ECONNREFUSED 127.0.0.1:${port}`],
      ['apps/web/pinned.yaml', 'REGISTRY_UNREACHABLE', `${image}:1.0.0@${OLD} is pinned by digest and the registry 127.0.0.1:${port} could not be reached: connect ECONNREFUSED 127.0.0.1:${port}`],
    ]);
  });

  it('stay when the registry has no such tag, saying so', async () => {
    const { image, files } = await setup();
    const p = await planImages(files, withPinnedDigests({ image, tag: '1.2.0' }, distributionRegistry()));
    expect(p.skipped.map((s) => s.reason)).toContain(`${image}:1.0.0@${OLD} is pinned by digest and the registry ${reg!.host} did not give the digest of 1.2.0: no such tag or repository (HTTP 404)`);
    expect([...p.writes.keys()]).toEqual(['apps/web/plain.yaml']);
  });

  it('take a given digest everywhere without asking the registry', async () => {
    const { image, files } = await setup();
    const given = `sha256:${'b'.repeat(64)}`;
    const p = await planImages(files, withPinnedDigests({ image, tag: '1.1.0', digest: given }, distributionRegistry()));
    expect(p.writes.get('apps/web/pinned.yaml')).toContain(`${image}:1.1.0@${given}`);
    expect(p.writes.get('apps/web/plain.yaml')).toContain(`${image}:1.1.0@${given}`);
    expect(reg!.requests).toEqual([]);
  });

  it('do not make the registry asked when no pinned reference moves', async () => {
    const { image, files } = await setup();
    const p = await planImages(files, withPinnedDigests({ image, tag: '1.0.0' }, distributionRegistry()));
    expect(p.edits).toEqual([]);
    expect(reg!.requests).toEqual([]);
  });

  it('keep the editors\' refusal when no registry is given', async () => {
    const { image, files } = await setup();
    const p = await planImages(files, withPinnedDigests({ image, tag: '1.1.0' }, undefined));
    expect(p.skipped.map((s) => s.code)).toEqual(['EDIT_DIGEST_PINNED', 'EDIT_DIGEST_PINNED']);
  });

  it('move in the release path too, and a registry tag skips the tag template', async () => {
    const { image, newDigest, files } = await setup();
    const config = parseConfig(`apps:\n  web:\n    image: ${image}\n    source: acme/web\n    tagTemplate: "v{version}"\n    tracks:\n      stable: { filter: "semver:1.*", paths: ["apps/web/pinned.yaml"] }\n`);
    reg!.addTag('team/web', 'v1.1.0', '{"schemaVersion":2,"v":"v1.1.0"}');
    const routed = { app: 'web', config: config.apps.web };
    const viaRelease = await planAppRelease(files, routed, { tag: '1.1.0', source: 'acme/web' }, NO_HISTORY, distributionRegistry());
    expect(viaRelease.plan.title).toBe('web: stable 1.0.0 → v1.1.0');
    const viaRegistry = await planAppRelease(files, routed, { tag: '1.1.0', source: 'acme/web', imageTag: true, image }, NO_HISTORY, distributionRegistry());
    expect(viaRegistry.plan.title).toBe('web: stable 1.0.0 → 1.1.0');
    expect(viaRegistry.writes.get('apps/web/pinned.yaml')).toContain(`${image}:1.1.0@${newDigest}`);
  });
});
