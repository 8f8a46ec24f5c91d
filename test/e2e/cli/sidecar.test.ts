// A sidecar bumped across many files by the CLI, twice in a row: the paths a large change
// takes (its objects written as one pack by fast-import, each splice confirmed by the
// quick reader, the second run planned from the facts the first kept) must push exactly
// the bytes a plain replacement gives, leave a repository git finds sound, and nothing of
// their own behind (no scratch ref, no crash report).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PREWRITE_MIN_FILES } from '../../../src/git/prewrite.ts';
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
});
