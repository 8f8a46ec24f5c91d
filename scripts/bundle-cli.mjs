// The CLI as one bundle (dist/bundle/cli.mjs, which bin/load.mjs prefers): a cold command
// resolves and reads a few dozen files instead of some 270 modules and the CommonJS files
// behind them, about a fifth of a `set-image`'s start on Node 20, where no compile cache
// is kept. Code splitting keeps what the commands load lazily lazy: each command, each
// kind's schema model is a chunk read only when it runs.
//
// Modules keep the URL they have in the unbundled build: `import.meta.url` in src/X.ts
// becomes that of dist/X.js, in a package file that of the file in node_modules, so
// paths taken relative to a module (version.ts's ../package.json) still hold.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

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
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        return { contents: text.replace(/\bimport\.meta\.url\b/g, url), loader: path.extname(args.path).slice(1).replace(/^[mc]js$/, 'js'), resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/** Bundles src/cli.ts into `out`/bundle; false when esbuild is not installed. */
export async function bundleCli(root, out) {
  const esbuild = esbuildOf(root);
  if (!esbuild) return false;
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: path.join(root, 'src/cli.ts') },
    outdir: path.join(out, BUNDLE_DIR),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    // the packages bundled as CommonJS still `require` node's own modules
    banner: { js: "import { createRequire as __gitopsCanaryRequire } from 'node:module'; const require = __gitopsCanaryRequire(import.meta.url);" },
    plugins: [keepModuleUrls(root, out)],
    logLevel: 'warning',
  });
  return true;
}
