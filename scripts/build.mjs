#!/usr/bin/env node
// Compiles src/ to dist/ with tsc (tsconfig.build.json), from a clean output directory so
// no file of a deleted module lingers in what ships, then bundles the CLI into
// dist/bundle/ with esbuild (scripts/bundle-cli.mjs), which the bin loads.
//
//   node scripts/build.mjs [--out DIR] [--if-stale]
//
// --if-stale is what `prepare` and `prestart` run: it builds only when a source is newer
// than the last build, so `npm start` after an edit runs the edit, and a repeated start
// costs a directory walk rather than a compile. Where TypeScript is not installed (a
// production install, `npm ci --omit=dev`, which runs `prepare` too), an existing build
// is used as it is; without one the install fails with what to do.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleCli } from './bundle-cli.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const STAMP = '.build-stamp';
/** Everything the compiled output depends on besides the sources themselves. The CLI's
 *  bundle holds the dependencies' code too: a lockfile change rebuilds it; its code cache
 *  is of the script bin/bundle.mjs makes of it. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'scripts/bundle-cli.mjs', 'bin/bundle.mjs'];

const { values } = parseArgs({ options: { out: { type: 'string' }, 'if-stale': { type: 'boolean' } } });
const out = path.resolve(ROOT, values.out ?? 'dist');

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function stale() {
  const stamp = path.join(out, STAMP);
  if (!existsSync(stamp)) return true;
  const inputs = Math.max(newestMtime(path.join(ROOT, 'src')), ...INPUTS.map((f) => statSync(path.join(ROOT, f), { throwIfNoEntry: false })?.mtimeMs ?? 0));
  return inputs > statSync(stamp).mtimeMs;
}

function tscPath() {
  try {
    return createRequire(path.join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

if (values['if-stale'] && !stale()) process.exit(0);
const tsc = tscPath();
if (!tsc) {
  if (existsSync(path.join(out, 'main.js'))) process.exit(0);
  process.stderr.write(`gitops-canary: ${path.relative(ROOT, out) || out}/ holds no build and TypeScript is not installed: run \`npm install\` (with the dev dependencies) and \`npm run build\`\n`);
  process.exit(1);
}
// the stamp carries the start time: a source saved during the compile makes the next run build
const started = new Date();
rmSync(out, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// without esbuild (a dev dependency, as TypeScript) the bin runs dist/cli.js as it is
await bundleCli(ROOT, out);
writeFileSync(path.join(out, STAMP), `${started.toISOString()}\n`);
utimesSync(path.join(out, STAMP), started, started);
