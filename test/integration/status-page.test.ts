// The status page as a person sees it: the bot started as `npm start` runs it in local
// mode runs a short scheduled rollout on its own, then Debian's headless Chromium loads
// `/` and the test reads the rendered DOM (text and the SVG's points) and keeps a
// screenshot under test-output/.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload } from '../github-double/index.ts';
import { postWebhook } from '../helpers/app.ts';
import { startBotProcess, type BotProcess } from '../helpers/bot-process.ts';

const run = promisify(execFile);
const SECRET = 'status-page-secret';
const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'test-output');
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };

let dir: string;
let bot: BotProcess | undefined;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: GIT_ENV });
}

/** The example config repo with a rollout that steps every second: 10 → 60 → 100, promote. */
function seedRepo(bare: string): void {
  const work = path.join(dir, 'seed');
  cpSync(path.join(ROOT, 'examples/local-config-repo'), work, { recursive: true });
  const cfg = path.join(work, '.github/gitops-canary.yml');
  const text = readFileSync(cfg, 'utf8').replace(
    '    delivery: commit',
    ['    delivery: commit', '    rollout:', '      steps: [10, 60, 100]', '      schedule: "* * * * * *"', '      bake: 1s', '      approval: none', '      promote: true'].join('\n'),
  );
  writeFileSync(cfg, text);
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'seed');
  git(dir, 'clone', '-q', '--bare', work, bare);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'status-page-'));
  const repo = path.join(dir, 'config-repo');
  seedRepo(repo);
  bot = await startBotProcess({ LOCAL_CONFIG_REPO: repo, WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: SECRET, LOCAL_SOURCES: path.join(dir, 'sources') });
  await bot.healthy();
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitForPromotion(repo: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (/Action: promote/i.test(git(repo, 'log', '-5', '--format=%B'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no promotion after 60 s:\n${git(repo, 'log', '--format=%s')}\n${bot!.output().slice(-4000)}`);
}

describe('status page', () => {
  it('shows the rollout as text and as a timeline of linked points in headless Chromium', async () => {
    const repo = path.join(dir, 'config-repo');
    const res = await postWebhook(bot!.base, 'release', releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.1' }), { secret: SECRET });
    expect(res.status).toBe(200);
    await waitForPromotion(repo);

    const json = (await (await fetch(`${bot!.base}/api/status`)).json()) as { repos: { apps: { app: string; timeline: { canary: number; url: string }[] }[] }[] };
    const app = json.repos[0].apps.find((a) => a.app === 'podinfo')!;
    const weights = app.timeline.map((p) => p.canary);
    expect(weights.slice(-4)).toEqual([10, 60, 100, 0]);

    const { stdout: dom } = await run('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--dump-dom', `${bot!.base}/`], { timeout: 60_000, maxBuffer: 16 << 20 });
    // the rendered text
    const text = dom.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('gitops-canary');
    expect(text).toMatch(/podinfo .*ghcr\.io\/example\/podinfo/);
    expect(text).toMatch(/stable 0\.2\.1/);
    expect(text).toMatch(/weights .*stable 100% · canary 0%/);
    expect(text).toMatch(/last change [0-9a-f]{12} podinfo: promote 0\.2\.1/);
    // the SVG's points: one per change, in order, each linking to the bot's commit page
    const points = [...dom.matchAll(/<a href="(\/commit\/[0-9a-f]{40})" class="point" data-sha="[0-9a-f]{40}" data-canary="(\d+)"/g)];
    expect(points.map((m) => Number(m[2])).slice(-4)).toEqual([10, 60, 100, 0]);
    const commit = await fetch(`${bot!.base}${points.at(-1)![1]}`);
    expect(commit.status).toBe(200);
    expect(await commit.text()).toMatch(/Gitops-Canary-Action: promote/);

    mkdirSync(OUT, { recursive: true });
    const shot = path.join(OUT, 'status-page.png');
    rmSync(shot, { force: true });
    await run('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--window-size=1000,900', `--screenshot=${shot}`, `${bot!.base}/`], { timeout: 60_000 });
    expect(statSync(shot).size).toBeGreaterThan(5000);
  }, 180_000);
});
