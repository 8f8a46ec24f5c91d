// The tree's image index answers exactly as the per-image scan it replaces (same
// references in the same order, same skipped files), is reused for the same tree and
// rebuilt for another, re-parsing only the texts that changed.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/git/workspace.ts';
import { scanEachFile } from '../../src/jobs/images.ts';
import { workspaceFiles } from '../../src/jobs/run.ts';
import { directoryFiles, type RepoFiles } from '../../src/manifests/files.ts';
import { extractAllImages, imageIndexCounters, indexedImageScan, prepareImageScans, treeReader } from '../../src/manifests/image-index.ts';
import { normalizeRepository } from '../../src/policy/image.ts';
import { DEFAULT_MAX_FILE_SIZE, setMaxFileSize } from '../../src/repo-io/read.ts';
import { git } from '../helpers/git-remote.ts';

const FLUX = `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: podinfo, namespace: flux-system}
spec: {image: ghcr.io/acme/podinfo}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: podinfo, namespace: flux-system}
spec:
  imageRepositoryRef: {name: podinfo}
  policy: {semver: {range: '>=1.0.0'}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: pi, namespace: flux-system}
spec:
  imageRepositoryRef: {name: podinfo}
  filterTags: {pattern: '^1\\.'}
`;

const deployment = (name: string, containers: Array<{ name: string; image: string; marker?: string }>, kind = 'Deployment') => {
  const list = containers.map((c) => `        - name: ${c.name}\n          image: ${c.image}${c.marker ? ` # {"$imagepolicy": "${c.marker}"}` : ''}\n`).join('');
  return `apiVersion: apps/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n${list}`;
};

const FIXTURE: Record<string, string> = {
  'clusters/flux.yaml': FLUX,
  'apps/podinfo/deploy.yaml': deployment('podinfo', [
    { name: 'podinfo', image: 'ghcr.io/acme/podinfo:1.0.0', marker: 'flux-system:podinfo' },
    { name: 'shell', image: 'busybox:1.36' },
  ]),
  'apps/podinfo/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\nimages:\n  - name: ghcr.io/acme/podinfo\n    newTag: 1.0.0 # {"$imagepolicy": "flux-system:podinfo:tag"}\n  - name: nginx\n    newTag: "1.25"\n`,
  'apps/podinfo/values.yaml': `image:\n  repository: ghcr.io/acme/podinfo\n  tag: 1.0.1\nsidecar:\n  image: {repository: docker.io/library/nginx, tag: "1.24"}\n`,
  // names the image only through a policy id: found through the id's token
  'apps/podinfo/values-pi.yaml': `app:\n  tag: 1.0.2 # {"$imagepolicy": "flux-system:pi:tag"}\n`,
  'apps/podinfo/cron.yaml': `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - {name: job, image: "ghcr.io/acme/podinfo:0.9.0@sha256:${'a'.repeat(64)}"}\n`,
  'apps/other/deploy.yaml': deployment('web', [
    { name: 'web', image: 'nginx:1.25' },
    { name: 'pod', image: 'ghcr.io/acme/podinfo:1.0.0' },
  ]),
  'apps/other/service.yaml': `apiVersion: v1\nkind: Service\nmetadata: {name: podinfo}\nspec: {selector: {app: podinfo}}\n`,
  // a broken marker beside nginx: the nginx search skips the file, the podinfo search does not
  'broken/marker.yaml': deployment('mixed', [
    { name: 'podinfo', image: 'ghcr.io/acme/podinfo:1.0.0' },
    { name: 'web', image: 'nginx:1.25', marker: 'not a policy' },
  ]),
  'broken/bad.yaml': 'image: ghcr.io/acme/podinfo:1.0.0\n  nginx: [unclosed\n',
  'apps/nul.yaml': 'image: ghcr.io/acme/podinfo:1.0.0\0nginx\n',
  'notes.md': 'podinfo nginx busybox\n',
};

const IMAGES = ['ghcr.io/acme/podinfo', 'nginx', 'docker.io/library/nginx', 'busybox', 'ghcr.io/acme/missing', 'registry.example.com/Bad Image'];
const PATHS: Array<string[] | undefined> = [undefined, ['apps/**'], ['apps/podinfo/**'], ['apps/other/deploy.yaml'], ['**/*.yaml'], ['broken/**', 'apps/link.yaml'], ['apps/*/values*.yaml', 'clusters/**']];

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
}

