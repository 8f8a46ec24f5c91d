// /readyz as a Kubernetes probe sees it, over HTTP from a real server: in local mode it
// fails until the local config repo is usable; in GitHub mode (against the GitHub double)
// until GitHub accepts the app's JWT and mints an installation token. /healthz answers
// 200 meanwhile: the process is alive, only not ready.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { githubAppCheck, localRepoCheck, writableDirCheck } from '../../src/health/checks.ts';
import { startReadiness, type Check, type Readiness } from '../../src/health/readiness.ts';
import { ensureLocalConfigRepo } from '../../src/local/seed.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import { useMetrics } from '../../src/metrics/record.ts';
import { createPages } from '../../src/pages.ts';
import { createProbot, startServer, WEBHOOKS_PATH, type Listener } from '../../src/server.ts';
import { startGitHubDouble, type GitHubDouble } from '../github-double/index.ts';

const log = { info: () => {}, warn: () => {} };
let dir: string;
let double: GitHubDouble;
let server: Listener | undefined;
let readiness: Readiness | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'readiness-'));
  double = await startGitHubDouble();
});
afterEach(async () => {
  readiness?.stop();
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await double?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: { status: string; checks: Record<string, { ok: boolean; reason?: string; detail?: string; warning?: string }> };
}

/** The bot's HTTP side with `checks` behind /readyz, as src/main.ts wires it. */
async function serve(mode: 'local' | 'github', checks: Check[], settings: { appId?: string; privateKey?: string } = {}): Promise<(path: string) => Promise<Answer>> {
  const metrics = createMetrics({ defaults: false });
  useMetrics(metrics);
  const probot = await createProbot({ ...settings, webhookSecret: 's', logLevel: 'warn', baseUrl: double.url });
  readiness = startReadiness(checks.length ? checks : [githubAppCheck(probot)], { log, retryMs: 50, maxRetryMs: 200 });
  server = await startServer(probot, () => {}, { port: 0, host: '127.0.0.1', mode, webhookSecret: 's' }, { pages: createPages({ mode, readiness, metrics, webhooksPath: WEBHOOKS_PATH }) });
  const base = `http://127.0.0.1:${server.port}`;
  return async (p) => {
    const res = await fetch(`${base}${p}`);
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
}

async function until(get: (p: string) => Promise<Answer>, status: number): Promise<Answer> {
  let last: Answer | undefined;
  for (let i = 0; i < 100; i++) {
    last = await get('/readyz');
    if (last.status === status && Object.values(last.body.checks).every((c) => c.reason !== 'not checked yet')) return last;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`/readyz never answered ${status}: ${JSON.stringify(last)}`);
}

const newKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

describe('/readyz in local mode', () => {
  it('fails while the config repo is missing and passes once git can read its HEAD', async () => {
    const repo = path.join(dir, 'local', 'config-repo');
    const work = path.join(dir, 'local', 'work');
    const get = await serve('local', [localRepoCheck(repo), writableDirCheck('work-dir', work, 'WORK_DIR')]);
    const failing = await until(get, 503);
    expect(failing.body).toEqual({ status: 'not ready', checks: { 'config-repo': expect.objectContaining({ ok: false, reason: `LOCAL_CONFIG_REPO ${repo} does not exist` }), 'work-dir': expect.objectContaining({ ok: true }) } });
    expect((await get('/healthz')).status).toBe(200);

    await ensureLocalConfigRepo(repo);
    const ready = await until(get, 200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks['config-repo'].detail).toMatch(/^HEAD [0-9a-f]{12}$/);
    const metrics = await fetch(`http://127.0.0.1:${server!.port}/metrics`).then((r) => r.text());
    expect(metrics).toContain('gitops_canary_ready{check="config-repo"} 1');
  });

  it('names a work directory it cannot write to', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, '');
    const get = await serve('local', [writableDirCheck('work-dir', path.join(file, 'work'), 'WORK_DIR')]);
    const failing = await until(get, 503);
    expect(failing.body.checks['work-dir'].reason).toMatch(new RegExp(`^WORK_DIR ${file}/work is not writable: ENOTDIR`));
  });
});

describe('/readyz in GitHub mode', () => {
  it('fails naming the JWT GitHub refused when the private key is not the app key', async () => {
    const get = await serve('github', [], { appId: String(double.appId), privateKey: newKey() });
    const failing = await until(get, 503);
    expect(failing.body.checks['github-app']).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^GitHub refused the app's JWT \(GET \/app: 401 .*JWT signature does not verify with the app key.*\); check APP_ID and the private key$/),
    });
    expect((await get('/healthz')).status).toBe(200);
  });

  it('fails when the private key does not parse', async () => {
    const get = await serve('github', [], { appId: String(double.appId), privateKey: '-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n' });
    const failing = await until(get, 503);
    expect(failing.body.checks['github-app'].reason).toMatch(/^cannot make the app's JWT from PRIVATE_KEY \(.+\); is it the app's PEM private key\?$/);
  });

  it('is ready with a warning while the app has no installation', async () => {
    const get = await serve('github', [], { appId: String(double.appId), privateKey: double.privateKey });
    const ready = await until(get, 200);
    expect(ready.body.checks['github-app']).toMatchObject({ ok: true, warning: 'the app has no installations yet: install it on the config repositories' });
  });

  it('passes once GitHub accepted the JWT and minted an installation token', async () => {
    double.addInstallation({ id: 11, account: 'example' });
    const before = [...double.state.tokens.keys()].filter((t) => t.startsWith('ghs_')).length;
    const get = await serve('github', [], { appId: String(double.appId), privateKey: double.privateKey });
    const ready = await until(get, 200);
    expect(ready.body).toEqual({ status: 'ready', checks: { 'github-app': expect.objectContaining({ ok: true, detail: `authenticated as ${double.appSlug}; installation token minted for example` }) } });
    expect([...double.state.tokens.keys()].filter((t) => t.startsWith('ghs_')).length).toBe(before + 1);
    // a re-check uses the cached token: GitHub is not asked for another
    await readiness!.recheck();
    expect([...double.state.tokens.keys()].filter((t) => t.startsWith('ghs_')).length).toBe(before + 1);
  });
});

describe('readiness once ready', () => {
  it('stays ready through a transient failure of a check that passed, and fails on a definite one', async () => {
    const results = [{ ok: true as const }, { ok: false as const, reason: 'GET /app failed: 502 bad gateway', transient: true }, { ok: false as const, reason: 'refused' }];
    let i = 0;
    readiness = startReadiness([{ name: 'flaky', run: async () => results[Math.min(i++, 2)] }], { log, retryMs: 10_000, periodMs: 10_000 });
    expect((await readiness.recheck()).ready).toBe(true);
    expect(await readiness.recheck()).toEqual({ ready: true, checks: { flaky: expect.objectContaining({ ok: true, warning: 'last re-check failed: GET /app failed: 502 bad gateway' }) } });
    expect(await readiness.recheck()).toEqual({ ready: false, checks: { flaky: expect.objectContaining({ ok: false, reason: 'refused' }) } });
  });
});
