// The seed story end to end, through the CLI, against a clone of a bare remote seeded
// with examples/local-config-repo: weights step up, releases land on the right track,
// an older tag is ignored, a rollback restores bytes and holds the tag.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRepo, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';

const VS = 'apps/podinfo/virtual-service.yaml';
const GA = 'apps/podinfo/ga-dep.yaml';
const CANARY = 'apps/podinfo/canary-dep.yaml';
const SRC = ['--source', 'example/podinfo'];

let repo: ConfigRepo;
let seed: Record<string, string>;

beforeAll(async () => {
  repo = await configRepo();
  seed = await remoteSnapshot(repo.remote);
});

afterAll(async () => {
  await repo.cleanup();
});

function weights(text: string, stable: number, canary: number): string {
  const ga = replaceExactly(text, '            subset: ga\n          weight: 100\n', `            subset: ga\n          weight: ${stable}\n`);
  return replaceExactly(ga, '            subset: canary\n          weight: 0\n', `            subset: canary\n          weight: ${canary}\n`);
}

/** Asserts the remote gained exactly one commit on top of `before`, touching `files`. */
async function expectOneNewCommit(before: string, files: string[]) {
  const log = await repo.remoteLog();
  expect(log[0].parents).toEqual([before]);
  expect(await repo.changed(log[0].sha)).toEqual(files);
  return log[0];
}

async function remoteHead(): Promise<string> {
  return (await repo.remoteLog())[0].sha;
}

