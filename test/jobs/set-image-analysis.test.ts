// The analysis mode of `set-image`: the `analysis` of the app the image belongs to, strict
// for an image no app names (and without a config that loads). Real config files on disk.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setImageAnalysis } from '../../src/jobs/set-image.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const app = (name: string, image: string, analysis?: string) => [
  `  ${name}:`,
  `    image: ${image}`,
  `    source: example/${name}`,
  ...(analysis ? [`    analysis: ${analysis}`] : []),
  '    tracks:',
  `      stable: { filter: "semver:0.1.*", paths: ["apps/${name}/dep.yaml"] }`,
  '    delivery: commit',
];

function repoWith(config: string | undefined): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'set-image-mode-'));
  if (config !== undefined) {
    mkdirSync(path.join(dir, '.github'));
    writeFileSync(path.join(dir, '.github/gitops-canary.yml'), config);
  }
  return dir;
}

describe('setImageAnalysis', () => {
  it('follows the app the image belongs to, however the image is spelt', () => {
    const d = repoWith(['apps:', ...app('web', 'nginx', 'warn'), ...app('api', 'ghcr.io/acme/api'), ''].join('\n'));
    expect(setImageAnalysis(d, 'docker.io/library/nginx')).toBe('warn');
    expect(setImageAnalysis(d, 'nginx')).toBe('warn');
    expect(setImageAnalysis(d, 'ghcr.io/acme/api')).toBe('strict');
  });

  it('is strict for an image no app names, and when one of the apps sharing the image is strict', () => {
    const d = repoWith(['apps:', ...app('web', 'ghcr.io/acme/web', 'warn'), ...app('web-eu', 'ghcr.io/acme/web'), ''].join('\n'));
    expect(setImageAnalysis(d, 'ghcr.io/acme/web')).toBe('strict');
    expect(setImageAnalysis(d, 'ghcr.io/acme/other')).toBe('strict');
  });

  it('is strict without a config, and with one that does not load', () => {
    expect(setImageAnalysis(repoWith(undefined), 'nginx')).toBe('strict');
    rmSync(dir!, { recursive: true, force: true });
    expect(setImageAnalysis(repoWith('apps:\n  web:\n    image: nginx\n    analysis: warn\n    fliter: x\n'), 'nginx')).toBe('strict');
  });
});
