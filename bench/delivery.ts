// Webhook-to-remote latency of the app, beside the floor git itself sets.
//
//   tsx bench/delivery.ts [--apps 2000] [--events 50] [--config-apps 1] [--keep]
//
// A generated ~10k-file config repo is served by a local bare remote; one app (the first
// generated app's image, `delivery: commit`) is configured, or with `--config-apps N` that
// app and N - 1 others (further generated apps, each with its own source, image and paths),
// so the cost of an event can be compared between a config of one app and of many. The app runs in local mode
// with its HTTP endpoint on 127.0.0.1. Each event is a signed `release` webhook with a
// newer tag; we time from sending it to the response, which Probot gives only after the
// handler has pushed, and check that the commit is on the remote. The floor is the same
// change made by hand in another warm clone: `git fetch` + edit + `git commit` + `git
// push`. Target: median within 1.5 × floor + 100 ms. Prints, never fails.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.ts';
import { createRuntime } from '../src/handlers/runtime.ts';
import { createProbot, startServer, WEBHOOKS_PATH } from '../src/server.ts';
import { BENCH_GIT_ENV, quantile, recordTarget, settled } from './measure.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET = 'bench-secret';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const ENV = BENCH_GIT_ENV;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

function post(base: string, payload: object): Promise<number> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${WEBHOOKS_PATH}`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'release', 'x-github-delivery': `bench-${performance.now()}`, 'x-hub-signature-256': signature } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function releaseEvent(tag: string): object {
  return {
    action: 'published',
    release: { tag_name: tag, name: tag, draft: false, prerelease: false, target_commitish: 'main' },
    repository: { full_name: 'bench/app', name: 'app', owner: { login: 'bench' }, clone_url: 'https://example.invalid/bench/app.git' },
    sender: { login: 'bench', type: 'User' },
    installation: { id: 1 },
  };
}

const PRODUCTION = /^(.+)\/overlays\/(?:production|prod)\/kustomization\.yaml$/;

/** Config lines for `n` more generated apps (not `image`'s): each app directory's image as
 *  its production overlay names it, a source of its own and a stable track over it. */
function otherApps(repo: string, image: string, n: number): string[] {
  const lines: string[] = [];
  if (n <= 0) return lines;
  for (const rel of git(repo, 'ls-files', '-z').split('\0').sort()) {
    const dir = PRODUCTION.exec(rel)?.[1];
    const other = dir && /^images:\n\s*- name: (\S+)$/m.exec(readFileSync(path.join(repo, rel), 'utf8'))?.[1];
    if (!dir || !other || other === image) continue;
    const i = lines.length / 6;
    lines.push(`  app-${i}:`, `    image: ${other}`, `    source: bench/app-${i}`, '    tracks:', `      stable: { filter: "semver:*", paths: ["${dir}/**"] }`, '    delivery: commit');
    if (lines.length / 6 === n) return lines;
  }
  throw new Error(`the generated repo has fewer than ${n} other apps; generate more (--apps)`);
}

async function main(): Promise<void> {
  const apps = option('apps', '2000');
  const events = Number(option('events', '50'));
  const work = mkdtempSync(path.join(tmpdir(), 'bench-delivery-'));
  try {
    // 1. The generated repo, pushed to a bare remote with the app's config added.
    const gen = existsSync(path.join(ROOT, 'bench/gen-repo.mjs')) ? path.join(ROOT, 'bench/gen-repo.mjs') : path.resolve(ROOT, '../shared/bench/gen-repo.mjs');
    const seedDir = path.join(work, 'seed');
    const summary = JSON.parse(execFileSync(process.execPath, [gen, '--apps', apps, '--out', seedDir], { env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as {
      files: number;
      probes: { firstApp: { app: string; image: string; tag: string } };
    };
    settled(seedDir);
    const { image, tag: startTag } = summary.probes.firstApp;
    const files = git(seedDir, 'grep', '-l', '-F', `${image}:`).trim().split('\n');
    const appDir = files[0].split('/').slice(0, 3).join('/');
    const major = Number(startTag.split('.')[0]) + 1;
    mkdirSync(path.join(seedDir, '.github'), { recursive: true });
    const configApps = Number(option('config-apps', '1'));
    const others = otherApps(seedDir, image, configApps - 1);
    writeFileSync(
      path.join(seedDir, '.github/gitops-canary.yml'),
      ['apps:', '  bench:', `    image: ${image}`, '    source: bench/app', '    tracks:', `      stable: { filter: "semver:>=${major}.0.0", paths: ["${appDir}/**"] }`, '    delivery: commit', ...others, ''].join('\n'),
    );
    git(seedDir, 'add', '.github/gitops-canary.yml');
    git(seedDir, 'commit', '-q', '-m', 'bench app config');
    const remote = path.join(work, 'remote.git');
    git(work, 'clone', '-q', '--bare', seedDir, remote);
    // Packed, as a forge serves it, and no background gc: an auto-gc started by a push
    // would repack under the floor's clone (and the bot's fetches) mid-run.
    git(remote, 'repack', '-adq');
    git(remote, 'config', 'gc.auto', '0');
    git(remote, 'config', 'receive.autogc', 'false');
    console.log(`repo: ${summary.files} files; config of ${others.length / 6 + 1} app(s); app image ${image} in ${files.length} files under ${appDir}/`);

    // 2. The app in local mode, with the bare repo as its config repo.
    const settings = { appId: undefined, privateKey: undefined, webhookSecret: SECRET, logLevel: 'warn', baseUrl: undefined };
    const probot = await createProbot(settings);
    const { runtime } = createRuntime({ mode: 'local', workDir: path.join(work, 'app-work'), localConfigRepo: remote, env: {}, log: probot.log });
    const server = await startServer(probot, createApp(runtime), { port: 0, host: '127.0.0.1', mode: 'local', webhookSecret: SECRET });
    const base = `http://127.0.0.1:${server.port}`;

    // 3. Warm-up (the first clone is not what we measure), then the timed events.
    let minor = 0;
    const nextTag = () => `v${major}.${minor++}.0`;
    const warmTag = nextTag();
    const warm = await post(base, releaseEvent(warmTag));
    // The first event clones the whole repo; past Probot's response timeout it answers 202
    // and keeps working, so wait for the commit to show up.
    if (warm !== 200 && warm !== 202) throw new Error(`warm-up webhook was not accepted: HTTP ${warm}`);
    for (let i = 0; !git(remote, 'log', '-1', '--format=%s', 'main').includes(warmTag.slice(1)); i++) {
      if (i > 600) throw new Error('warm-up commit never reached the remote');
      await new Promise((r) => setTimeout(r, 500));
    }
    const bot: number[] = [];
    for (let i = 0; i < events; i++) {
      const tag = nextTag();
      const start = performance.now();
      const status = await post(base, releaseEvent(tag));
      const ms = performance.now() - start;
      const subject = git(remote, 'log', '-1', '--format=%s', 'main').trim();
      if (status !== 200 || !subject.includes(tag.slice(1))) throw new Error(`event ${tag}: status ${status}, remote head "${subject}"`);
      bot.push(ms);
    }
    await server.close();

    // 4. The floor: the same change by hand in another warm clone.
    const floorDir = path.join(work, 'floor');
    git(work, 'clone', '-q', remote, floorDir);
    const floor: number[] = [];
    for (let i = 0; i < events; i++) {
      const tag = nextTag().slice(1);
      const start = performance.now();
      git(floorDir, 'fetch', '-q', 'origin');
      git(floorDir, 'reset', '-q', '--hard', 'origin/main');
      for (const f of files) {
        const abs = path.join(floorDir, f);
        writeFileSync(abs, readFileSync(abs, 'utf8').replace(new RegExp(`(${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:|newTag: )\\d+\\.\\d+\\.\\d+`, 'g'), `$1${tag}`));
      }
      git(floorDir, 'commit', '-q', '-a', '-m', `bench: ${tag}`);
      git(floorDir, 'push', '-q', 'origin', 'HEAD:main');
      floor.push(performance.now() - start);
    }

    // 5. Report.
    const row = (name: string, v: number[]) => `${name.padEnd(26)} median ${quantile(v, 0.5).toFixed(0).padStart(6)} ms   p95 ${quantile(v, 0.95).toFixed(0).padStart(6)} ms`;
    console.log(row('webhook → commit on remote', bot));
    console.log(row('floor (fetch+commit+push)', floor));
    const target = 1.5 * quantile(floor, 0.5) + 100;
    const med = quantile(bot, 0.5);
    console.log(`target: median ≤ 1.5 × floor + 100 ms = ${target.toFixed(0)} ms → ${med <= target ? 'met' : `NOT met (${(med / quantile(floor, 0.5)).toFixed(2)} × floor)`}`);
    recordTarget({
      bench: 'delivery',
      what: `release webhook → commit on the remote, config of ${configApps} app${configApps === 1 ? '' : 's'}`,
      measured: `${med.toFixed(0)} ms`,
      floor: `${quantile(floor, 0.5).toFixed(0)} ms (fetch+commit+push)`,
      target: `≤ 1.5 × floor + 100 = ${target.toFixed(0)} ms`,
      holds: med <= target,
    });
  } finally {
    if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

await main();
