// npm start in local mode reconciles from a git repo on disk: the embedded example gets a
// stand-in source for example/podinfo, and a tag pushed there (no webhook at all) is
// rolled out by the next pass.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotProcess, type BotProcess } from '../../helpers/bot-process.ts';

let bot: BotProcess | undefined;
let dir: string;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' } });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'local-reconcile-'));
});

afterAll(async () => {
  await bot?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${bot?.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('local mode reconciliation', () => {
  it('a registry push notification reconciles the apps using the image at once', async () => {
    const repo = path.join(dir, 'push', 'config-repo');
    const sources = path.join(dir, 'push', 'sources');
    // no timed passes: only the start pass and what the notification triggers
    const pushBot = await startBotProcess({ LOCAL_CONFIG_REPO: repo, LOCAL_SOURCES: sources, WORK_DIR: path.join(dir, 'push', 'work'), WEBHOOK_SECRET: 'x', RECONCILE_INTERVAL: '1h', REGISTRY_WEBHOOK_TOKEN: 'reg-token', LOG_FORMAT: 'json' });
    try {
      await pushBot.healthy();
      const source = path.join(sources, 'example', 'podinfo');
      await until('the start pass', () => (pushBot.output().includes('reconcile pass done') ? true : undefined));
      const seeded = git(repo, 'rev-parse', 'HEAD').trim();
      git(source, 'tag', '-a', 'v0.2.4', '-m', 'Release v0.2.4');
      const notify = (auth: string, image: string) =>
        fetch(`${pushBot.base}/api/registry/distribution`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
          body: JSON.stringify({ events: [{ action: 'push', target: { repository: image.split('/').slice(1).join('/'), tag: '0.2.4' }, request: { host: image.split('/')[0] } }] }),
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      expect(await notify('Bearer wrong', 'ghcr.io/example/podinfo')).toEqual({ status: 401, body: { error: 'distribution notification without the registry webhook token' } });
      expect(git(repo, 'rev-parse', 'HEAD').trim()).toBe(seeded);
      // an image no app uses reconciles nothing
      expect(await notify('Bearer reg-token', 'ghcr.io/example/other')).toEqual({ status: 202, body: { status: 'accepted', images: ['ghcr.io/example/other'] } });
      expect(await notify('Bearer reg-token', 'ghcr.io/example/podinfo')).toEqual({ status: 202, body: { status: 'accepted', images: ['ghcr.io/example/podinfo'] } });
      const head = await until('the commit the push triggered', () => {
        const h = git(repo, 'rev-parse', 'HEAD').trim();
        return h !== seeded ? h : undefined;
      });
      expect(git(repo, 'log', '-1', '--format=%s', head).trim()).toBe('podinfo: canary 0.2.0 → 0.2.4');
    } finally {
      await pushBot.stop();
    }
  }, 60_000);

  it('seeds a source for the example and rolls out a tag made there on the next pass', async () => {
    const repo = path.join(dir, 'config-repo');
    const sources = path.join(dir, 'sources');
    bot = await startBotProcess({ LOCAL_CONFIG_REPO: repo, LOCAL_SOURCES: sources, WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: 'x', RECONCILE_INTERVAL: '1s' });
    await bot.healthy();
    const source = path.join(sources, 'example', 'podinfo');
    expect(existsSync(path.join(source, '.git'))).toBe(true);
    expect(git(source, 'tag', '--list').trim().split('\n')).toEqual(['v0.1.0', 'v0.2.0']);
    // The example already runs those tags: passes find nothing to do.
    await until('a pass', () => (bot!.output().includes('reconcile podinfo:') ? true : undefined));
    const seeded = git(repo, 'rev-parse', 'HEAD').trim();

    git(source, 'tag', '-a', 'v0.2.1', '-m', 'Release v0.2.1');
    const head = await until('the reconciled commit', () => {
      const h = git(repo, 'rev-parse', 'HEAD').trim();
      return h !== seeded ? h : undefined;
    });
    expect(git(repo, 'log', '-1', '--format=%s', head).trim()).toBe('podinfo: canary 0.2.0 → 0.2.1');
    expect(git(repo, 'log', '-1', '--format=%B', head)).toContain('Gitops-Canary-Event: reconcile');
    expect(git(repo, 'show', `${head}:apps/podinfo/canary-dep.yaml`)).toContain('ghcr.io/example/podinfo:0.2.1');
    // Later passes leave it alone.
    await new Promise((r) => setTimeout(r, 2500));
    expect(git(repo, 'rev-parse', 'HEAD').trim()).toBe(head);
  }, 60_000);
});
