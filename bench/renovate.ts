// Renovate's offline extract of a repo, for bench/scale.ts to put beside the full image
// extract: `--platform=local --dry-run=extract` in the repo (no clone, no lookups, no
// network), with the managers that read what the bot reads (Kubernetes manifests,
// kustomize images, Flux, Helm values) and no repository cache, so it reads and parses
// every file as a cold extract of ours does.
//
// Which Renovate: RENOVATE_BIN (its bin, or dist/renovate.js run with RENOVATE_NODE or
// this Node), else `renovate` on PATH. Renovate 44 needs Node 24; an older Node is told
// to carry on (RENOVATE_X_IGNORE_NODE_WARN).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const CONFIG = `module.exports = {
  platform: 'local',
  dryRun: 'extract',
  onboarding: false,
  requireConfig: 'ignored',
  repositoryCache: 'disabled',
  enabledManagers: ['kubernetes', 'kustomize', 'flux', 'helm-values'],
  kubernetes: { managerFilePatterns: ['/\\\\.ya?ml$/'] },
  'helm-values': { managerFilePatterns: ['/(^|/)values\\\\.ya?ml$/'] },
};
`;

export type RenovateRun = { ok: true; version: string; ms: number; files: number; deps: number } | { ok: false; why: string };

function command(): { file: string; args: string[] } {
  const bin = process.env.RENOVATE_BIN;
  if (!bin) return { file: 'renovate', args: [] };
  return bin.endsWith('.js') ? { file: process.env.RENOVATE_NODE ?? process.execPath, args: [bin] } : { file: bin, args: [] };
}

/** Renovate's version, or why it cannot be run here. */
export function renovateVersion(): { ok: true; version: string } | { ok: false; why: string } {
  const c = command();
  const r = spawnSync(c.file, [...c.args, '--version'], { encoding: 'utf8', env: { ...process.env, RENOVATE_X_IGNORE_NODE_WARN: 'true' } });
  if (r.error || r.status !== 0) return { ok: false, why: `Renovate is not installed here (${c.file} ${c.args.join(' ')}: ${r.error?.message ?? r.stderr.trim().split('\n')[0]}); set RENOVATE_BIN to run it` };
  return { ok: true, version: r.stdout.trim() };
}

/** One offline extract of the repo at `dir`, wall time of the whole process. */
export function renovateExtract(dir: string): RenovateRun {
  const v = renovateVersion();
  if (!v.ok) return v;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-renovate-'));
  try {
    const config = path.join(tmp, 'config.js');
    writeFileSync(config, CONFIG);
    const c = command();
    const env: Record<string, string | undefined> = { ...process.env, RENOVATE_CONFIG_FILE: config, LOG_LEVEL: 'info', LOG_FORMAT: 'json', RENOVATE_X_IGNORE_NODE_WARN: 'true', RENOVATE_BASE_DIR: path.join(tmp, 'base') };
    const start = performance.now();
    const r = spawnSync(c.file, c.args, { cwd: dir, encoding: 'utf8', env, maxBuffer: 1024 * 1024 * 1024 });
    const ms = performance.now() - start;
    if (r.status !== 0) return { ok: false, why: `renovate exited ${String(r.status ?? r.signal)}: ${r.stderr.slice(-500)}` };
    for (const line of r.stdout.split('\n')) {
      if (!line.includes('Dependency extraction complete')) continue;
      const stats = (JSON.parse(line) as { stats?: { total?: { fileCount: number; depCount: number } } }).stats?.total;
      if (stats) return { ok: true, version: v.version, ms, files: stats.fileCount, deps: stats.depCount };
    }
    return { ok: false, why: 'renovate printed no "Dependency extraction complete" line' };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