describe('the seed story through the CLI', { timeout: 120_000 }, () => {
  it('status shows both tracks and the 100/0 split', async () => {
    const r = await repo.run('status');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/stable\s+0\.1\.0\s+\[semver:0\.1\.\*\]/);
    expect(r.out).toMatch(/canary\s+0\.2\.0\s+\[semver:0\.2\.\*\]/);
    expect(r.out).toContain('stable 100% / canary 0%');

    const json = JSON.parse((await repo.run('status', '--json')).out);
    expect(json).toEqual([
      expect.objectContaining({
        app: 'podinfo',
        image: 'ghcr.io/example/podinfo',
        tracks: [expect.objectContaining({ track: 'stable', tags: ['0.1.0'] }), expect.objectContaining({ track: 'canary', tags: ['0.2.0'] })],
        weights: { stable: 100, canary: 0, others: 0 },
        held: [],
      }),
    ]);
  });

  it('set-weight 10 → 60 → 100: one commit each, only the weight values change', async () => {
    const steps: Array<[number, string, string, string]> = [
      [10, 'stable=90,canary=10', 'stable=100,canary=0', '1/3'],
      [60, 'stable=40,canary=60', 'stable=90,canary=10', '2/3'],
      [100, 'stable=0,canary=100', 'stable=40,canary=60', '3/3'],
    ];
    for (const [pct, w, old, step] of steps) {
      const before = await remoteHead();
      const r = await repo.run('set-weight', 'podinfo', String(pct));
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/committed [0-9a-f]{12}/);
      const c = await expectOneNewCommit(before, [VS]);
      // the CLI names itself in the commits it makes for a person
      expect(c.trailers).toEqual({ App: 'podinfo', Action: 'set-weight', Weights: w, 'Old-Weights': old, Step: step, 'Committed-By': expect.stringMatching(/^gitops-canary CLI \d+\.\d+\.\d+/) });
      const stable = 100 - pct;
      const snap = await remoteSnapshot(repo.remote);
      expect(snap).toEqual({ ...seed, [VS]: weights(seed[VS], stable, pct) });
      // the user's checkout is the pushed commit, clean
      expect(await repo.read(VS)).toBe(snap[VS]);
    }
    expect((await repo.run('status')).out).toContain('stable 0% / canary 100%');
  });

  it('release v0.2.1 from the source repo moves the canary only, writing 0.2.1', async () => {
    const before = await remoteHead();
    const pre = await remoteSnapshot(repo.remote);
    const r = await repo.run('release', 'ghcr.io/example/podinfo:v0.2.1', ...SRC);
    expect(r).toMatchObject({ code: 0, err: '' });
    const c = await expectOneNewCommit(before, [CANARY]);
    expect(c.subject).toBe('podinfo: canary 0.2.0 → 0.2.1');
    expect(c.trailers).toMatchObject({ App: 'podinfo', Action: 'release', Track: 'canary', Tag: '0.2.1', 'Old-Tag': '0.2.0', Source: 'example/podinfo' });
    expect(await remoteSnapshot(repo.remote)).toEqual({
      ...pre,
      [CANARY]: replaceExactly(pre[CANARY], 'ghcr.io/example/podinfo:0.2.0   # canary track', 'ghcr.io/example/podinfo:0.2.1   # canary track'),
    });
  });

  let beforeStableRelease: Record<string, string>;

  it('release v0.1.1 moves stable to 0.1.1', async () => {
    beforeStableRelease = await remoteSnapshot(repo.remote);
    const before = await remoteHead();
    const r = await repo.run('release', 'ghcr.io/example/podinfo:v0.1.1', ...SRC);
    expect(r).toMatchObject({ code: 0, err: '' });
    const c = await expectOneNewCommit(before, [GA]);
    expect(c.trailers).toMatchObject({ Action: 'release', Track: 'stable', Tag: '0.1.1', 'Old-Tag': '0.1.0' });
    expect((await remoteSnapshot(repo.remote))[GA]).toBe(replaceExactly(seed[GA], 'podinfo:0.1.0 ', 'podinfo:0.1.1 '));
  });

  it('release v0.1.0 (older than what runs) changes nothing, exits 0 and says why', async () => {
    const before = await remoteHead();
    const r = await repo.run('release', 'ghcr.io/example/podinfo:v0.1.0', ...SRC);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('podinfo: stable stays at 0.1.1; 0.1.0 not applied');
    expect(r.out).toContain('nothing to change');
    expect(r.out).toMatch(/ga-dep\.yaml .*: tag 0\.1\.0 is older than 0\.1\.1/);
    expect(await remoteHead()).toBe(before);
  });

  it('rollback podinfo restores the bytes from before the 0.1.1 release and holds 0.1.1', async () => {
    const before = await remoteHead();
    const released = (await repo.remoteLog())[0];
    const r = await repo.run('rollback', 'podinfo');
    expect(r).toMatchObject({ code: 0, err: '' });
    const c = await expectOneNewCommit(before, [GA]);
    expect(c.trailers).toMatchObject({ App: 'podinfo', Action: 'rollback', Track: 'stable', Hold: '0.1.1', Tag: '0.1.0', Reverts: released.sha });
    expect(await remoteSnapshot(repo.remote)).toEqual(beforeStableRelease);
    expect((await repo.run('status')).out).toMatch(/held\s+0\.1\.1/);
  });

  it('release v0.1.1 again is held: nothing changes', async () => {
    const before = await remoteHead();
    const r = await repo.run('release', 'ghcr.io/example/podinfo:v0.1.1', ...SRC);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/held/);
    expect(await remoteHead()).toBe(before);
    expect(await remoteSnapshot(repo.remote)).toEqual(beforeStableRelease);
  });

  it('release v0.1.2 (newer than the held tag) is applied', async () => {
    const before = await remoteHead();
    const r = await repo.run('release', 'ghcr.io/example/podinfo:v0.1.2', ...SRC);
    expect(r).toMatchObject({ code: 0, err: '' });
    const c = await expectOneNewCommit(before, [GA]);
    expect(c.trailers).toMatchObject({ Track: 'stable', Tag: '0.1.2', 'Old-Tag': '0.1.0' });
    expect((await remoteSnapshot(repo.remote))[GA]).toBe(replaceExactly(seed[GA], 'podinfo:0.1.0 ', 'podinfo:0.1.2 '));
    // linear history, no merges, nothing forced: every step above sits on the one before
    const log = await repo.remoteLog();
    expect(log.map((c) => c.subject)).toEqual([
      'podinfo: stable 0.1.0 → 0.1.2',
      'podinfo: roll back "podinfo: stable 0.1.0 → 0.1.1"',
      'podinfo: stable 0.1.0 → 0.1.1',
      'podinfo: canary 0.2.0 → 0.2.1',
      'podinfo: canary weight 60% → 100%',
      'podinfo: canary weight 10% → 60%',
      'podinfo: canary weight 0% → 10%',
      'Initial config',
    ]);
    for (let i = 0; i + 1 < log.length; i++) expect(log[i].parents).toEqual([log[i + 1].sha]);
  });
});
