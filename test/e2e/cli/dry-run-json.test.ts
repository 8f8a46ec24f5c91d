// --dry-run plans against the checkout and changes nothing anywhere; --json prints the
// plan as data (file, object, field, old, new) for scripts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, type ConfigRepo } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';

let repo: ConfigRepo;

beforeEach(async () => {
  repo = await configRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

async function state() {
  return {
    remote: await remoteSnapshot(repo.remote),
    log: (await repo.remoteLog()).map((c) => c.sha),
    localHead: (await git(repo.dir, 'rev-parse', 'HEAD')).trim(),
    localStatus: await git(repo.dir, 'status', '--porcelain', '--untracked-files=all'),
  };
}

describe('--dry-run and --json', { timeout: 60_000 }, () => {
  it('--dry-run writes nothing and commits nothing, for every command that changes files', async () => {
    const before = await state();
    for (const argv of [
      ['set-weight', 'podinfo', '60'],
      ['release', 'ghcr.io/example/podinfo:v0.2.1', '--source', 'example/podinfo'],
      ['set-image', 'ghcr.io/example/podinfo:0.3.0'],
    ]) {
      const r = await repo.run(...argv, '--dry-run');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/->/);
      expect(await state()).toEqual(before);
    }
    // the files on disk still say what the seed says
    const seed = await exampleFiles();
    expect(await repo.read('apps/podinfo/virtual-service.yaml')).toBe(seed['apps/podinfo/virtual-service.yaml']);
    expect(before.localStatus).toBe('');
  });

  it('rollback --dry-run names what it would revert and leaves the remote alone', async () => {
    expect((await repo.run('set-weight', 'podinfo', '10')).code).toBe(0);
    const before = await state();
    const r = await repo.run('rollback', 'podinfo', '--dry-run', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('dry-run');
    expect(result.plan.trailers).toMatchObject({ App: 'podinfo', Action: 'rollback', Weights: 'stable=100,canary=0' });
    expect(await state()).toEqual(before);
  });

  it('--json prints the plan edits (file, object, field, old, new) and parses', async () => {
    const r = await repo.run('set-weight', 'podinfo', '10', '--dry-run', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('dry-run');
    expect(result.plan.edits).toEqual([
      {
        file: 'apps/podinfo/virtual-service.yaml',
        object: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'test', name: 'podinfo' },
        field: 'spec.http[primary].route[0].weight',
        old: 100,
        new: 90,
      },
      {
        file: 'apps/podinfo/virtual-service.yaml',
        object: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'test', name: 'podinfo' },
        field: 'spec.http[primary].route[1].weight',
        old: 0,
        new: 10,
      },
    ]);
  });

  it('--json on a committing run reports the commit that is on the remote', async () => {
    const r = await repo.run('release', 'ghcr.io/example/podinfo:v0.2.1', '--source', 'example/podinfo', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('committed');
    expect(result.commit).toBe((await repo.remoteLog())[0].sha);
    expect(result.plan.edits).toEqual([
      {
        file: 'apps/podinfo/canary-dep.yaml',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'podinfo-canary' },
        field: 'spec.template.spec.containers[podinfod].image',
        old: 'ghcr.io/example/podinfo:0.2.0',
        new: 'ghcr.io/example/podinfo:0.2.1',
      },
    ]);
  });

  it('--json on a no-op says unchanged, with the reasons in skipped', async () => {
    const r = await repo.run('release', 'ghcr.io/example/podinfo:0.0.9', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('unchanged');
    expect(result.plan.edits).toEqual([]);
    expect(result.plan.skipped).toEqual([
      expect.objectContaining({ code: 'TAG_NO_TRACK', file: '.github/gitops-canary.yml', field: 'apps.podinfo.tracks.stable.filter' }),
      expect.objectContaining({ code: 'TAG_NO_TRACK', file: '.github/gitops-canary.yml', field: 'apps.podinfo.tracks.canary.filter' }),
    ]);
  });
});
