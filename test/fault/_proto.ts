import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { releasePayload, startGitHubDouble } from '../github-double/index.ts';
import { exampleFiles, postWebhook } from '../helpers/app.ts';
import { startBotProcess } from '../helpers/bot-process.ts';

const t0 = Date.now();
const lap = (s: string) => console.log(`${s}: ${Date.now() - t0} ms`);
const d = await startGitHubDouble();
d.addInstallation({ id: 11, account: 'example' });
await d.addRepo({ owner: 'example', name: 'config', files: exampleFiles(), installationId: 11 });
await d.addRepo({ owner: 'example', name: 'podinfo', files: { 'README.md': '#\n' }, installationId: 11 });
lap('double');
for (let i = 1; i <= 100; i++) await d.createRelease('example', 'podinfo', { tag: `v0.2.${i}` });
lap('releases');
const dir = await mkdtemp(path.join(tmpdir(), 'proto-'));
await writeFile(path.join(dir, 'k.pem'), d.privateKey);
const bot = await startBotProcess({ APP_ID: String(d.appId), PRIVATE_KEY_PATH: path.join(dir, 'k.pem'), WEBHOOK_SECRET: 's', GITHUB_API_URL: d.url, WORK_DIR: path.join(dir, 'work'), RECONCILE_INTERVAL: '0', LOG_FORMAT: 'json', CONFIG_REPOS: 'example/config' });
await bot.healthy();
lap('bot');
const n = Number(process.argv[2] ?? 10);
for (let i = 1; i <= n; i++) {
  const r = await postWebhook(bot.base, 'release', releasePayload({ owner: 'example', repo: 'podinfo', installationId: 11, baseUrl: d.url, tag: `v0.2.${i}` }), { secret: 's' });
  if (r.status !== 200) console.log(r);
}
lap(`serial ${n}`);
const ps = [];
for (let i = n + 1; i <= 100; i++) ps.push(postWebhook(bot.base, 'release', releasePayload({ owner: 'example', repo: 'podinfo', installationId: 11, baseUrl: d.url, tag: `v0.2.${i}` }), { secret: 's' }));
const rs = await Promise.all(ps);
lap(`burst ${100 - n}: ${rs.filter((r) => r.status === 200).length} ok`);
const c: Record<string, number> = {}; for (const r of rs) c[`${r.status} ${r.body.slice(0,200)}`] = (c[`${r.status} ${r.body.slice(0,200)}`] ?? 0) + 1; console.log(c);
console.log(bot.output().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(0, 10).join('\n'));
console.log(await d.git('example', 'config', 'log', '--oneline', '-5', 'main'));
console.log(d.requests.length, d.requests.slice(-8).map((r) => `${r.method} ${r.path} ${r.status}`));
await bot.stop();
await d.close();
