// Property: whatever tags and weights the CLI sets, rolling each change back (git
// revert, newest first) restores the exact original bytes of every file, CRLF line
// endings and a missing final newline included.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, type ConfigRepo } from '../../helpers/cli.ts';

let repo: ConfigRepo;
let seed: Record<string, string>;

beforeAll(async () => {
  const files = await exampleFiles();
  const crlf = (t: string) => t.replace(/\n/g, '\r\n');
  repo = await configRepo({
    ...files,
    'apps/podinfo/virtual-service.yaml': crlf(files['apps/podinfo/virtual-service.yaml']),
    'apps/podinfo/ga-dep.yaml': crlf(files['apps/podinfo/ga-dep.yaml']),
    'apps/podinfo/canary-dep.yaml': files['apps/podinfo/canary-dep.yaml'].replace(/\n$/, ''),
  });
  seed = await remoteSnapshot(repo.remote);
  expect(seed['apps/podinfo/virtual-service.yaml']).toContain('\r\n');
});

afterAll(async () => {
  await repo.cleanup();
});

const version = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 12 })).map(([a, b, c]) => `${a}.${b}.${c}`);
const op = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map((w) => ['set-weight', 'podinfo', String(w)]),
  version.map((v) => ['set-image', `ghcr.io/example/podinfo:${v}`]),
);

describe('set then rollback', { timeout: 300_000 }, () => {
  it('restores every file byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 3 }), async (ops) => {
        const before = await remoteSnapshot(repo.remote);
        expect(before).toEqual(seed);
        let commits = 0;
        for (const argv of ops) {
          const r = await repo.run(...argv, '--json');
          expect(r.err).toBe('');
          expect(r.code).toBe(0);
          const status = JSON.parse(r.out).status;
          expect(['committed', 'unchanged']).toContain(status);
          if (status === 'committed') commits++;
        }
        for (let i = 0; i < commits; i++) {
          const r = await repo.run('rollback', 'podinfo');
          expect(r.err).toBe('');
          expect(r.code).toBe(0);
        }
        expect(await remoteSnapshot(repo.remote)).toEqual(seed);
      }),
      { numRuns: 8 },
    );
  });
});
