// Runs the CLI's bundle (dist/bundle/cli.cjs, see scripts/bundle-cli.mjs) with V8's code
// cache: the compiled code of a run kept on disk, so a later run deserializes it instead of
// parsing and compiling the same 3 MB again (about 45 ms of a `set-image` on Node 20, which
// keeps no such cache for modules). A cache whose V8, flags or source differ is rejected by
// V8 itself, and the run compiles as it would without one.
//
// Two places hold one: the build's (cli.v8 beside the bundle, written by the build from a
// run of its own) and the user's ($GITOPS_CANARY_CACHE_DIR, else $XDG_CACHE_HOME or
// ~/.cache, then gitops-canary/), which a run writes when neither served it: another
// Node.js than the one that built, say. A cached file is code: the user's is read only from
// a directory and a file that are theirs and that no one else may write.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** The file of `bundle`'s code cache in the user's cache directory; undefined when the
 *  user turned it off (GITOPS_CANARY_CODE_CACHE=off) or there is no home to keep it in. */
export function userCacheFile(bundle, env = process.env) {
  if (env.GITOPS_CANARY_CODE_CACHE === 'off') return undefined;
  const base = env.GITOPS_CANARY_CACHE_DIR || (env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, 'gitops-canary') : env.HOME ? path.join(env.HOME, '.cache', 'gitops-canary') : undefined);
  if (!base || !path.isAbsolute(base)) return undefined;
  // V8 checks its version and flags, but of the source only its length: the key names the
  // bundle's bytes (hashed by the build), and the Node.js and flags that compiled it
  const id = readOptional(`${stem(bundle)}.id`, 'utf8') ?? '';
  const key = createHash('sha256').update(JSON.stringify([id, WRAP, bundle, process.version, process.arch, process.execArgv, env.NODE_OPTIONS ?? ''])).digest('hex').slice(0, 24);
  return path.join(base, `cli-${key}.v8`);
}

const stem = (bundle) => bundle.replace(/\.cjs$/, '');

/** What the bundle is written inside (scripts/bundle-cli.mjs): a CommonJS module's function,
 *  as Node wraps one. */
export const WRAP = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];

function readOptional(file, encoding) {
  try {
    return readFileSync(file, encoding);
  } catch {
    return undefined;
  }
}

/** The directory or file is this user's, and no one else may write it. */
function ours(st) {
  const uid = process.getuid?.();
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

/** The user's cache file, when it is a regular file of theirs in a directory of theirs. */
function readUserCache(file) {
  try {
    if (!ours(lstatSync(path.dirname(file)))) return undefined;
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = fstatSync(fd);
      return st.isFile() && ours(st) ? readFileSync(fd) : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Writes `data` as the user's cache file, whole or not at all, in a directory of theirs. */
export function writeCache(file, data) {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || !ours(st)) return false;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

/**
 * Runs `bundle` (a CommonJS module inside its function, WRAP) compiled with the user's code
 * cache, else the build's.
 * Returns its exports, which cache served (null: none), and `save()`, which writes the
 * user's cache from what this run compiled when none served it; called once the run is
 * done, the cache holds the functions the run used, not only the bundle's top level.
 */
export function loadBundle(bundle, { buildCache = `${stem(bundle)}.v8`, userCache = userCacheFile(bundle) } = {}) {
  const bytes = readFileSync(bundle);
  // ASCII (as the build writes it) read as one byte a character: no UTF-8 to decode, and
  // half the memory of the two-byte string a single other character would make
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const fromUser = userCache ? readUserCache(userCache) : undefined;
  const cachedData = fromUser ?? readOptional(buildCache);
  // the function the build wrapped the module in, as it is
  const script = new vm.Script(source, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const served = cachedData && !script.cachedDataRejected ? (cachedData === fromUser ? 'user' : 'build') : null;
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  return {
    exports: module.exports,
    served,
    /** The code cache of what this run compiled so far. */
    cachedData: () => script.createCachedData(),
    save() {
      if (served || !userCache) return false;
      try {
        return writeCache(userCache, script.createCachedData());
      } catch {
        return false;
      }
    },
  };
}
