// `npm start` without GitHub credentials: the local config repo is seeded from the podinfo
// example, signed GitHub-format webhooks commit to it, unsigned ones are rejected.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload } from '../../github-double/index.ts';
import { postWebhook } from '../../helpers/app.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SECRET = 'local-mode-secret';

let child: ChildProcess | undefined;
let dir: string;
let port: number;
let output = '';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const p = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return p;
}

async function waitHealthy(base: string): Promise<unknown> {
  for (let i = 0; i < 300; i++) {
    if (child?.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return res.json();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server never became healthy:\n${output}`);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'e2e-local-'));
  port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(APP_ID|PRIVATE_KEY|PRIVATE_KEY_PATH|WEBHOOK_SECRET|GITHUB_API_URL|GHE_HOST|SLACK_WEBHOOK_URL|CONFIG_REPOS)$/.test(k)) env[k] = v;
  Object.assign(env, { PORT: String(port), LOCAL_CONFIG_REPO: path.join(dir, 'config-repo'), WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'info' });
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('local mode', () => {
  it('seeds the config repo, commits a signed release to it and rejects unsigned webhooks', async () => {
    const base = `http://127.0.0.1:${port}`;
    expect(await waitHealthy(base)).toEqual({ status: 'ok', mode: 'local' });
    const repoDir = path.join(dir, 'config-repo');
    expect(git(repoDir, 'log', '--format=%s').trim()).toBe('Seed the podinfo example config repo');

    const payload = releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.1' });
    const unsigned = await postWebhook(base, 'release', payload, { secret: SECRET, signature: null });
    const forged = await postWebhook(base, 'release', payload, { secret: 'guess' });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(git(repoDir, 'rev-list', '--count', 'HEAD').trim()).toBe('1');

    const signed = await postWebhook(base, 'release', payload, { secret: SECRET });
    expect(signed.status).toBe(200);
    // updateInstead keeps the checked-out files in step with the pushed branch.
    expect(readFileSync(path.join(repoDir, 'apps/podinfo/canary-dep.yaml'), 'utf8')).toContain('image: ghcr.io/example/podinfo:0.2.1   # canary track');
    const message = git(repoDir, 'log', '-1', '--format=%B');
    expect(message).toMatch(/^podinfo: canary 0\.2\.0 → 0\.2\.1/);
    expect(message).toMatch(/^Gitops-Canary-Tag: 0\.2\.1$/m);
    expect(git(repoDir, 'status', '--porcelain').trim()).toBe('');
  }, 120_000);
});
