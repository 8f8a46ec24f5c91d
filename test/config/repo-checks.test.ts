// Config checks against the repo's files: each problem with file:line, field, severity
// and a did-you-mean where the repo has a near name.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfigAgainstRepo, formatRepoIssue, loadConfig, refuseRepoErrors, type RepoCheckOptions } from '../../src/config/index.ts';
import { directoryFiles } from '../../src/manifests/files.ts';
import { EXAMPLE_DIR } from '../helpers/cli.ts';

const CONFIG = '.github/gitops-canary.yml';
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

/** The example repo with its config edited by `edit`; the lines of the issues found. */
async function check(edit: (config: string) => string, opts: Pick<RepoCheckOptions, 'purpose'> = {}): Promise<string[]> {
  dir = mkdtempSync(path.join(os.tmpdir(), 'repo-checks-'));
  copyDir(EXAMPLE_DIR, dir);
  const file = path.join(dir, CONFIG);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  const loaded = loadConfig(dir)!;
  const issues = await checkConfigAgainstRepo(directoryFiles(dir), loaded.config, { ...opts, file: loaded.file, lineOf: loaded.lineOf });
  return issues.map(formatRepoIssue);
}

const replace = (from: string, to: string) => (text: string) => {
  expect(text).toContain(from);
  return text.replace(from, to);
};

describe('checkConfigAgainstRepo', () => {
  it('finds nothing wrong with the embedded example', async () => {
    expect(await check((t) => t)).toEqual([]);
  });

  it('a track path naming no file is a warning with the nearest file', async () => {
    expect(await check(replace('apps/podinfo/canary-dep.yaml', 'apps/podinfo/canary-dep.yml'))).toEqual([
      `warning: ${CONFIG}:9 apps.podinfo.tracks.canary.paths[0]: no such file in the repo: "apps/podinfo/canary-dep.yml" (did you mean "apps/podinfo/canary-dep.yaml"?)`,
    ]);
  });

  it('a glob matching nothing is a warning', async () => {
    expect(await check(replace('"apps/podinfo/canary-dep.yaml"', '"apps/podinfo/canary/*.yaml"'))).toEqual([
      `warning: ${CONFIG}:9 apps.podinfo.tracks.canary.paths[0]: glob matches no file in the repo: "apps/podinfo/canary/*.yaml"`,
    ]);
  });

  it('no track path matching anything: a warning to look at, an error before a change', async () => {
    const edit = (t: string) => replace('apps/podinfo/ga-dep.yaml', 'apps/podinfo/ga.yaml')(replace('apps/podinfo/canary-dep.yaml', 'apps/podinfo/canary.yaml')(t));
    const summary = `${CONFIG}:7 apps.podinfo.tracks: no track path matches a file in the repo, so no release of ghcr.io/example/podinfo can change anything`;
    expect((await check(edit)).at(-1)).toBe(`warning: ${summary}`);
    expect((await check(edit, { purpose: 'change' })).at(-1)).toBe(summary);
  });

  it('an image no track file names is an error naming the image there', async () => {
    expect(await check(replace('image: ghcr.io/example/podinfo', 'image: ghcr.io/example/podinf'))).toEqual([
      `${CONFIG}:5 apps.podinfo.image: ghcr.io/example/podinf appears in none of the app's track files (2 files); did you mean ghcr.io/example/podinfo (in apps/podinfo/canary-dep.yaml, apps/podinfo/ga-dep.yaml)?`,
    ]);
  });

  it('a stable subset the route does not have is an error with the subsets there', async () => {
    expect(await check(replace('stable: { subset: ga }', 'stable: { subset: gaa }'))).toEqual([
      `${CONFIG}:12 apps.podinfo.traffic.stable: stable subset "gaa" is not a destination in apps/podinfo/virtual-service.yaml (did you mean "ga"?)`,
    ]);
  });

  it('a canary subset near one the route has is an error', async () => {
    expect(await check(replace('canary: { subset: canary }', 'canary: { subset: canery }'))).toEqual([
      `${CONFIG}:13 apps.podinfo.traffic.canary: canary subset "canery" is not a destination in apps/podinfo/virtual-service.yaml (did you mean "canary"?)`,
    ]);
  });

  it('a route name the file does not have is an error with the near name', async () => {
    expect(await check(replace('      stable: { subset: ga }', '      route: primery\n      stable: { subset: ga }'))).toEqual([
      `${CONFIG}:12 apps.podinfo.traffic.route: no route named "primery" in apps/podinfo/virtual-service.yaml (did you mean "primary"?)`,
    ]);
  });

  it('a traffic file that does not exist is an error with the nearest file', async () => {
    expect(await check(replace('file: apps/podinfo/virtual-service.yaml', 'file: apps/podinfo/virtualservice.yaml'))).toEqual([
      `${CONFIG}:11 apps.podinfo.traffic.file: no file "apps/podinfo/virtualservice.yaml" in the repo (did you mean "apps/podinfo/virtual-service.yaml"?)`,
    ]);
  });

  it('analysis: warn turns the errors into warnings', async () => {
    const edit = (t: string) => replace('image: ghcr.io/example/podinfo', 'image: ghcr.io/example/podinf\n    analysis: warn')(t);
    expect(await check(edit)).toEqual([expect.stringMatching(/^warning: \.github\/gitops-canary\.yml:5 apps\.podinfo\.image: ghcr\.io\/example\/podinf appears in none/)]);
  });

  it('refuseRepoErrors throws every error at once and returns the warnings', async () => {
    await check((t) => t);
    const text = readFileSync(path.join(dir!, CONFIG), 'utf8')
      .replace('stable: { subset: ga }', 'stable: { subset: gaa }')
      .replace('image: ghcr.io/example/podinfo', 'image: ghcr.io/example/podinf');
    writeFileSync(path.join(dir!, CONFIG), text);
    const loaded = loadConfig(dir!)!;
    await expect(refuseRepoErrors(directoryFiles(dir!), loaded, { purpose: 'change' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [expect.objectContaining({ field: 'apps.podinfo.image', line: 5 }), expect.objectContaining({ field: 'apps.podinfo.traffic.stable', line: 12 })],
    });
  });
});