async function commitAll(dir: string): Promise<void> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '--allow-empty', '-m', 'change');
}

async function newRepo(prefix: string, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await git(dir, 'init', '-q', '-b', 'main');
  await writeFiles(dir, files);
  await commitAll(dir);
  return dir;
}

/** What the per-image scan finds, in the index's shape. */
async function perImage(repo: RepoFiles, image: string, paths?: string[]) {
  try {
    const s = await scanEachFile(repo, image, paths);
    return { refs: s.refs.map((r) => r.ref), skipped: s.skipped };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function indexed(repo: RepoFiles, image: string, paths?: string[]) {
  try {
    return (await indexedImageScan(repo, image, paths)) ?? { unindexed: true };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

let dir: string;

beforeAll(async () => {
  dir = await newRepo('image-index-', FIXTURE);
  // a tracked symlink: refused by the reader, searched by git through its target path
  await symlink('podinfo/deploy.yaml', path.join(dir, 'apps/link.yaml'));
  await commitAll(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the image index', () => {
  it('finds what the per-image scan finds, for every image and path set', async () => {
    const repo = workspaceFiles(await Workspace.local(dir));
    expect(await repo.version!()).toBeDefined();
    let found = 0;
    for (const image of IMAGES) {
      for (const paths of PATHS) {
        const want = await perImage(repo, image, paths);
        const got = image.includes(' ') ? await perImage(repo, image, paths) : await indexed(repo, image, paths);
        expect(got, `${image} in ${JSON.stringify(paths)}`).toEqual(want);
        if ('refs' in want) found += want.refs!.length;
      }
    }
    // the fixture is not vacuous: references, parse failures, refusals and the fallback all show
    expect(found).toBeGreaterThan(40);
    const skips = async (image: string) => {
      const s = await indexed(repo, image);
      return 'skipped' in s ? s.skipped.map((x) => `${x.file} ${x.code}`) : s;
    };
    // git searches no symlink (nor does the index); the broken marker sits beside nginx
    expect(await skips('ghcr.io/acme/podinfo')).toEqual(['broken/bad.yaml PARSE_YAML']);
    expect(await skips('nginx')).toEqual(['broken/bad.yaml PARSE_YAML', 'broken/marker.yaml FLUX_MARKER_INVALID']);
  });

  it('leaves a file the reader refuses to git, as the per-image scan does', async () => {
    const other = await newRepo('image-index-large-', { ...FIXTURE, 'apps/big.yaml': deployment('big', [{ name: 'c', image: 'ghcr.io/acme/podinfo:1.0.0' }]) + `# ${'x'.repeat(1200)}\n` });
    setMaxFileSize(1000);
    try {
      const repo = workspaceFiles(await Workspace.local(other));
      for (const image of ['ghcr.io/acme/podinfo', 'nginx']) expect(await indexed(repo, image, ['apps/**'])).toEqual(await perImage(repo, image, ['apps/**']));
      const s = await indexed(repo, 'ghcr.io/acme/podinfo', ['apps/**']);
      expect('skipped' in s && s.skipped.map((x) => `${x.file} ${x.code}`)).toEqual(['apps/big.yaml FILE_TOO_LARGE']);
    } finally {
      setMaxFileSize(DEFAULT_MAX_FILE_SIZE);
      await rm(other, { recursive: true, force: true });
    }
  });

  it('leaves files that match no clean tree, and strings that are no image, to the per-image scan', async () => {
    expect(await indexedImageScan(directoryFiles(dir), 'nginx')).toBeUndefined();
    expect(await indexedImageScan(workspaceFiles(await Workspace.local(dir)), 'registry.example.com/Bad Image')).toBeUndefined();
  });

  it('is reused for the same tree and rebuilt for another, parsing only changed texts', async () => {
    const other = await newRepo('image-index-reuse-', FIXTURE);
    try {
      const ws = await Workspace.local(other);
      const first = await indexed(workspaceFiles(ws), 'ghcr.io/acme/podinfo', ['apps/**']);
      const before = { ...imageIndexCounters };
      // a new reader of the same tree: nothing is read or parsed again
      expect(await indexed(workspaceFiles(ws), 'ghcr.io/acme/podinfo', ['apps/**'])).toEqual(first);
      expect(await indexed(workspaceFiles(ws), 'nginx', ['apps/**'])).toEqual(await perImage(workspaceFiles(ws), 'nginx', ['apps/**']));
      expect(imageIndexCounters).toEqual(before);

      await writeFile(path.join(other, 'apps/podinfo/deploy.yaml'), FIXTURE['apps/podinfo/deploy.yaml'].replace('podinfo:1.0.0', 'podinfo:2.0.0'));
      await commitAll(other);
      const repo = workspaceFiles(ws);
      const after = await indexed(repo, 'ghcr.io/acme/podinfo', ['apps/**']);
      expect(after).toEqual(await perImage(repo, 'ghcr.io/acme/podinfo', ['apps/**']));
      expect('refs' in after && after.refs.map((r) => r.tag)).toContain('2.0.0');
      expect(first).not.toEqual(after);
      // the new tree's files are read again, but only the changed text is parsed
      expect(imageIndexCounters.reads).toBeGreaterThan(before.reads);
      expect(imageIndexCounters.parses).toBe(before.parses + 1);

      // while the files differ from every tree, nothing is kept
      await writeFile(path.join(other, 'apps/podinfo/deploy.yaml'), FIXTURE['apps/podinfo/deploy.yaml'].replace('podinfo:1.0.0', 'podinfo:3.0.0'));
      expect(await indexedImageScan(workspaceFiles(ws), 'ghcr.io/acme/podinfo')).toBeUndefined();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('reads and parses in one pass what a batch of questions needs, and answers the same', async () => {
    const other = await newRepo('image-index-batch-', FIXTURE);
    try {
      const repo = workspaceFiles(await Workspace.local(other));
      const queries = IMAGES.filter((i) => !i.includes(' ')).flatMap((image) => PATHS.map((paths) => ({ image, paths })));
      await prepareImageScans(repo, queries);
      const prepared = { ...imageIndexCounters };
      for (const q of queries) expect(await indexed(repo, q.image, q.paths)).toEqual(await perImage(repo, q.image, q.paths));
      expect(imageIndexCounters.parses).toBe(prepared.parses);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('reads each file once per tree through treeReader, as the repo reads it', async () => {
    const other = await newRepo('image-index-reader-', FIXTURE);
    try {
      const ws = await Workspace.local(other);
      const repo = workspaceFiles(ws);
      const reader = treeReader(repo);
      expect(await reader.read('apps/podinfo/deploy.yaml')).toBe(await repo.read('apps/podinfo/deploy.yaml'));
      const before = imageIndexCounters.reads;
      expect(await treeReader(workspaceFiles(ws)).read('apps/podinfo/deploy.yaml')).toBe(FIXTURE['apps/podinfo/deploy.yaml']);
      expect(imageIndexCounters.reads).toBe(before);
      await expect(reader.read('no/such.yaml')).rejects.toMatchObject({ code: 'GIT_FILE_NOT_FOUND' });
      // files that match no clean tree are read afresh every time
      await writeFile(path.join(other, 'apps/podinfo/deploy.yaml'), 'changed\n');
      expect(await treeReader(workspaceFiles(ws)).read('apps/podinfo/deploy.yaml')).toBe('changed\n');
      expect(await treeReader(directoryFiles(other)).read('apps/podinfo/deploy.yaml')).toBe('changed\n');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('extracts every reference of the tree, keyed by normalised repository', async () => {
    const repo = workspaceFiles(await Workspace.local(dir));
    const all = await extractAllImages(repo);
    expect(all).toBeDefined();
    expect([...all!.byRepository.keys()].sort()).toEqual(['docker.io/library/busybox', 'docker.io/library/nginx', 'ghcr.io/acme/podinfo']);
    // each repository's references are what its own scan over the whole tree finds, but
    // for the file the extract cannot search for every image (its broken marker)
    for (const [key, refs] of all!.byRepository) {
      expect(refs).toEqual((await perImage(repo, key)).refs!.filter((r) => r.file !== 'broken/marker.yaml'));
    }
    // as in the per-image scan, git searches no symlink and no binary file
    expect(all!.skipped.map((s) => `${s.file} ${s.code}`).sort()).toEqual(['broken/bad.yaml PARSE_YAML', 'broken/marker.yaml FLUX_MARKER_INVALID']);
    expect(all!.byRepository.get(normalizeRepository('nginx'))!.map((r) => r.file)).toEqual(['apps/other/deploy.yaml', 'apps/podinfo/kustomization.yaml', 'apps/podinfo/values.yaml']);
  });
});

// Generated repos: files built from pieces that hold references in every form the
// editors know, some broken; the index and the per-image scan must agree on each.
const IMAGE_POOL = ['ghcr.io/acme/podinfo', 'nginx', 'docker.io/library/nginx', 'ghcr.io/acme/pod'];
const tag = fc.constantFrom('1.0.0', '2.1', 'v3', 'latest');
const piece = fc.oneof(
  fc.record({ kind: fc.constant('deploy' as const), image: fc.constantFrom(...IMAGE_POOL), tag, marker: fc.constantFrom(undefined, 'flux-system:podinfo', 'bad marker') }),
  fc.record({ kind: fc.constant('kustomize' as const), image: fc.constantFrom(...IMAGE_POOL), tag, marker: fc.constantFrom(undefined, 'flux-system:pi:tag') }),
  fc.record({ kind: fc.constant('helm' as const), image: fc.constantFrom(...IMAGE_POOL), tag }),
  fc.record({ kind: fc.constant('broken' as const), image: fc.constantFrom(...IMAGE_POOL), tag }),
);

function render(p: { kind: string; image: string; tag: string; marker?: string }): string {
  if (p.kind === 'deploy') return deployment('d', [{ name: 'c', image: `${p.image}:${p.tag}`, marker: p.marker }]);
  if (p.kind === 'kustomize') return `images:\n  - name: ${p.image}\n    newTag: ${p.tag}${p.marker ? ` # {"$imagepolicy": "${p.marker}"}` : ''}\n`;
  if (p.kind === 'helm') return `image:\n  repository: ${p.image}\n  tag: "${p.tag}"\n`;
  return `image: ${p.image}:${p.tag}\n  - [\n`;
}

describe('the image index over generated repos', () => {
  it('agrees with the per-image scan', async () => {
    const dirs = fc.constantFrom('a', 'a/b', 'c');
    const file = fc.record({ dir: dirs, name: fc.constantFrom('x.yaml', 'y.yml', 'z.yaml'), pieces: fc.array(piece, { minLength: 1, maxLength: 3 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 8 }), fc.constantFrom<string[] | undefined>(undefined, ['a/**'], ['a/*.yaml', 'c/**'], ['**/*.yml']), async (files, paths) => {
        const content: Record<string, string> = { 'flux/policies.yaml': FLUX };
        for (const f of files) content[`${f.dir}/${f.name}`] = f.pieces.map(render).join('---\n');
        const repoDir = await newRepo('image-index-prop-', content);
        try {
          const repo = workspaceFiles(await Workspace.local(repoDir));
          for (const image of IMAGE_POOL) expect(await indexed(repo, image, paths)).toEqual(await perImage(repo, image, paths));
        } finally {
          await rm(repoDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 15 },
    );
  }, 60_000);
});
