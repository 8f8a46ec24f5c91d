// Where the bins find the program: the compiled JavaScript in dist/ (`npm run build`, which
// `npm install` runs through `prepare`). GITOPS_CANARY_FROM_SOURCE=1 runs the TypeScript
// sources in src/ through tsx instead (a dev dependency), for a change tried without a
// build. The test suite runs the bins from dist/, which its global setup rebuilds when a
// source is newer.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Modules with a bundle of their own (scripts/bundle-cli.mjs), run in place of the
 *  compiled module of the same name: one file, compiled from V8's code cache (bundle.mjs). */
const BUNDLED = new Set(['cli']);

/** Modules with a small bundle of their own, loaded as any CommonJS file. */
const SMALL = new Map([['cli/early', 'cli-early.cjs']]);

/** What a run that loaded a bundle does once it is done: keep its compiled code. */
let saveCache = () => false;

export async function importModule(name) {
  if (process.env.GITOPS_CANARY_FROM_SOURCE === '1') {
    const { register } = await import('tsx/esm/api');
    register();
    return import(new URL(`../src/${name}.ts`, import.meta.url).href);
  }
  const small = SMALL.has(name) && fileURLToPath(new URL(`../dist/bundle/${SMALL.get(name)}`, import.meta.url));
  if (small && existsSync(small)) return createRequire(import.meta.url)(small);
  const bundle = new URL(`../dist/bundle/${name}.cjs`, import.meta.url);
  if (BUNDLED.has(name) && existsSync(bundle)) {
    const { loadBundle } = await import('./bundle.mjs');
    const loaded = loadBundle(fileURLToPath(bundle));
    saveCache = () => loaded.save();
    return loaded.exports;
  }
  const url = new URL(`../dist/${name}.js`, import.meta.url);
  if (!existsSync(url)) {
    process.stderr.write(`gitops-canary: ${url.pathname} is missing: run \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`);
    process.exit(1);
  }
  return import(url.href);
}

/** Writes the code cache of the bundle this run loaded, where none served it (bundle.mjs):
 *  called once the command is done, so the cache holds what it compiled. */
export function keepCompiledCode() {
  return saveCache();
}
