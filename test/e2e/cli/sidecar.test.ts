// A sidecar bumped across many files by the CLI, twice in a row: the paths a large change
// takes (its objects written as one pack by fast-import, each splice confirmed by the
// quick reader, the second run planned from the facts the first kept) must push exactly
// the bytes a plain replacement gives, leave a repository git finds sound, and nothing of
// their own behind (no scratch ref, no crash report). So must a change of one file where
// the index is large, which takes the pack's tree too.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { PREWRITE_INDEX_BYTES, PREWRITE_MIN_FILES } from '../../../src/git/prewrite.ts';
import { configRepo, remoteSnapshot, type ConfigRepo } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';

const SIDECAR = 'ghcr.io/acme/log-shipper';
const N = PREWRITE_MIN_FILES + 16;

// workloads written several ways: plain, quoted, a Pod, a second document, a comment after
const deployment = (i: number, tag: string) => {
  const image = i % 3 === 0 ? `"${SIDECAR}:${tag}"` : `${SIDECAR}:${tag}`;
  const pod = `      containers:
        - name: app
          image: ghcr.io/acme/app-${i}:1.0.${i}
        - name: shipper
          image: ${image}${i % 4 === 0 ? ' # the shared sidecar' : ''}
`;
  const doc = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
spec:
  selector:
    matchLabels: {app: app-${i}}
  template:
    metadata:
      labels: {app: app-${i}}
    spec:
${pod}`;
  return i % 5 === 0 ? `${doc}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-${i}\nspec:\n  ports: [{port: 80}]\n` : doc;
};

const files = (tag: string) => Object.fromEntries(Array.from({ length: N }, (_, i) => [`apps/team-${i % 6}/app-${i}/deploy.yaml`, deployment(i, tag)]));

let repo: ConfigRepo;

afterAll(async () => {
  await repo?.cleanup();
});

describe('a sidecar bumped in many files', { timeout: 120_000 }, () => {
  it('pushes the bytes a plain replacement gives, run after run, and leaves nothing of its own', async () => {
    repo = await configRepo({ ...files('2.0.0'), 'README.md': '# fleet\n' });
    for (const tag of ['2.1.0', '2.2.0']) {
      const r = await repo.run('set-image', `${SIDECAR}:${tag}`, '--json');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'committed', plan: { skipped: [] } });
      const pushed = await remoteSnapshot(repo.remote);
      expect(pushed).toEqual({ ...files(tag), 'README.md': '# fleet\n' });
    }
    await git(repo.dir, 'fsck', '--no-dangling');
    expect((await git(repo.dir, 'for-each-ref', 'refs/gitops-canary/')).trim()).toBe('');
    expect((await readdir(path.join(repo.dir, '.git'))).filter((f) => f.startsWith('fast_import_crash'))).toEqual([]);
    expect((await git(repo.dir, 'status', '--porcelain')).trim()).toBe('');
    // the objects came as packs, not one loose file each
    expect(Number(/^count: (\d+)$/m.exec(await git(repo.dir, 'count-objects', '-v'))![1])).toBeLessThan(N);
  });

  it('commits one file with the tree the pack built where the index is large, as git would, its objects loose', async () => {
    // an index entry holds its path: a few thousand files under long directory names make
    // an index of the size a fleet of 25k files has
    const deep = ['a', 'b', 'c'].map((c) => c.repeat(240)).join('/');
    const filler = Object.fromEntries(Array.from({ length: 5_600 }, (_, i) => [`fill/${deep}/f-${i}.txt`, `${i}\n`]));
    const app = 'apps/one/deploy.yaml';
    const big = await configRepo({ ...filler, [app]: deployment(1, '2.0.0'), 'README.md': '# fleet\n' });
    try {
      expect(BigInt((await stat(path.join(big.dir, '.git/index'))).size)).toBeGreaterThanOrEqual(PREWRITE_INDEX_BYTES);
      const before = await git(big.dir, 'count-objects', '-v');
      const r = await big.run('set-image', `${SIDECAR}:2.1.0`, '--json');
      expect(r.code, r.err).toBe(0);
      expect(await big.remote.readOnRemote(app, 'main')).toBe(deployment(1, '2.1.0'));
      expect((await git(big.dir, 'diff', '--name-only', 'HEAD~1', 'HEAD')).trim()).toBe(app);
      // the commit's tree is the one the index holds, and the checkout is clean
      expect((await git(big.dir, 'write-tree')).trim()).toBe((await git(big.dir, 'rev-parse', 'HEAD^{tree}')).trim());
      expect((await git(big.dir, 'status', '--porcelain')).trim()).toBe('');
      await git(big.dir, 'fsck', '--no-dangling');
      expect((await git(big.dir, 'for-each-ref', 'refs/gitops-canary/')).trim()).toBe('');
      // the pack's own commit, which names the objects it wrote, is the evidence the pack
      // was written; git unpacked the few objects into loose ones: no pack was added
      const unreachable = (await git(big.dir, 'fsck', '--unreachable', '--no-reflogs')).match(/^unreachable commit ([0-9a-f]+)$/gm) ?? [];
      const made = await Promise.all(unreachable.map((l) => git(big.dir, 'cat-file', '-p', l.split(' ')[2])));
      expect(made.filter((c) => c.includes('prewrite@gitops-canary.invalid'))).toHaveLength(1);
      expect(packsOf(await git(big.dir, 'count-objects', '-v'))).toBe(packsOf(before));
    } finally {
      await big.cleanup();
    }
  });
});

const packsOf = (countObjects: string) => Number(/^packs: (\d+)$/m.exec(countObjects)![1]);
