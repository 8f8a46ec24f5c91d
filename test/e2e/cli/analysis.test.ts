// Analysis before a change lands, through the CLI: a route to a subset no DestinationRule
// defines exits 1 naming the place and the likely fix, and nothing is written, committed
// or pushed; what the repo does not hold at all travels with the change as a warning.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';

const CONFIG = '.github/gitops-canary.yml';
const VS = 'apps/podinfo/virtual-service.yaml';
const DR = 'apps/podinfo/destination-rule.yaml';
const ROOT = path.resolve(import.meta.dirname, '../../..');

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

const lineOf = (text: string, needle: string, nth = 0) => text.split('\n').findIndex((l, i, all) => l.includes(needle) && all.slice(0, i).filter((x) => x.includes(needle)).length === nth) + 1;

describe('analysis of CLI changes', { timeout: 60_000 }, () => {
  it('set-weight with a misspelt canary subset exits 1 naming file:line, object, field and the did-you-mean; the repo is unchanged', async () => {
    const seed = await exampleFiles();
    const files = { ...seed, [CONFIG]: replaceExactly(seed[CONFIG], 'canary: { subset: canary }', 'canary: { subset: canry }') };
    repo = await configRepo(files);
    const r = await repo.run('set-weight', 'podinfo', '20');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^gitops-canary: /);
    // whichever check stops it (the config's own traffic check or the analysis), it names the fix
    expect(r.err).toContain('canry');
    expect(r.err).toContain('did you mean "canary"');
    await untouched(repo, files);
  });

  it('a route to a subset the DestinationRule lacks is refused by analysis, with file:line, object and field', async () => {
    const seed = await exampleFiles();
    // config and route agree on `canry`; only the DestinationRule says otherwise
    const vs = replaceExactly(seed[VS], 'subset: canary', 'subset: canry');
    const files = { ...seed, [VS]: vs, [CONFIG]: replaceExactly(seed[CONFIG], 'canary: { subset: canary }', 'canary: { subset: canry }') };
    repo = await configRepo(files);
    for (const argv of [['set-weight', 'podinfo', '20'], ['set-weight', 'podinfo', '20', '--dry-run']]) {
      const r = await repo.run(...argv);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `gitops-canary: ${VS}:${lineOf(vs, 'subset: canry')} VirtualService/test/podinfo http[0].route[1].destination.subset: subset "canry" is not defined by DestinationRule test/podinfo (defines ga, canary) (did you mean "canary"?)`,
      );
    }
    const json = await repo.run('set-weight', 'podinfo', '20', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ error: 'ANALYSIS_FAILED', findings: [{ severity: 'error', code: 'ISTIO_UNKNOWN_SUBSET', file: VS, field: 'http[0].route[1].destination.subset' }] });
    await untouched(repo, files);
  });

  it('with analysis: warn the change is made and the errors travel with it as warnings', async () => {
    const seed = await exampleFiles();
    const vs = replaceExactly(seed[VS], 'subset: canary', 'subset: canry');
    const config = replaceExactly(seed[CONFIG], 'canary: { subset: canary }', 'canary: { subset: canry }').replace('    delivery: commit\n', '    delivery: commit\n    analysis: warn\n');
    repo = await configRepo({ ...seed, [VS]: vs, [CONFIG]: config });
    const r = await repo.run('set-weight', 'podinfo', '20');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('warning: apps/podinfo/virtual-service.yaml');
    const [head] = await repo.remoteLog();
    expect(head.message).toContain('Analysis warnings:');
    expect(head.message).toContain('subset "canry" is not defined by DestinationRule test/podinfo');
  });

  it('a DestinationRule the repo does not hold is a warning: the change is committed and says so', async () => {
    const seed = await exampleFiles();
    const files = { ...seed };
    delete files[DR];
    repo = await configRepo(files);
    const r = await repo.run('set-weight', 'podinfo', '20', '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('committed');
    expect(result.plan.warnings.map((w: { code: string; severity: string }) => `${w.severity} ${w.code}`)).toEqual(['warning ISTIO_RULE_ELSEWHERE', 'warning ISTIO_RULE_ELSEWHERE']);
    const [head] = await repo.remoteLog();
    expect(head.message).toContain('no DestinationRule for host podinfo.test.svc.cluster.local in the repo');
  });

  it('set-image is analyzed too: only the objects it touches, so a broken route elsewhere does not block it', async () => {
    const seed = await exampleFiles();
    const files = { ...seed, [VS]: replaceExactly(seed[VS], 'subset: canary', 'subset: canry') };
    repo = await configRepo(files);
    const r = await repo.run('set-image', 'ghcr.io/example/podinfo:0.2.1', '--path', 'apps/podinfo/canary-dep.yaml');
    expect(r.code, r.err).toBe(0);
    expect((await repo.remoteLog()).length).toBe(2);
  });
});

