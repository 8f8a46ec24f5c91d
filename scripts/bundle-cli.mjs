// The CLI as one bundle (dist/bundle/cli.cjs, which bin/load.mjs prefers): a cold command
// reads one file instead of some 270 modules and the CommonJS files behind them, and runs
// it from V8's code cache (bin/bundle.mjs) instead of parsing and compiling it: on Node 20,
// which keeps no compile cache of modules, that was most of a `set-image`'s start. The
// build writes the cache from a run of its own (a set-image in a scratch checkout), so the
// functions a change uses are compiled already; a run with another Node.js writes one to
// the user's cache directory instead.
//
// Modules keep the URL they have in the unbundled build: `import.meta.url` in src/X.ts
// becomes that of dist/X.js, in a package file that of the file in node_modules, so
// paths taken relative to a module (version.ts's ../package.json) still hold.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WRAP } from '../bin/bundle.mjs';

/** The bundle's directory under the build's output directory; one level down, so the
 *  bundle's own `../` is the build's root. */
export const BUNDLE_DIR = 'bundle';

function esbuildOf(root) {
  try {
    return createRequire(path.join(root, 'package.json'))('esbuild');
  } catch {
    return null;
  }
}

/** `import.meta.url` of each bundled module as it would be unbundled (see above). */
function keepModuleUrls(root, out) {
  const src = path.join(root, 'src');
  return {
    name: 'keep-module-urls',
    setup(build) {
      build.onLoad({ filter: /\.(ts|m?js|cjs)$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const inSrc = args.path.startsWith(`${src}${path.sep}`);
        const target = inSrc ? path.join(out, path.relative(src, args.path).replace(/\.ts$/, '.js')) : args.path;
        // relative to the bundle's directory, so the built tree can move as a whole
        const rel = path.relative(path.join(out, BUNDLE_DIR), target).split(path.sep).join('/');
        const url = `new URL(${JSON.stringify(rel)}, __gitopsCanaryBundleUrl).href`;
        return { contents: text.replace(/\bimport\.meta\.url\b/g, url), loader: path.extname(args.path).slice(1).replace(/^[mc]js$/, 'js'), resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/** Bundles src/cli.ts into `out`/bundle, with its code cache; false when esbuild is not
 *  installed. */
export async function bundleCli(root, out) {
  const esbuild = esbuildOf(root);
  if (!esbuild) return false;
  const dir = path.join(out, BUNDLE_DIR);
  rmSync(dir, { recursive: true, force: true });
  const bundle = path.join(dir, 'cli.cjs');
  const options = {
    absWorkingDir: root,
    bundle: true,
    // one script for V8's code cache: the commands' own modules stay lazy, each run only
    // when first imported (esbuild wraps them), and compiled only when first called
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // no comments and short local names: less to read and fewer fresh pages to read it
    // into (3.8 -> 2.8 MB; one image on 10k files 548 -> 521 and 548 -> 532 ms, medians of
    // 15 interleaved runs), with every function's and class's own name kept (`name`, stack
    // traces); no byte beyond ASCII (esbuild escapes those in code), which lets the bundle
    // be read as one-byte text (bin/bundle.mjs)
    minify: true,
    keepNames: true,
    banner: { js: "const __gitopsCanaryBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [keepModuleUrls(root, out)],
    logLevel: 'warning',
  };
  // written inside the function Node would wrap a CommonJS module in, which bin/bundle.mjs
  // compiles as it is: joined there, the text was copied once more (~1,000 fresh pages at 4 MB)
  await esbuild.build({ ...options, entryPoints: [path.join(root, 'src/cli.ts')], outfile: bundle, banner: { js: `${WRAP[0]}${options.banner.js}` }, footer: { js: WRAP[1] } });
  // what the bin runs before it loads the CLI (src/cli/early.ts): small enough to load as
  // any CommonJS file, without a code cache
  await esbuild.build({ ...options, entryPoints: [path.join(root, 'src/cli/early.ts')], outfile: path.join(dir, 'cli-early.cjs') });
  // names the bytes in the user's cache key (V8 checks only the source's length)
  writeFileSync(path.join(dir, 'cli.id'), `${createHash('sha256').update(readFileSync(bundle)).digest('hex')}\n`);
  warmUp(root, bundle);
  return true;
}

// A scratch checkout the build's own run changes: a Deployment and a Kustomization that
// name one image, a CronJob that names another beside it.
const SCRATCH_FILES = {
  'apps/web/deployment.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/acme/web:1.0.0\n        - name: log\n          image: registry.example.com/acme/log:2.0.0\n',
  'apps/web/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\nimages:\n  - name: registry.example.com/acme/web\n    newTag: 1.0.0\n',
  'apps/web/cronjob.yaml':
    'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: web-report\nspec:\n  schedule: "0 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: report\n              image: registry.example.com/acme/web:1.0.0\n            - name: log\n              image: registry.example.com/acme/log:2.0.0\n',
};

/** Writes the bundle's code cache (cli.v8) from a run that loads it and changes a scratch
 *  checkout twice (one image, then one beside others), in a process of its own. Where git
 *  is not there to make the checkout (an image's build stage, say), the cache is of the
 *  bundle's top level alone. */
function warmUp(root, bundle) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'gitops-canary-warm-up-'));
  try {
    const env = { PATH: process.env.PATH ?? '', HOME: scratch, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GITOPS_CANARY_CODE_CACHE: 'off' };
    const git = (...args) => spawnSync('git', ['-c', 'user.name=build', '-c', 'user.email=build@localhost', ...args], { cwd: scratch, env, stdio: 'ignore' }).status === 0;
    const checkout = path.join(scratch, 'config');
    mkdirSync(checkout);
    for (const [rel, text] of Object.entries(SCRATCH_FILES)) {
      mkdirSync(path.dirname(path.join(checkout, rel)), { recursive: true });
      writeFileSync(path.join(checkout, rel), text);
    }
    const ready = git('-C', checkout, 'init', '-q') && git('-C', checkout, 'add', '-A') && git('-C', checkout, 'commit', '-q', '-m', 'scratch');
    const images = ready ? ['registry.example.com/acme/web:1.0.1', 'registry.example.com/acme/log:2.0.1'] : [];
    const script = `
      const { loadBundle } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'bin/bundle.mjs')).href)});
      const run = loadBundle(${JSON.stringify(bundle)}, { buildCache: null, userCache: undefined });
      const out = { log() {}, err() {} };
      for (const image of ${JSON.stringify(images)}) {
        await run.exports.main(['set-image', image, '--repo', ${JSON.stringify(checkout)}], out);
      }
      (await import('node:fs')).writeFileSync(${JSON.stringify(bundle.replace(/\.cjs$/, '.v8'))}, run.cachedData());
      process.exit(0);`;
    spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: scratch, env, stdio: 'ignore', timeout: 60_000 });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
