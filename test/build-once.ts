// Vitest global setup: compiles src/ to dist/ when a source is newer than the last build
// (scripts/build.mjs --if-stale, as `npm start` does), so that tests which start the bot
// or a bin in a process of its own run it as installed, from a build of the sources
// beside them. After `npm install` the build is fresh and this costs a directory walk.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

export function setup(): () => void {
  // A bin whose build's code cache does not serve it (another Node.js, other flags) keeps
  // one in the user's cache directory (bin/bundle.mjs): the suite's go to a directory of
  // its own, removed at the end, never the home of whoever runs it.
  const caches = mkdtempSync(path.join(os.tmpdir(), 'gcb-code-cache-'));
  process.env.GITOPS_CANARY_CACHE_DIR = caches;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/build.mjs --if-stale failed (exit ${String(r.status ?? r.signal)}): the bot cannot be started from dist/`);
  return () => rmSync(caches, { recursive: true, force: true });
}
