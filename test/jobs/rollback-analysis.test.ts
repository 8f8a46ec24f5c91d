// A rollback is analyzed like any change, on the repo as the revert would leave it and
// before anything is committed: an error the revert brings stops it (strict) with the
// place named; an error the repo already has and keeps only warns, since a rollback is
// the emergency exit. Real git: a bare remote, the user's clone, the CLI in-process.
import { afterEach, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, replaceExactly, type ConfigRepo } from '../helpers/cli.ts';
import { git } from '../helpers/git-remote.ts';

const CONFIG = '.github/gitops-canary.yml';
const DR = 'apps/podinfo/destination-rule.yaml';
const GA = 'apps/podinfo/ga-dep.yaml';
const VS = 'apps/podinfo/virtual-service.yaml';

let repo: ConfigRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** The bot moves the canary to `weight`; then someone relabels the ga pods by hand, so
 *  the ga subset selects nothing from then on. */
async function relabelledAfter(weight: string, config?: (text: string) => string): Promise<ConfigRepo> {
  const seed = await exampleFiles();
  const r = await configRepo(config ? { ...seed, [CONFIG]: config(seed[CONFIG]) } : seed);
  const set = await r.run('set-weight', 'podinfo', weight);
  expect(set.code, set.err).toBe(0);
  await r.remote.commitOnRemote({ [GA]: replaceExactly(seed[GA], 'version: ga\n', 'version: ga2\n', 3) }, 'podinfo-ga: new labels');
  return r;
}

describe('rollback analysis', { timeout: 60_000 }, () => {
  it('a revert that would send traffic to a subset selecting no pod is refused; nothing is committed or pushed', async () => {
    repo = await relabelledAfter('100');
    const remoteBefore = await remoteSnapshot(repo.remote);
    const commits = (await repo.remoteLog()).length;
    const dr = remoteBefore[DR];
    for (const argv of [['rollback', 'podinfo'], ['rollback', 'podinfo', '--dry-run']]) {
      const r = await repo.run(...argv);
      expect(r.code).toBe(1);
      expect(r.err.split('\n')[0]).toBe(
        `gitops-canary: ${DR}:${lineOf(dr, 'version: ga')} DestinationRule/test/podinfo subsets[0].labels: subset "ga" selects no pod: no workload of Service Service/test/podinfo has version=ga in its pod template (Deployment/test/podinfo-canary version=canary; Deployment/test/podinfo-ga version=ga2)`,
      );
    }
    const json = await repo.run('rollback', 'podinfo', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ error: 'ANALYSIS_FAILED', findings: [{ severity: 'error', code: 'ISTIO_SUBSET_SELECTS_NOTHING', file: DR, field: 'subsets[0].labels' }] });
    expect(await remoteSnapshot(repo.remote)).toEqual(remoteBefore);
    expect((await repo.remoteLog()).length).toBe(commits);
    // no revert commit left behind in the user's checkout either, and a clean tree
    expect(await git(repo.dir, 'rev-parse', 'HEAD')).toBe(await git(repo.remote.bare, 'rev-parse', 'main'));
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
  });

  it('with analysis: warn the rollback is made and the error travels with it as a warning', async () => {
    repo = await relabelledAfter('100', (t) => t.replace('    delivery: commit\n', '    delivery: commit\n    analysis: warn\n'));
    const r = await repo.run('rollback', 'podinfo', '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('committed');
    expect(result.plan.warnings.map((w: { severity: string; code: string }) => `${w.severity} ${w.code}`)).toEqual(['warning ISTIO_SUBSET_SELECTS_NOTHING']);
    const [head] = await repo.remoteLog();
    expect(head.trailers).toMatchObject({ Action: 'rollback', Reverts: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(head.message).toMatch(/^This reverts commit [0-9a-f]{40}\.$/m);
    expect(head.message).toContain('Analysis warnings:');
    expect(head.message).toContain('subset "ga" selects no pod');
    expect(await repo.read(VS)).toContain('weight: 100');
  });

  it('an error the repo already has and keeps does not block the rollback (strict): it is a warning', async () => {
    // ga already takes 80 % and selects nothing: rolling back to 100 % breaks nothing new
    repo = await relabelledAfter('20');
    const text = await repo.run('rollback', 'podinfo');
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/^warning: apps\/podinfo\/destination-rule\.yaml:\d+ DestinationRule\/test\/podinfo subsets\[0\]\.labels: subset "ga" selects no pod: .*; so before this rollback too/m);
    const [head] = await repo.remoteLog();
    expect(head.trailers.Action).toBe('rollback');
    expect(head.message).toContain('so before this rollback too');
  });

  it('a clean rollback has no warnings and keeps git\'s own message', async () => {
    repo = await configRepo();
    expect((await repo.run('set-weight', 'podinfo', '20')).code).toBe(0);
    const r = await repo.run('rollback', 'podinfo', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).plan.warnings).toBeUndefined();
    const [head] = await repo.remoteLog();
    expect(head.message).not.toContain('Analysis warnings');
  });
});
