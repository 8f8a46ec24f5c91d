// The kill -9 suite in local mode, as `npm start` runs it: a bare config repo on disk and
// the app's releases as annotated tags of a local source repo, so the restarted bot can
// find what the killed one had acknowledged.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { git, postRelease, startBot, stopBot, type Bot } from './kill-kit.ts';
import type { Arena, KillMode } from './kill-mode.ts';

const SECRET = 'fault-secret';

/** A source repo for example/podinfo whose tags are every release of the burst. */
function seedSource(dir: string, tags: string[]): void {
  const repo = path.join(dir, 'sources', 'example', 'podinfo');
  execFileSync('mkdir', ['-p', repo]);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'podinfo');
  for (const t of ['v0.1.0', 'v0.2.0', ...tags]) git(repo, 'tag', '-a', t, '-m', `Release ${t}`);
}

function release(bot: Bot, tag: string, delivery: string): Promise<number> {
  const payload = {
    action: 'published',
    release: { tag_name: tag, draft: false, prerelease: false, target_commitish: 'main' },
    repository: { full_name: 'example/podinfo', name: 'podinfo', owner: { login: 'example' } },
    sender: { login: 'fault', type: 'User' },
  };
  return postRelease(bot.base, payload, SECRET, delivery);
}

function arena(dir: string, tags: string[]): Arena {
  seedSource(dir, tags);
  const configRepo = path.join(dir, 'config-repo');
  return {
    configRepo,
    ref: 'HEAD',
    lockRoots: [path.join(dir, 'work'), configRepo],
    start: (reconcile) => startBot({ LOCAL_CONFIG_REPO: configRepo, WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: SECRET, RECONCILE_INTERVAL: reconcile }),
    release,
    problems: () => [],
    close: async () => undefined,
  };
}

export const localMode: KillMode = {
  name: 'local',
  killWindowMs: 5000,
  async reference(dir, tags) {
    const a = arena(dir, tags);
    const bot = await a.start('0');
    for (const [i, t] of tags.entries()) await a.release(bot, t, `ref-${i}`);
    await stopBot(bot);
    return { repo: a.configRepo, ref: a.ref, how: 'one local-mode bot process, one event at a time', close: async () => undefined };
  },
  prepare: async (dir, tags) => arena(dir, tags),
};
