// The kill -9 suite in GitHub mode: the bot process (APP_ID, PRIVATE_KEY_PATH,
// WEBHOOK_SECRET, GITHUB_API_URL) against a fresh GitHub double per run, which serves the
// REST API and the config repo over git smart HTTP. The restarted bot finds the releases
// through the API, as it would on github.com.
import path from 'node:path';
import { OWNER } from '../helpers/app.ts';
import { contractProblems, CONFIG, githubBotEnv, releaseOf, serialOnGitHub, startSourceDouble } from './github-fixture.ts';
import { postRelease, startBot } from './kill-kit.ts';
import type { KillMode } from './kill-mode.ts';

const SECRET = 'fault-secret';

export const githubMode: KillMode = {
  name: 'github',
  // A burst of 100 keeps this bot busy for about 10 s (measured on a 2-core machine):
  // the first seconds go to finding the config repos, once per event, then each event
  // takes about 0.1 s.
  killWindowMs: 10_000,
  async reference(_dir, tags) {
    const serial = await serialOnGitHub(tags);
    return { repo: serial.repo, ref: 'main', how: 'one GitHub-mode bot in this process, one event at a time', close: serial.close };
  },
  async prepare(dir, tags) {
    const double = await startSourceDouble(tags);
    const workDir = path.join(dir, 'work');
    const env = await githubBotEnv(double, dir, { workDir, secret: SECRET });
    const configRepo = double.bareDir(OWNER, CONFIG);
    return {
      configRepo,
      ref: 'main',
      lockRoots: [workDir, configRepo],
      start: (reconcile) => startBot({ ...env, RECONCILE_INTERVAL: reconcile }),
      release: (bot, tag, delivery) => postRelease(bot.base, releaseOf(double, tag), SECRET, delivery),
      problems: () => contractProblems(double),
      close: () => double.close(),
    };
  },
};
