// `npm start` without GitHub credentials: the local config repo is seeded from the podinfo
// example, signed GitHub-format webhooks commit to it, unsigned ones are rejected.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload } from '../../github-double/index.ts';
import { postWebhook } from '../../helpers/app.ts';
import { startBotProcess, type BotProcess } from '../../helpers/bot-process.ts';

const SECRET = 'local-mode-secret';

let bot: BotProcess | undefined;
let dir: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'e2e-local-'));
  bot = await startBotProcess({ LOCAL_CONFIG_REPO: path.join(dir, 'config-repo'), WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: SECRET });
}, 30_000);

afterAll(async () => {
  await bot?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('local mode', () => {
  it('seeds the config repo, commits a signed release to it and rejects unsigned webhooks', async () => {
    expect(await bot!.healthy()).toMatchObject({ status: 'ok', mode: 'local' });
    const repoDir = path.join(dir, 'config-repo');
    expect(git(repoDir, 'log', '--format=%s').trim()).toBe('Seed the podinfo example config repo');

    const payload = releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.1' });
    const unsigned = await postWebhook(bot!.base, 'release', payload, { secret: SECRET, signature: null });
    const forged = await postWebhook(bot!.base, 'release', payload, { secret: 'guess' });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(git(repoDir, 'rev-list', '--count', 'HEAD').trim()).toBe('1');

    const signed = await postWebhook(bot!.base, 'release', payload, { secret: SECRET });
    expect(signed.status).toBe(200);
    // The local config repo is bare: no work tree to fall out of step with HEAD. The
    // README's `git -C .gitops-canary/config-repo log -p -1` reads it as it is.
    expect(git(repoDir, 'rev-parse', '--is-bare-repository').trim()).toBe('true');
    expect(git(repoDir, 'show', 'HEAD:apps/podinfo/canary-dep.yaml')).toContain('image: ghcr.io/example/podinfo:0.2.1   # canary track');
    expect(git(repoDir, 'log', '-p', '-1')).toContain('+          image: ghcr.io/example/podinfo:0.2.1   # canary track');
    const message = git(repoDir, 'log', '-1', '--format=%B');
    expect(message).toMatch(/^podinfo: canary 0\.2\.0 → 0\.2\.1/);
    expect(message).toMatch(/^Gitops-Canary-Tag: 0\.2\.1$/m);

    // SIGTERM drains and exits cleanly
    expect(await bot!.stop()).toBe(0);
    expect(bot!.output()).toContain('shutting down: finishing the changes in flight');
  }, 120_000);
});
