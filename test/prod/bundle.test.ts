// The CLI's bundle (scripts/bundle-cli.mjs, built by `npm run build` into dist/bundle/),
// which the bin runs in place of dist/cli.js: built on its own beside a copy of the bin
// and package.json, with no compiled module and no node_modules next to it, it runs
// status and set-image, names the package version in its trailer (a path taken relative
// to a module), is one script the module loader never sees, and runs from the code cache
// the build wrote for it.
import { execFile } from 'node:child_process';
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../bin/bundle.mjs';
import { bundleCli } from '../../scripts/bundle-cli.mjs';
import { configRepo, type ConfigRepo } from '../helpers/cli.ts';
import { gitEnv } from '../helpers/git-remote.ts';
import { ROOT } from './dockerfile.ts';

const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

let scratch: string;
let app: string;
let repo: ConfigRepo;

/** The bin of the bundled copy, as installed: no GITOPS_CANARY_FROM_SOURCE. */
function runBin(args: string[], opts: { imports?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = gitEnv();
  delete env.GITOPS_CANARY_FROM_SOURCE;
  const pre = opts.imports ? ['--import', opts.imports] : [];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...pre, path.join(app, 'bin/gitops-canary.mjs'), ...args], { cwd: repo.dir, env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cli-bundle-'));
  app = path.join(scratch, 'app');
  cpSync(path.join(ROOT, 'bin'), path.join(app, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  expect(await bundleCli(ROOT, path.join(app, 'dist'))).toBe(true);
  repo = await configRepo();
}, 120_000);

afterAll(async () => {
  await repo?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the bundled CLI', { timeout: 120_000 }, () => {
  it('is one script, the hash of its bytes and its code cache, and nothing else beside it', () => {
    expect(readdirSync(path.join(app, 'dist'))).toEqual(['bundle']);
    expect(readdirSync(path.join(app, 'dist/bundle')).sort()).toEqual(['cli-early.cjs', 'cli.cjs', 'cli.id', 'cli.v8']);
    const bytes = readFileSync(path.join(app, 'dist/bundle/cli.cjs'));
    expect(readFileSync(path.join(app, 'dist/bundle/cli.id'), 'utf8').trim()).toBe(createHash('sha256').update(bytes).digest('hex'));
    // read as one-byte text (bin/bundle.mjs)
    expect(isAscii(bytes)).toBe(true);
  });

  it('runs from the code cache its build wrote, which holds the functions of a change', () => {
    const run = loadBundle(path.join(app, 'dist/bundle/cli.cjs'), { userCache: undefined });
    expect(run.served).toBe('build');
    expect(typeof run.exports.main).toBe('function');
    // minified with every function's and class's own name kept (errors.ts names each error
    // by its class)
    expect((run.exports.main as () => unknown).name).toBe('main');
    // written after a run of set-image, not only the script's top level: far more than
    // the cache of a script that was loaded and never run
    const loadedOnly = loadBundle(path.join(app, 'dist/bundle/cli.cjs'), { buildCache: null, userCache: undefined });
    expect(loadedOnly.served).toBeNull();
    expect(readFileSync(path.join(app, 'dist/bundle/cli.v8')).length).toBeGreaterThan(1.3 * loadedOnly.cachedData().length);
  });

  it('runs status and set-image from the bundle alone, its trailer naming the package version', async () => {
    const status = await runBin(['status']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toContain('stable 100% / canary 0%');

    const set = await runBin(['set-image', 'ghcr.io/example/podinfo:0.2.1']);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('committed');
    const [last] = await repo.remoteLog();
    expect(last.trailers).toMatchObject({ Action: 'set-image', Tag: '0.2.1', 'Committed-By': `gitops-canary CLI ${version}` });
  });

  it('begins a change\'s clean check and first questions before it compiles the bundle, and the change takes their answers', async () => {
    // what the run spawns and compiles, in order: a hook on spawn and on vm.Script, which
    // the bin and both bundles look up when they call them
    const log = path.join(scratch, 'order.log');
    const hooks = path.join(scratch, 'order.cjs');
    writeFileSync(
      hooks,
      `const fs = require('node:fs'), cp = require('node:child_process'), vm = require('node:vm'), path = require('node:path');
const note = (s) => fs.appendFileSync(${JSON.stringify(log)}, s + '\\n');
const spawn = cp.spawn;
cp.spawn = function (cmd, args, ...rest) { if (cmd === 'sh' && args[1].includes('commit-tree')) note('sh commit-tree'); if (cmd === 'git') { const at = args.findIndex((a, i) => args[i - 1] !== '-c' && a !== '-c' && !a.startsWith('--')); note('git ' + args[at] + (args[at] === 'rev-parse' ? ' ' + args[at + 1] : '')); } return spawn.call(this, cmd, args, ...rest); };
const Script = vm.Script;
vm.Script = class extends Script { constructor(code, o) { note('compile ' + path.basename(o.filename)); super(code, o); } };
`,
    );
    const set = await runBin(['set-image', 'ghcr.io/example/podinfo:0.2.3'], { imports: pathToFileURL(hooks).href });
    expect(set).toMatchObject({ code: 0, stderr: '' });
    const order = readFileSync(log, 'utf8').trim().split('\n');
    // the clean check and the checkout's two first questions (config keys, HEAD)
    const opening = 'git rev-parse HEAD^{commit}';
    expect(order.slice(0, 4)).toEqual(['git status', 'git config', opening, 'compile cli.cjs']);
    // the sync and the checkout's opening asked git none of them again
    for (const asked of ['git status', 'git config', opening]) expect(order.filter((l) => l === asked), asked).toHaveLength(1);
    // and the commit was written (write-tree, commit-tree, update-ref: one sh script)
    expect(order).toContain('sh commit-tree');
  });

  it('loads no module file for a set-image but the bin\'s own: the bundle is read as one script', async () => {
    const log = path.join(scratch, 'modules.log');
    const hooks = path.join(scratch, 'hooks.mjs');
    const register = path.join(scratch, 'register.mjs');
    writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`);
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const set = await runBin(['set-image', 'ghcr.io/example/podinfo:0.2.2'], { imports: pathToFileURL(register).href });
    expect(set).toMatchObject({ code: 0, stderr: '' });
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => new URL(u).pathname);
    const ours = loaded.filter((p) => p !== register);
    expect(ours.map((p) => path.relative(app, p)).sort()).toEqual(['bin/bundle.mjs', 'bin/gitops-canary.mjs', 'bin/load.mjs']);
    expect(existsSync(path.join(app, 'node_modules'))).toBe(false);
  });
});
