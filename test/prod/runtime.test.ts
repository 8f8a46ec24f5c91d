// The runtime half of the image, without a container engine: the compiled build and the
// files the Dockerfile's runtime stage copies go into a temporary application directory,
// production dependencies only are installed there (`npm ci --omit=dev`), the directory is
// made read-only, and `node dist/main.js` starts with the image's environment (its ENV,
// with the data volume moved to a temporary directory, and a HOME it cannot write), as a
// non-root user, from the volume as working directory. Then /healthz, a signed webhook in
// local mode, and the CLI from the same installation.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload } from '../github-double/index.ts';
import { postWebhook } from '../helpers/app.ts';
import { freePort } from '../helpers/bot-process.ts';
import { ROOT, copiesOf, envOf, execForm, lastOf, readDockerfile } from './dockerfile.ts';

const execFileP = promisify(execFile);
const stages = readDockerfile();
const runtime = stages.at(-1)!;
const IMAGE_APP = lastOf(stages[0], 'WORKDIR')!; // /app in both stages
const [VOLUME] = execForm(runtime, 'VOLUME')!;
// Root ignores file modes; the bot runs as `nobody` then, so the read-only directory binds.
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const runAs = asRoot ? { uid: NOBODY, gid: NOBODY } : {};

let scratch: string;
let app: string;
let data: string;
let bot: ChildProcess | undefined;
let output = '';
let base: string;
let env: NodeJS.ProcessEnv;
let installMs = 0;

/** The image's ENV with its data volume (and its app directory) at this test's directories. */
function imageEnv(port: number, home: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(envOf(runtime))) out[k] = v.startsWith(`${VOLUME}/`) || v === VOLUME ? data + v.slice(VOLUME.length) : v.replace(IMAGE_APP, app);
  out.PORT = String(port);
  return out;
}

/** Polls until `probe` gives a value (every 100 ms, 30 s at most), failing early when the
 *  bot has exited. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    if (bot!.exitCode !== null) throw new Error(`the bot exited (${bot!.exitCode}) before ${what}:\n${output}`);
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${what} in 30 s:\n${output}`);
}

const answered = (p: string, status = 200) => () => fetch(`${base}${p}`).then((r) => (r.status === status ? r : undefined));

function git(cwd: string, ...args: string[]): Promise<string> {
  // the repo belongs to the bot's user; root reading it must say that is fine
  return execFileP('git', ['-c', 'safe.directory=*', ...args], { cwd, env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } }).then((r) => r.stdout);
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'prod-runtime-'));
  chmodSync(scratch, 0o755);
  app = path.join(scratch, 'app');
  data = path.join(scratch, 'data');
  mkdirSync(app);
  // what the build stage makes: the compiled output and the lockfile's production tree
  await execFileP(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--out', path.join(app, 'dist')], { cwd: ROOT });
  for (const c of copiesOf(runtime).filter((x) => !x.from)) {
    for (const src of c.sources) cpSync(path.join(ROOT, src), c.sources.length > 1 || c.dest.endsWith('/') ? path.join(app, path.basename(src)) : path.join(app, c.dest), { recursive: true });
  }
  cpSync(path.join(ROOT, 'package-lock.json'), path.join(app, 'package-lock.json'));
  const started = performance.now();
  await execFileP('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, env: { ...process.env, NODE_ENV: 'production' } });
  installMs = performance.now() - started;
  chmodSync(path.join(app, 'bin/gitops-canary.mjs'), 0o755);
  execFileSync('chmod', ['-R', 'a-w', app]);

  mkdirSync(data);
  const home = path.join(scratch, 'home');
  mkdirSync(home, { mode: 0o555 });
  if (asRoot) chownSync(data, NOBODY, NOBODY);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = imageEnv(port, home);
  const [cmd, ...args] = execForm(runtime, 'CMD')!;
  expect(cmd).toBe('node');
  bot = spawn(process.execPath, args.map((a) => a.replace(IMAGE_APP, app)), { cwd: data, env, stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
  bot.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  bot.stderr!.on('data', (c: Buffer) => (output += c.toString()));
}, 300_000);

afterAll(async () => {
  if (bot && bot.exitCode === null && bot.signalCode === null) {
    const exited = new Promise((r) => bot!.once('exit', r));
    bot.kill('SIGKILL');
    await exited;
  }
  if (scratch) {
    execFileSync('chmod', ['-R', 'u+w', scratch]);
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe('the image runtime: production dependencies, read-only app directory, non-root', { timeout: 120_000 }, () => {
  it('installs production dependencies only, from the lockfile', () => {
    const installed = new Set(readdirSync(path.join(app, 'node_modules')));
    for (const dep of ['probot', 'yaml', 'simple-git']) expect(installed.has(dep), dep).toBe(true);
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest', 'eslint']) expect(installed.has(dev), dev).toBe(false);
    // the figure the report asks for: the production install here, from npm's cache
    expect(installMs).toBeGreaterThan(0);
    console.log(`npm ci --omit=dev --ignore-scripts: ${(installMs / 1000).toFixed(1)} s`);
  });

  it('answers /healthz and /readyz on every local address (HOST 0.0.0.0) and commits a signed webhook into the data volume', async () => {
    const health = await until('/healthz', answered('/healthz'));
    expect(await health.json()).toMatchObject({ mode: 'local' });
    // ready once the config repo is usable and the work directory writable, both in the volume
    await until('/readyz 200', answered('/readyz'));
    // bound to 0.0.0.0, not 127.0.0.1 only: another loopback address reaches it too
    expect((await fetch(`${base.replace('127.0.0.1', '127.0.0.2')}/readyz`)).status).toBe(200);

    // no WEBHOOK_SECRET in the image: local mode makes one, keeps it in the volume and says which
    const secret = await until('the generated secret in the log', async () => [...output.matchAll(/secret[^\n]*?\b([0-9a-f]{40,})\b/gi)].at(-1)?.[1]);
    const res = await postWebhook(base, 'release', releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.1' }), { secret: secret! });
    expect(res.status, output).toBe(200);
    const repo = env.LOCAL_CONFIG_REPO!;
    expect(repo.startsWith(`${data}/`)).toBe(true);
    expect(await git(repo, 'show', 'HEAD:apps/podinfo/canary-dep.yaml')).toContain('ghcr.io/example/podinfo:0.2.1');
    expect(existsSync(env.WORK_DIR!)).toBe(true);
    // written by the user the bot ran as
    expect(statSync(repo).uid).toBe(asRoot ? NOBODY : process.getuid!());
    expect(output).not.toMatch(/EACCES|EROFS|permission denied/i);
  });

  it('runs the CLI from the same installation without the build tools', async () => {
    const bin = path.join(app, 'bin/gitops-canary.mjs');
    const cliEnv = { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const version = await execFileP(bin, ['--version'], { env: cliEnv, cwd: data, ...runAs });
    expect(version.stdout).toMatch(/^gitops-canary \d+\.\d+\.\d+\n$/);
    const clone = path.join(data, 'my-config');
    await execFileP('git', ['clone', '-q', env.LOCAL_CONFIG_REPO!, clone], { env: cliEnv, cwd: data, ...runAs });
    const status = await execFileP(bin, ['status'], { env: cliEnv, cwd: clone, ...runAs });
    expect(status.stdout).toMatch(/canary +0\.2\.1/);
  });

  it('drains and exits 0 on SIGTERM, as tini passes it on', async () => {
    expect(bot!.exitCode, output).toBeNull();
    const exited = new Promise<number | null>((r) => bot!.once('exit', (code) => r(code)));
    bot!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