describe('gitops-canary validate', { timeout: 60_000 }, () => {
  it('the embedded example is clean: exit 0', async () => {
    repo = await configRepo();
    const r = await repo.run('validate');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('ok: 0 error(s), 0 warning(s) in the config and 2 routing file(s)');
    const json = JSON.parse((await repo.run('validate', '--json')).out);
    expect(json).toEqual({ ok: true, errors: 0, warnings: 0, files: [DR, VS], findings: [] });
  });

  it('errors exit 1; --format github prints workflow-command annotations', async () => {
    const seed = await exampleFiles();
    // the ga subset takes all the traffic: a label that selects no pod is an error
    const dr = replaceExactly(seed[DR], '        version: ga\n', '        version: gaa\n');
    repo = await configRepo({ ...seed, [DR]: dr });
    const text = await repo.run('validate');
    expect(text.code).toBe(1);
    expect(text.out).toContain(`${DR}:${lineOf(dr, 'version: gaa')} DestinationRule/test/podinfo subsets[0].labels: subset "ga" selects no pod`);
    const gh = await repo.run('validate', '--format', 'github');
    expect(gh.code).toBe(1);
    expect(gh.out.split('\n')).toContain(
      `::error file=${DR},line=${lineOf(dr, 'version: gaa')},title=ISTIO_SUBSET_SELECTS_NOTHING::DestinationRule/test/podinfo subsets[0].labels: subset "ga" selects no pod: no workload of Service Service/test/podinfo has version=gaa in its pod template (Deployment/test/podinfo-canary version=canary; Deployment/test/podinfo-ga version=ga)`,
    );
    expect((await repo.run('validate', '--format', 'yaml')).code).toBe(2);
  });

  it('a subset no route sends traffic to that selects no pod is a warning (declared ahead of its rollout)', async () => {
    const seed = await exampleFiles();
    const dr = replaceExactly(seed[DR], '        version: canary', '        version: canry');
    repo = await configRepo({ ...seed, [DR]: dr });
    const r = await repo.run('validate', '--format', 'github');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`::warning file=${DR},line=${lineOf(dr, 'version: canry')},title=ISTIO_SUBSET_SELECTS_NOTHING::`);
    // the first rollout step would send it traffic: that change is refused
    const step = await repo.run('set-weight', 'podinfo', '10');
    expect(step.code).toBe(1);
    expect(step.err).toContain('subset "canary" selects no pod');
  });

  it('config errors are findings too, with file and line', async () => {
    const seed = await exampleFiles();
    repo = await configRepo({ ...seed, [CONFIG]: seed[CONFIG].replace('    traffic:\n', '    trafic:\n') });
    const r = await repo.run('validate', '--format', 'github');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^::error file=\.github\/gitops-canary\.yml,line=\d+,title=CONFIG_INVALID::apps\.podinfo\.trafic: unknown key "trafic" \(did you mean "traffic"\?\)/);
  });

  it('the action entry point reads its inputs as INPUT_* variables and annotates paths from the workspace', async () => {
    const seed = await exampleFiles();
    repo = await configRepo({ ...seed, [VS]: replaceExactly(seed[VS], 'subset: canary', 'subset: canry') });
    const workspace = path.dirname(repo.dir);
    const env = { ...process.env, GITHUB_WORKSPACE: workspace, INPUT_REPO: path.basename(repo.dir), INPUT_FORMAT: 'github' };
    const run = promisify(execFile);
    const failed = await run(process.execPath, [path.join(ROOT, 'bin/gitops-canary-action.mjs')], { env, cwd: workspace }).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain(`::error file=${path.basename(repo.dir)}/${VS},line=`);
    expect(failed?.stdout).toContain('title=ISTIO_UNKNOWN_SUBSET::VirtualService/test/podinfo http[0].route[1].destination.subset: subset "canry"');
    // a clean repo (the embedded example, from the bot's own checkout): exit 0, only the summary
    const clean = await run(process.execPath, [path.join(ROOT, 'bin/gitops-canary-action.mjs')], { env: { ...env, GITHUB_WORKSPACE: ROOT, INPUT_REPO: 'examples/local-config-repo', INPUT_FORMAT: '' } });
    expect(clean.stdout.trim()).toBe('0 error(s), 0 warning(s) in the config and 2 routing file(s)');
  });
});
