// The code cache the bin runs the CLI's bundle with (bin/bundle.mjs): the user's cache is
// written once no cache served a run and serves the next; the build's serves when there
// is no user's; a cache V8 rejects is compiled past and replaced; and a cache file or
// directory that is not the user's alone, or a link, is never read, since what it holds
// is code.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBundle, userCacheFile, WRAP } from '../../bin/bundle.mjs';

let dir: string;
let bundle: string;
let cacheDir: string;
let userCache: string;

// a bundle with some functions to compile, and one that says what the module got, inside
// the function the build writes it in
const SOURCE = `${WRAP[0]}"use strict";\n${Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join('\n')}\nexports.sum = (n) => { let s = 0; for (let i = 0; i < n; i++) s += f${'1'}(i); return s; };\nexports.where = __filename;\n${WRAP[1]}`;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gcb-code-cache-test-'));
  bundle = path.join(dir, 'dist/bundle/cli.cjs');
  mkdirSync(path.dirname(bundle), { recursive: true });
  writeFileSync(bundle, SOURCE);
  writeFileSync(path.join(dir, 'dist/bundle/cli.id'), 'one\n');
  cacheDir = path.join(dir, 'cache');
  userCache = userCacheFile(bundle, { GITOPS_CANARY_CACHE_DIR: cacheDir })!;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const load = (opts: { buildCache?: string | null } = {}) => loadBundle(bundle, { userCache, ...opts });

describe('the code cache of the CLI bundle', () => {
  it('is written to the user\'s cache when none served a run, only theirs to read, and serves the next', () => {
    const first = load();
    expect(first.served).toBeNull();
    expect((first.exports.sum as (n: number) => number)(4)).toBe(10);
    expect(first.exports.where).toBe(bundle);
    expect(first.save()).toBe(true);
    expect(statSync(userCache).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(userCache)).mode & 0o777).toBe(0o700);
    expect(readdirSync(cacheDir)).toEqual([path.basename(userCache)]);
    const second = load();
    expect(second.served).toBe('user');
    expect((second.exports.sum as (n: number) => number)(4)).toBe(10);
    // it served: nothing to write
    expect(second.save()).toBe(false);
  });

  it('the build\'s serves a run that has no cache of its own, and then none is written', () => {
    writeFileSync(path.join(dir, 'dist/bundle/cli.v8'), load().cachedData());
    const run = load();
    expect(run.served).toBe('build');
    expect(run.save()).toBe(false);
    expect(existsSync(userCache)).toBe(false);
  });

  it('one V8 rejects is compiled past, and the user\'s is written anew', () => {
    mkdirSync(path.dirname(userCache), { recursive: true, mode: 0o700 });
    writeFileSync(userCache, Buffer.from('not a code cache at all, but bytes'), { mode: 0o600 });
    const run = load();
    expect(run.served).toBeNull();
    expect((run.exports.sum as (n: number) => number)(3)).toBe(6);
    expect(run.save()).toBe(true);
    expect(load().served).toBe('user');
  });

  it('is never read from a file others may write, a directory others may write, or a link', () => {
    load().save();
    chmodSync(userCache, 0o666);
    expect(load().served).toBeNull();
    chmodSync(userCache, 0o600);
    chmodSync(path.dirname(userCache), 0o777);
    expect(load().served).toBeNull();
    chmodSync(path.dirname(userCache), 0o700);
    expect(load().served).toBe('user');
    const elsewhere = path.join(dir, 'elsewhere.v8');
    writeFileSync(elsewhere, load().cachedData(), { mode: 0o600 });
    rmSync(userCache);
    symlinkSync(elsewhere, userCache);
    expect(load().served).toBeNull();
  });

  it('is named by the bundle\'s bytes, the Node.js and its flags, and kept nowhere when turned off', () => {
    const env = { GITOPS_CANARY_CACHE_DIR: cacheDir };
    writeFileSync(path.join(dir, 'dist/bundle/cli.id'), 'two\n');
    expect(userCacheFile(bundle, env)).not.toBe(userCache);
    expect(userCacheFile(bundle, { ...env, NODE_OPTIONS: '--max-old-space-size=100' })).not.toBe(userCacheFile(bundle, env));
    expect(path.dirname(userCacheFile(bundle, { XDG_CACHE_HOME: '/x/cache' })!)).toBe('/x/cache/gitops-canary');
    expect(path.dirname(userCacheFile(bundle, { HOME: '/home/me' })!)).toBe('/home/me/.cache/gitops-canary');
    expect(userCacheFile(bundle, { ...env, GITOPS_CANARY_CODE_CACHE: 'off' })).toBeUndefined();
    // a relative directory would depend on where the command runs
    expect(userCacheFile(bundle, { GITOPS_CANARY_CACHE_DIR: 'cache' })).toBeUndefined();
  });
});
