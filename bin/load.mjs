// Where the bins find the program: the compiled JavaScript in dist/ (`npm run build`, which
// `npm install` runs through `prepare`). GITOPS_CANARY_FROM_SOURCE=1 runs the TypeScript
// sources in src/ through tsx instead (a dev dependency), for a change tried without a
// build. The test suite runs the bins from dist/, which its global setup rebuilds when a
// source is newer.
import { existsSync } from 'node:fs';

/** Modules with a bundle of their own (scripts/bundle-cli.mjs), read in place of the
 *  compiled module of the same name: far fewer files to find and read at start. */
const BUNDLED = new Set(['cli']);

export async function importModule(name) {
  if (process.env.GITOPS_CANARY_FROM_SOURCE === '1') {
    const { register } = await import('tsx/esm/api');
    register();
    return import(new URL(`../src/${name}.ts`, import.meta.url).href);
  }
  const bundle = new URL(`../dist/bundle/${name}.mjs`, import.meta.url);
  if (BUNDLED.has(name) && existsSync(bundle)) return import(bundle.href);
  const url = new URL(`../dist/${name}.js`, import.meta.url);
  if (!existsSync(url)) {
    process.stderr.write(`gitops-canary: ${url.pathname} is missing: run \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`);
    process.exit(1);
  }
  return import(url.href);
}
