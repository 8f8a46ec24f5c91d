// Does the bot stay responsive while it edits a large manifest? The bot runs as `npm
// start` runs it (local mode, intake in its own thread) on a config repo whose canary
// track holds a 4 MB multi-document manifest. While each release is being applied,
// /healthz is polled every 10 ms and a second webhook (ping) is sent; their latencies
// are printed beside the same figures taken while the bot is idle.
//
//   tsx bench/responsiveness.ts [--releases 3] [--mb 4]
//
// Targets (issue 8): p99 of /healthz, and of another webhook's answer, under 100 ms while
// a 4 MB manifest is being edited. Prints, never fails.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sign } from '../src/intake/signature.ts';
import { freePort } from '../test/helpers/bot-process.ts';
import { BENCH_GIT_ENV, intOption, quantile, recordTarget } from './measure.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET = 'bench-secret';

const ENV = BENCH_GIT_ENV;

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

function deployment(i: number, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-${i}
  namespace: bundle
  labels: {app: svc-${i}, team: platform}
spec:
  replicas: 2
  selector:
    matchLabels: {app: svc-${i}}
  template:
    metadata:
      labels: {app: svc-${i}}
    spec:
      containers:
        - name: main
          image: ${image}
          ports: [{containerPort: 8080}]
          env:
            - {name: A, value: "x"}
            - {name: B, value: "y"}
          resources: {limits: {cpu: 100m, memory: 64Mi}}
`;
}

/** A multi-document manifest just under `bytes` (the default file size limit is 4 MiB),
 *  the podinfo canary in every 50th object. */
function bundle(bytes: number): string {
  const docs: string[] = [];
  let size = 0;
  for (let i = 0; ; i++) {
    const d = deployment(i, i % 50 === 0 ? 'ghcr.io/example/podinfo:0.2.0' : `ghcr.io/example/svc-${i}:1.0.${i}`);
    if (size + d.length + 4 > bytes - 1024) break;
    docs.push(d);
    size += d.length + 4;
  }
  return docs.join('---\n');
}

async function timed(url: string, init?: RequestInit): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return performance.now() - t;
}

function signed(event: string, payload: object): RequestInit {
  const body = JSON.stringify(payload);
  return {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': `bench-${performance.now()}`, 'x-hub-signature-256': sign(SECRET, body) },
  };
}

/** Polls /healthz every 10 ms until `until` settles; the latencies, and how long the
 *  handlers' thread was unseen at most (its heartbeat, as /healthz reports it). */
async function poll(base: string, until: Promise<unknown>): Promise<{ health: number[]; ping: number[]; blockedMs: number }> {
  let done = false;
  void until.finally(() => (done = true));
  const health: number[] = [];
  const ping: number[] = [];
  let blockedMs = 0;
  let n = 0;
  while (!done) {
    const t = performance.now();
    const res = await fetch(`${base}/healthz`);
    const body = (await res.json()) as { handlersLastSeenMs?: number };
    health.push(performance.now() - t);
    blockedMs = Math.max(blockedMs, body.handlersLastSeenMs ?? 0);
    if (++n % 20 === 0) ping.push(await timed(`${base}/api/github/webhooks`, signed('ping', { zen: 'bench', hook_id: n })));
    await new Promise((r) => setTimeout(r, 10));
  }
  return { health, ping, blockedMs };
}

const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const releases = intOption(process.argv, 'releases', 3);
const mb = intOption(process.argv, 'mb', 4);
const work = mkdtempSync(path.join(tmpdir(), 'bench-responsive-'));
try {
  // 1. A config repo with a large manifest in the canary track.
  const seed = path.join(work, 'seed');
  const repo = path.join(work, 'config-repo');
  cpSync(path.join(ROOT, 'examples/local-config-repo'), seed, { recursive: true });
  const text = bundle(mb * 1024 * 1024);
  writeFileSync(path.join(seed, 'apps/podinfo/bundle.yaml'), text);
  const cfgFile = path.join(seed, '.github/gitops-canary.yml');
  writeFileSync(cfgFile, readFileSync(cfgFile, 'utf8').replace('paths: ["apps/podinfo/canary-dep.yaml"]', 'paths: ["apps/podinfo/canary-dep.yaml", "apps/podinfo/bundle.yaml"]'));
  git(seed, 'init', '-q', '-b', 'main');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-qm', 'seed');
  // local mode's config repo is bare, as the bot makes it
  git(work, 'clone', '-q', '--bare', seed, repo);
  console.log(`config repo: apps/podinfo/bundle.yaml ${(text.length / 1024 / 1024).toFixed(1)} MB, ${text.split('\n---\n').length} documents`);

  // 2. The bot as npm start runs it.
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...ENV, PORT: String(port), HOST: '127.0.0.1', LOCAL_CONFIG_REPO: repo, WORK_DIR: path.join(work, 'work'), WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // 3. Idle, then while each release rewrites the bundle.
  const idle = await poll(base, new Promise((r) => setTimeout(r, 2000)));
  const load = { health: [] as number[], ping: [] as number[], blockedMs: 0 };
  const took: number[] = [];
  for (let i = 1; i <= releases; i++) {
    const t = performance.now();
    const release = fetch(`${base}/api/github/webhooks`, signed('release', {
      action: 'published',
      release: { tag_name: `v0.2.${i}`, draft: false, prerelease: false, target_commitish: 'main' },
      repository: { full_name: 'example/podinfo', name: 'podinfo', owner: { login: 'example' } },
      sender: { login: 'bench', type: 'User' },
    })).then((r) => r.status);
    const r = await poll(base, release);
    took.push(performance.now() - t);
    load.health.push(...r.health);
    load.ping.push(...r.ping);
    load.blockedMs = Math.max(load.blockedMs, r.blockedMs);
    const status = await release;
    const head = git(repo, 'show', 'HEAD:apps/podinfo/bundle.yaml').includes(`podinfo:0.2.${i}`);
    if (status !== 200 || !head) console.log(`release v0.2.${i}: answered ${status}; bundle updated: ${head}`);
  }
  child.kill('SIGTERM');

  console.log(`release applied (median): ${quantile(took, 0.5).toFixed(0)} ms; the handlers' thread went unseen for at most ${load.blockedMs} ms (it checks in every 250 ms)`);
  console.log(`/healthz idle:        ${fmt(idle.health)}`);
  console.log(`/healthz during edit: ${fmt(load.health)}`);
  console.log(`ping webhook during edit: ${load.ping.length ? fmt(load.ping) : 'none sent'}`);
  const p99 = quantile(load.health, 0.99);
  console.log(`target: /healthz p99 under 100 ms while a ${mb} MB manifest is edited: ${p99 < 100 ? 'holds' : 'MISSED'} (${p99.toFixed(1)} ms)`);
  const pingP99 = quantile(load.ping, 0.99);
  console.log(`target: another webhook answered with p99 under 100 ms meanwhile: ${pingP99 < 100 ? 'holds' : 'MISSED'} (${pingP99.toFixed(1)} ms)`);
  recordTarget({ bench: 'responsiveness', what: `/healthz p99 while a ${mb} MB manifest is edited`, measured: `${p99.toFixed(1)} ms`, target: '< 100 ms', holds: p99 < 100 });
  recordTarget({ bench: 'responsiveness', what: 'another webhook p99 meanwhile', measured: `${pingP99.toFixed(1)} ms`, target: '< 100 ms', holds: pingP99 < 100 });
} finally {
  rmSync(work, { recursive: true, force: true });
}
