// `npm start` with APP_ID, PRIVATE_KEY_PATH and WEBHOOK_SECRET is the GitHub App: the
// process (src/main.ts, as `npm start` runs it) talks to the GitHub double through
// GITHUB_API_URL, clones over HTTP with an installation token, and turns a signed release
// webhook into a config-repo pull request.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { releasePayload, startGitHubDouble, type GitHubDouble } from '../../github-double/index.ts';
import { exampleFiles, INSTALLATION, OWNER, postWebhook, seedConfig } from '../../helpers/app.ts';
import { startBotProcess, type BotProcess } from '../../helpers/bot-process.ts';

const SECRET = 'github-mode-secret';

let bot: BotProcess | undefined;
let double: GitHubDouble;
let dir: string;

beforeAll(async () => {
  double = await startGitHubDouble();
  double.addInstallation({ id: INSTALLATION, account: OWNER });
  await double.addRepo({ owner: OWNER, name: 'config', files: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ merge: 'manual' }) }, installationId: INSTALLATION });
  await double.addRepo({ owner: OWNER, name: 'podinfo', files: { 'README.md': '# podinfo\n' }, installationId: INSTALLATION });
  dir = await mkdtemp(path.join(tmpdir(), 'e2e-github-mode-'));
  const keyFile = path.join(dir, 'app.pem');
  await writeFile(keyFile, double.privateKey);
  bot = await startBotProcess({ APP_ID: String(double.appId), PRIVATE_KEY_PATH: keyFile, WEBHOOK_SECRET: SECRET, GITHUB_API_URL: double.url, WORK_DIR: path.join(dir, 'work') });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await double?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GitHub mode', () => {
  it('answers /healthz, rejects a forged webhook, and turns a signed release into a config PR', async () => {
    expect(await bot!.healthy()).toMatchObject({ status: 'ok', mode: 'github' });

    await double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    const payload = releasePayload({ owner: OWNER, repo: 'podinfo', installationId: INSTALLATION, baseUrl: double.url, tag: 'v0.2.1' });
    const forged = await postWebhook(bot!.base, 'release', payload, { secret: 'not-the-secret' });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(await double.pulls(OWNER, 'config')).toEqual([]);

    const signed = await postWebhook(bot!.base, 'release', payload, { secret: SECRET });
    // 200 once the handlers are done; 202 when they take over 9 s, as a first delivery
    // (the clone of the config repo) did on a loaded 2-core CI machine: they go on, and
    // the PR follows
    expect([200, 202]).toContain(signed.status);
    type Pull = { title: string; head: { ref: string }; body: string };
    const pulls = signed.status === 200 ? ((await double.pulls(OWNER, 'config')) as Pull[]) : await vi.waitFor(async () => {
      const open = (await double.pulls(OWNER, 'config')) as Pull[];
      if (open.length === 0) throw new Error('no config PR yet');
      return open;
    }, { timeout: 30_000, interval: 250 });
    expect(pulls.map((p) => [p.title, p.head.ref])).toEqual([['podinfo: canary 0.2.0 → 0.2.1, canary weight 10%', 'gitops-canary/podinfo/canary']]);
    expect(pulls[0].body).toContain('apps/podinfo/canary-dep.yaml');
    const file = await double.git(OWNER, 'config', 'show', 'gitops-canary/podinfo/canary:apps/podinfo/canary-dep.yaml');
    expect(file).toContain('ghcr.io/example/podinfo:0.2.1');
    const head = (await double.git(OWNER, 'config', 'rev-parse', 'gitops-canary/podinfo/canary')).trim();
    expect(double.checkRuns(OWNER, 'config').map((c) => [c.head_sha, c.name, c.conclusion])).toEqual([[head, 'gitops-canary', 'success']]);
    // the installation token the process minted never reaches its output
    const tokens = [...double.state.tokens.keys()].filter((t) => t.startsWith('ghs_'));
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) expect(bot!.output()).not.toContain(token);
    double.assertNoViolations();
  }, 120_000);
});
