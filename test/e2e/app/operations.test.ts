// The bot as an operator runs it (src/main.ts in its own process, the intake in its own
// thread), started in a directory holding only a `.env`: the file is read without
// overriding the environment, LOG_FORMAT=json makes every line a JSON object (the intake
// thread's too), /readyz turns 200 once the local config repo is usable, /metrics counts
// a delivery and a refusal, and the generated webhook secret is kept in
// .gitops-canary/webhook-secret (mode 0600) and used again by the next start.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload } from '../../github-double/index.ts';
import { postWebhook } from '../../helpers/app.ts';
import { startBotProcess, type BotProcess } from '../../helpers/bot-process.ts';

let dir: string;
let bot: BotProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'e2e-operations-'));
  // PORT is set by the environment too (startBotProcess): the environment must win
  await writeFile(path.join(dir, '.env'), 'LOG_FORMAT=json\nRECONCILE_INTERVAL=0\nPORT=1\n');
});

afterAll(async () => {
  await bot?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Every line the process printed, parsed; a line that is not JSON fails the test. */
function jsonLines(output: string): Array<{ level: number; msg: string; [k: string]: unknown }> {
  return output
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      // JSON.parse keeps the last of two equal keys: count them in the text
      if ((l.match(/"name":/g) ?? []).length > 1) throw new Error(`a key twice in a JSON line: ${l}`);
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

interface Readyz {
  status: string;
  checks: Record<string, { ok: boolean }>;
}

async function readyz(b: BotProcess): Promise<{ status: number; body: Readyz }> {
  for (let i = 0; ; i++) {
    const res = await fetch(`${b.base}/readyz`);
    const body = (await res.json()) as Readyz;
    if (res.status === 200 || i > 100) return { status: res.status, body };
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metric(b: BotProcess, series: string): Promise<number | undefined> {
  const text = await fetch(`${b.base}/metrics`).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operating the bot', () => {
  it('reads .env, logs JSON, gets ready, counts deliveries and keeps its generated secret across starts', async () => {
    bot = await startBotProcess({}, { cwd: dir });
    await bot.healthy();
    const ready = await readyz(bot);
    expect(ready).toEqual({ status: 200, body: { status: 'ready', checks: { 'config-repo': expect.objectContaining({ ok: true }), 'work-dir': expect.objectContaining({ ok: true }) } } });

    const secretFile = path.join(dir, '.gitops-canary', 'webhook-secret');
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(secret).toMatch(/^[0-9a-f]{40}$/);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);

    const payload = releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.1' });
    expect((await postWebhook(bot.base, 'release', payload, { secret: 'guess' })).status).toBe(401);
    expect((await postWebhook(bot.base, 'release', payload, { secret })).status).toBe(200);
    const repo = path.join(dir, '.gitops-canary', 'config-repo');
    expect(execFileSync('git', ['--git-dir', repo, 'show', 'HEAD:apps/podinfo/canary-dep.yaml'], { encoding: 'utf8' })).toContain('ghcr.io/example/podinfo:0.2.1');
    // the refusal happened in the intake thread; prom-client counts it in the handlers' thread
    expect(await metric(bot, 'gitops_canary_webhook_deliveries_total{event="release",outcome="refused",reason="signature"}')).toBe(1);
    expect(await metric(bot, 'gitops_canary_webhook_deliveries_total{event="release",outcome="done",reason=""}')).toBe(1);
    expect(await metric(bot, 'gitops_canary_changes_total{app="podinfo",track="canary",action="release",delivery="committed"}')).toBe(1);
    expect(await metric(bot, 'gitops_canary_event_to_push_seconds_count{event="release"}')).toBe(1);
    expect(await metric(bot, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect((await fetch(`${bot.base}/`).then((r) => r.text()))).toContain('<a href="/readyz">');

    expect(await bot.stop()).toBe(0);
    const first = jsonLines(bot.output());
    expect(first.find((l) => l.msg === 'webhook refused')).toMatchObject({ level: 40, event: 'release', status: 401 });
    expect(first.find((l) => l.msg.startsWith('no WEBHOOK_SECRET set'))).toMatchObject({ file: secretFile, msg: expect.stringContaining(`made one and kept it in ${secretFile}`) });
    expect(first.find((l) => l.msg === 'ready')).toBeDefined();

    // the second start finds the secret and uses it
    bot = await startBotProcess({}, { cwd: dir });
    await bot.healthy();
    const again = releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.2' });
    expect((await postWebhook(bot.base, 'release', again, { secret })).status).toBe(200);
    expect(await bot.stop()).toBe(0);
    expect(jsonLines(bot.output()).find((l) => l.msg.startsWith('no WEBHOOK_SECRET set'))!.msg).toContain(`using the one kept in ${secretFile}; webhooks must be signed with this secret: ${secret}`);
    expect((await readFile(secretFile, 'utf8')).trim()).toBe(secret);
  }, 60_000);
});
