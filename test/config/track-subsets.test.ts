// "The stable and canary subsets select the workloads of their tracks": a subset that
// picks only the other track's pods is an error on the config's subset; one that misses
// its own track's pods, or picks both tracks', a warning. On copies of the example repo.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfigAgainstRepo, formatRepoIssue, loadConfig, refuseRepoErrors } from '../../src/config/index.ts';
import { directoryFiles } from '../../src/manifests/files.ts';
import { EXAMPLE_DIR } from '../helpers/cli.ts';

const CONFIG = '.github/gitops-canary.yml';
const DR = 'apps/podinfo/destination-rule.yaml';
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function copyDir(from: string, to: string): void {
  for (const e of readdirSync(from)) {
    const src = path.join(from, e);
    if (statSync(src).isDirectory()) {
      mkdirSync(path.join(to, e), { recursive: true });
      copyDir(src, path.join(to, e));
    } else writeFileSync(path.join(to, e), readFileSync(src));
  }
}

/** The example repo with files edited (`from` → `to`, each must occur); the issues found. */
async function check(edits: Record<string, Array<[string, string]>>): Promise<string[]> {
  dir = mkdtempSync(path.join(os.tmpdir(), 'track-subsets-'));
  copyDir(EXAMPLE_DIR, dir);
  for (const [rel, pairs] of Object.entries(edits)) {
    let text = readFileSync(path.join(dir, rel), 'utf8');
    for (const [from, to] of pairs) {
      expect(text).toContain(from);
      text = text.split(from).join(to);
    }
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  const loaded = loadConfig(dir)!;
  return (await checkConfigAgainstRepo(directoryFiles(dir), loaded.config, { file: loaded.file, lineOf: loaded.lineOf })).map(formatRepoIssue);
}

describe('the stable and canary subsets select the workloads of their tracks', () => {
  it('a canary subset whose labels pick the stable track\'s pods is an error naming the workload', async () => {
    expect(await check({ [DR]: [['        version: canary', '        version: ga']] })).toEqual([
      `${CONFIG}:13 apps.podinfo.traffic.canary.subset: subset "canary" selects apps/podinfo/ga-dep.yaml Deployment/test/podinfo-ga, a workload of the stable track, and none of the canary track's (DestinationRule test/podinfo: version=ga)`,
    ]);
  });

  it('swapped labels: both subsets are errors', async () => {
    const issues = await check({ [DR]: [['        version: ga', '        version: X'], ['        version: canary', '        version: ga'], ['        version: X', '        version: canary']] });
    expect(issues).toEqual([
      `${CONFIG}:12 apps.podinfo.traffic.stable.subset: subset "ga" selects apps/podinfo/canary-dep.yaml Deployment/test/podinfo-canary, a workload of the canary track, and none of the stable track's (DestinationRule test/podinfo: version=canary)`,
      `${CONFIG}:13 apps.podinfo.traffic.canary.subset: subset "canary" selects apps/podinfo/ga-dep.yaml Deployment/test/podinfo-ga, a workload of the stable track, and none of the canary track's (DestinationRule test/podinfo: version=ga)`,
    ]);
  });

  it('a subset picking both tracks\' pods, or none of its own, is a warning', async () => {
    expect(await check({ [DR]: [['        version: canary', '        app: podinfo']] })).toEqual([
      `warning: ${CONFIG}:13 apps.podinfo.traffic.canary.subset: subset "canary" selects apps/podinfo/ga-dep.yaml Deployment/test/podinfo-ga of the stable track too, so the canary weight goes to both tracks (DestinationRule test/podinfo: app=podinfo)`,
    ]);
    expect(await check({ [DR]: [['        version: canary', '        version: canary-v2']] })).toEqual([
      `warning: ${CONFIG}:13 apps.podinfo.traffic.canary.subset: subset "canary" selects none of the canary track's workloads (apps/podinfo/canary-dep.yaml Deployment/test/podinfo-canary) (DestinationRule test/podinfo: version=canary-v2)`,
    ]);
  });

  it('the Service selector narrows what a subset picks, as Istio combines them', async () => {
    // `tier: web` alone picks the pods of both tracks; with the Service's app=podinfo, only the stable ones
    const issues = await check({
      [DR]: [['        version: canary', '        tier: web']],
      'apps/podinfo/ga-dep.yaml': [['        version: ga\n', '        version: ga\n        tier: web\n']],
      'apps/podinfo/canary-dep.yaml': [['app: podinfo', 'app: podinfo-next'], ['        version: canary\n', '        version: canary\n        tier: web\n']],
    });
    expect(issues.filter((i) => i.includes('traffic.canary.subset'))).toEqual([
      `${CONFIG}:13 apps.podinfo.traffic.canary.subset: subset "canary" selects apps/podinfo/ga-dep.yaml Deployment/test/podinfo-ga, a workload of the stable track, and none of the canary track's (DestinationRule test/podinfo: tier=web)`,
    ]);
  });

  it('an app with analysis: warn gets it as a warning; a change refuses it otherwise', async () => {
    const edits = { [DR]: [['        version: canary', '        version: ga']] as Array<[string, string]> };
    await check(edits);
    const loaded = loadConfig(dir!)!;
    await expect(refuseRepoErrors(directoryFiles(dir!), loaded, { purpose: 'change' })).rejects.toMatchObject({ issues: [expect.objectContaining({ code: 'CONFIG_SUBSET_WRONG_TRACK', field: 'apps.podinfo.traffic.canary.subset' })] });
    rmSync(dir!, { recursive: true, force: true });
    const warned = await check({ ...edits, [CONFIG]: [['    delivery: commit', '    delivery: commit\n    analysis: warn']] });
    expect(warned).toEqual([expect.stringMatching(/^warning: .*subset "canary" selects apps\/podinfo\/ga-dep\.yaml/)]);
  });

  it('host backends, and a route the bot cannot read, are not this check\'s business', async () => {
    expect(await check({})).toEqual([]);
    const hosts = await check({ [CONFIG]: [['stable: { subset: ga }', 'stable: { host: podinfo-ga }'], ['canary: { subset: canary }', 'canary: { host: podinfo-canary }']] });
    expect(hosts.some((i) => i.includes('.subset:'))).toBe(false);
  });
});
