// The config's checks against the repo as analysis findings: warnings on the bot's
// changes (the gate's `repoChecks`), findings of `validate` with the config's lines.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gate } from '../../src/analysis/gate.ts';
import { validateRepo } from '../../src/analysis/validate.ts';
import { directoryFiles } from '../../src/manifests/files.ts';
import type { Plan } from '../../src/plan.ts';
import { EXAMPLE_DIR } from '../helpers/cli.ts';

const CONFIG = '.github/gitops-canary.yml';
const CANARY = 'apps/podinfo/canary-dep.yaml';
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The example repo with a second canary path that matches nothing and an image typo in
 *  the config: a warning and an error of the repo checks. */
function example(edit: (config: string) => string): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'config-findings-'));
  cpSync(EXAMPLE_DIR, dir, { recursive: true });
  const file = path.join(dir, CONFIG);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}
const extraPath = (t: string) => t.replace('paths: ["apps/podinfo/canary-dep.yaml"]', 'paths: ["apps/podinfo/canary-dep.yaml", "apps/podinfo/canary-extra.yaml"]');

const plan = (app = 'podinfo'): Plan => ({
  action: 'release',
  app,
  title: 'podinfo: canary 0.2.1',
  edits: [{ file: CANARY, object: { kind: 'Deployment', namespace: 'test', name: 'podinfo-canary' }, field: 'spec.template.spec.containers[podinfod].image', old: 'ghcr.io/example/podinfo:0.2.0', new: 'ghcr.io/example/podinfo:0.2.1' }],
  skipped: [],
  trailers: {},
});

describe('repo checks in the gate (the bot)', () => {
  it('join the plan as warnings with the config\'s file, line and field; errors too, since the bot only reports', async () => {
    const d = example((t) => extraPath(t).replace('image: ghcr.io/example/podinfo', 'image: ghcr.io/example/podinf'));
    const files = directoryFiles(d);
    const writes = new Map([[CANARY, readFileSync(path.join(d, CANARY), 'utf8').replace('podinfo:0.2.0', 'podinfo:0.2.1')]]);
    const p = await gate(files, { plan: plan(), writes }, 'strict', { repoChecks: true });
    expect(p.plan.warnings?.map((w) => `${w.severity} ${w.code} ${w.file}:${w.line} ${w.field}`)).toEqual([
      `warning CONFIG_PATH_NO_FILE ${CONFIG}:9 apps.podinfo.tracks.canary.paths[1]`,
      `warning CONFIG_IMAGE_NOT_IN_TRACKS ${CONFIG}:5 apps.podinfo.image`,
    ]);
    // not asked for (the CLI checks before it plans), or nothing to deliver: none
    expect((await gate(files, { plan: plan(), writes }, 'strict')).plan.warnings).toBeUndefined();
    expect((await gate(files, { plan: plan(), writes: new Map() }, 'strict', { repoChecks: true })).plan.warnings).toBeUndefined();
    // only the app the change is about
    expect((await gate(files, { plan: plan('other'), writes }, 'strict', { repoChecks: true })).plan.warnings).toBeUndefined();
  });
});

describe('repo checks in validate', () => {
  it('are findings beside the analysis, the errors failing it', async () => {
    const d = example((t) => extraPath(t).replace('image: ghcr.io/example/podinfo', 'image: ghcr.io/example/podinf'));
    const v = await validateRepo(d, directoryFiles(d));
    expect(v.findings.map((f) => `${f.severity} ${f.code} ${f.file}:${f.line} ${f.field}`)).toEqual([
      `error CONFIG_IMAGE_NOT_IN_TRACKS ${CONFIG}:5 apps.podinfo.image`,
      `warning CONFIG_PATH_NO_FILE ${CONFIG}:9 apps.podinfo.tracks.canary.paths[1]`,
    ]);
    expect(v.findings[0].message).toContain('did you mean ghcr.io/example/podinfo');
  });

  it('the example is clean', async () => {
    const d = example((t) => t);
    expect((await validateRepo(d, directoryFiles(d))).findings).toEqual([]);
  });
});
