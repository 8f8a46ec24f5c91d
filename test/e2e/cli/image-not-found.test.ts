// A typo in an image or a track path fails loudly; "already at that tag" stays a success.
import { afterEach, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';

const CONFIG = '.github/gitops-canary.yml';
let repo: ConfigRepo | undefined;

afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

async function untouched(r: ConfigRepo, seed: Record<string, string>): Promise<void> {
  expect(await remoteSnapshot(r.remote)).toEqual(seed);
  expect((await r.remoteLog()).length).toBe(1);
  expect(await git(r.dir, 'status', '--porcelain')).toBe('');
}

describe('set-image and release with a typo', { timeout: 60_000 }, () => {
  it('set-image of an image no file references exits 1 with the closest image, text and --json', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    const expected = 'gitops-canary: no file references ghcr.io/example/podinf; did you mean ghcr.io/example/podinfo (in 2 files)?';
    const r = await repo.run('set-image', 'ghcr.io/example/podinf:0.2.5');
    expect(r).toEqual({ code: 1, out: '', err: expected });
    const j = await repo.run('set-image', 'ghcr.io/example/podinf:0.2.5', '--json');
    expect(j).toEqual({ code: 1, out: '', err: expected });
    await untouched(repo, seed);
  });

  it('set-image of the tag already there is still a success', async () => {
    repo = await configRepo();
    const r = await repo.run('set-image', 'ghcr.io/example/podinfo:0.2.0', '--path', 'apps/podinfo/canary-dep.yaml', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).status).toBe('unchanged');
  });

  it('release for an app whose image no track file names exits 1 naming config file:line', async () => {
    const seed = await exampleFiles();
    const config = replaceExactly(seed[CONFIG], 'image: ghcr.io/example/podinfo', 'image: ghcr.io/example/podinf');
    repo = await configRepo({ ...seed, [CONFIG]: config });
    const r = await repo.run('release', 'ghcr.io/example/podinf:0.2.5');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `gitops-canary: ${CONFIG}:5 apps.podinfo.image: ghcr.io/example/podinf appears in none of the app's track files (2 files); did you mean ghcr.io/example/podinfo (in apps/podinfo/canary-dep.yaml, apps/podinfo/ga-dep.yaml)?`,
    );
    await untouched(repo, { ...seed, [CONFIG]: config });
  });

  it('release with a track path typo warns and says why the track stays', async () => {
    const seed = await exampleFiles();
    const config = replaceExactly(seed[CONFIG], 'apps/podinfo/canary-dep.yaml', 'apps/podinfo/canary-dep.yml');
    repo = await configRepo({ ...seed, [CONFIG]: config });
    const r = await repo.run('release', 'ghcr.io/example/podinfo:0.2.5', '--dry-run');
    expect(r.err).toBe(
      `gitops-canary: warning: ${CONFIG}:9 apps.podinfo.tracks.canary.paths[0]: no such file in the repo: "apps/podinfo/canary-dep.yml" (did you mean "apps/podinfo/canary-dep.yaml"?)`,
    );
  });

  it('status shows the same warnings', async () => {
    const seed = await exampleFiles();
    const config = replaceExactly(seed[CONFIG], 'apps/podinfo/canary-dep.yaml', 'apps/podinfo/canary-dep.yml');
    repo = await configRepo({ ...seed, [CONFIG]: config });
    const r = await repo.run('status');
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: ${CONFIG}:9 apps.podinfo.tracks.canary.paths[0]: no such file in the repo`);
  });
});
