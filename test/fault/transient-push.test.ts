// A push the config repo refuses for a while (a pre-receive hook, as a full disk or a
// protection rule would) loses the event's commit; the next reconcile pass applies it once
// the repo takes pushes again. Nothing is left half done in between.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/intake/signature.ts';
import { startBotProcess, type BotProcess } from '../helpers/bot-process.ts';

const SECRET = 'transient-secret';
let bot: BotProcess | undefined;
let dir: string;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' } });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'transient-push-'));
});

afterAll(async () => {
  await bot?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a push refused for a while', () => {
  it('is applied by the next reconcile pass once the repo takes pushes again', async () => {
    const repo = path.join(dir, 'config-repo');
    const refuse = path.join(dir, 'refuse-pushes');
    bot = await startBotProcess({ LOCAL_CONFIG_REPO: repo, WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: SECRET, RECONCILE_INTERVAL: '2s', LOG_FORMAT: 'json' });
    await bot.healthy();
    const seeded = git(repo, 'rev-parse', 'HEAD').trim();
    const hooks = path.resolve(repo, git(repo, 'rev-parse', '--git-path', 'hooks').trim());
    writeFileSync(path.join(hooks, 'pre-receive'), `#!/bin/sh\nif [ -e ${JSON.stringify(refuse)} ]; then echo "disk full (simulated)" >&2; exit 1; fi\nexit 0\n`);
    chmodSync(path.join(hooks, 'pre-receive'), 0o755);
    writeFileSync(refuse, '');

    // The release exists at its source; its webhook arrives while pushes are refused.
    const source = path.join(dir, 'sources', 'example', 'podinfo');
    git(source, 'tag', '-a', 'v0.2.1', '-m', 'Release v0.2.1');
    const body = JSON.stringify({
      action: 'published',
      release: { tag_name: 'v0.2.1', draft: false, prerelease: false, target_commitish: 'main' },
      repository: { full_name: 'example/podinfo', name: 'podinfo', owner: { login: 'example' } },
      sender: { login: 'dev', type: 'User' },
    });
    const res = await fetch(`${bot.base}/api/github/webhooks`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'release', 'x-github-delivery': 'refused-1', 'x-hub-signature-256': sign(SECRET, body) },
    });
    expect(res.status).toBeLessThan(600);
    await new Promise((r) => setTimeout(r, 3000));
    expect(git(repo, 'rev-parse', 'HEAD').trim()).toBe(seeded);
    expect(bot.output()).toContain('disk full (simulated)');

    // The repo takes pushes again: a pass applies the release, once.
    await rm(refuse);
    const end = Date.now() + 20_000;
    while (git(repo, 'rev-parse', 'HEAD').trim() === seeded && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(git(repo, 'log', '-1', '--format=%s').trim()).toBe('podinfo: canary 0.2.0 → 0.2.1');
    expect(git(repo, 'log', '--format=%s', `${seeded}..HEAD`).trim().split('\n')).toHaveLength(1);
    git(repo, 'fsck', '--strict', '--no-progress');
    expect(existsSync(path.join(dir, 'work'))).toBe(true);
  }, 90_000);
});
