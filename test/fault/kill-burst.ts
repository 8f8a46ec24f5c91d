// Fault suite: kill -9 in the middle of a burst of release webhooks, restart, and check
// that one reconcile pass leaves the config repo exactly as applying every event one by
// one would: nothing lost, nothing applied twice, git intact, no lock left behind.
//
//   tsx test/fault/kill-burst.ts [--runs 20] [--events 100]
//
// Local mode, as `npm start` runs it, with the app's releases as tags of a local source
// repo (so the restarted bot can find what the killed one had acknowledged). Prints a
// line per run and the totals; exits 1 when any run lost, doubled or broke something.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sign } from '../../src/intake/signature.ts';
import { freePort } from '../helpers/bot-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'fault-secret';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GIT_|APP_ID|PRIVATE_KEY|WEBHOOK_SECRET|GITHUB_API_URL|GHE_|CONFIG_REPOS|HOST|PORT|WORK_DIR|LOCAL_|RECONCILE_|REGISTRY_)/.test(k))),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Fault',
  GIT_AUTHOR_EMAIL: 'fault@example.com',
  GIT_COMMITTER_NAME: 'Fault',
  GIT_COMMITTER_EMAIL: 'fault@example.com',
};

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

interface Bot {
  child: ChildProcess;
  base: string;
  output: () => string;
}

async function startBot(dir: string, reconcile: string): Promise<Bot> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...ENV, PORT: String(port), HOST: '127.0.0.1', LOCAL_CONFIG_REPO: path.join(dir, 'config-repo'), WORK_DIR: path.join(dir, 'work'), WEBHOOK_SECRET: SECRET, RECONCILE_INTERVAL: reconcile, LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`bot exited early:\n${out}`);
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return { child, base, output: () => out };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bot never became healthy:\n${out}`);
}

function release(base: string, tag: string, delivery: string): Promise<number> {
  const body = JSON.stringify({
    action: 'published',
    release: { tag_name: tag, draft: false, prerelease: false, target_commitish: 'main' },
    repository: { full_name: 'example/podinfo', name: 'podinfo', owner: { login: 'example' } },
    sender: { login: 'fault', type: 'User' },
  });
  return fetch(`${base}/api/github/webhooks`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'release', 'x-github-delivery': delivery, 'x-hub-signature-256': sign(SECRET, body) },
  }).then((r) => r.status, () => 0);
}

/** A source repo for example/podinfo whose tags are every release of the burst. */
function seedSource(dir: string, tags: string[]): void {
  const repo = path.join(dir, 'sources', 'example', 'podinfo');
  execFileSync('mkdir', ['-p', repo]);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'podinfo');
  for (const t of ['v0.1.0', 'v0.2.0', ...tags]) git(repo, 'tag', '-a', t, '-m', `Release ${t}`);
}

function locksUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.lock')) found.push(path.relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

async function untilLogged(bot: Bot, text: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!bot.output().includes(text)) {
    if (Date.now() > end) throw new Error(`timed out waiting for "${text}"\n${bot.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const shuffle = <T>(xs: T[]) => xs.map((x) => [Math.random(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);

const runs = Number(option('runs', '20'));
const events = Number(option('events', '100'));
const tags = Array.from({ length: events }, (_, i) => `v0.2.${i + 1}`);
const work = mkdtempSync(path.join(tmpdir(), 'fault-kill-'));
let failures = 0;
const totals = { answered: 0, lost: 0, doubled: 0, fsck: 0, locks: 0 };
try {
  // 1. The serial result: every event applied one after the other, no faults.
  const refDir = path.join(work, 'reference');
  seedSource(refDir, tags);
  const ref = await startBot(refDir, '0');
  for (const [i, t] of tags.entries()) await release(ref.base, t, `ref-${i}`);
  ref.child.kill('SIGTERM');
  await new Promise((r) => ref.child.once('exit', r));
  const refRepo = path.join(refDir, 'config-repo');
  const expected = git(refRepo, 'rev-parse', 'HEAD^{tree}').trim();
  console.log(`serial reference: ${events} events -> canary ${git(refRepo, 'show', 'HEAD:apps/podinfo/canary-dep.yaml').match(/podinfo:([\w.]+)/)?.[1]}, tree ${expected.slice(0, 12)}`);

  for (let run = 1; run <= runs; run++) {
    const dir = path.join(work, `run-${run}`);
    seedSource(dir, tags);
    // 2. A burst, all at once in a random order, and kill -9 at a random moment.
    const bot = await startBot(dir, '0');
    const killAt = Math.floor(Math.random() * 5000);
    const answers = shuffle(tags).map((t, i) => release(bot.base, t, `run${run}-${i}`));
    await new Promise((r) => setTimeout(r, killAt));
    bot.child.kill('SIGKILL');
    const statuses = await Promise.all(answers);
    await new Promise((r) => (bot.child.exitCode !== null || bot.child.signalCode !== null ? r(null) : bot.child.once('exit', r)));
    const answered = statuses.filter((s) => s >= 200 && s < 300).length;
    // 3. Restart: the pass at start reconciles from the source.
    const again = await startBot(dir, '1h');
    await untilLogged(again, 'reconcile pass done', 120_000);
    again.child.kill('SIGTERM');
    await new Promise((r) => again.child.once('exit', r));
    // 4. Compare with the serial result.
    const repo = path.join(dir, 'config-repo');
    const tree = git(repo, 'rev-parse', 'HEAD^{tree}').trim();
    const applied = git(repo, 'log', '--format=%x01%B', 'HEAD')
      .split('\x01')
      .filter((body) => /^Gitops-Canary-Action: release$/m.test(body))
      .map((body) => /^Gitops-Canary-Tag: (.+)$/m.exec(body)?.[1] ?? '');
    const doubled = applied.length - new Set(applied).size;
    let fsckOk = true;
    try {
      git(repo, 'fsck', '--strict', '--no-progress');
    } catch {
      fsckOk = false;
    }
    const locks = [...locksUnder(path.join(dir, 'work')), ...locksUnder(path.join(repo, existsSync(path.join(repo, '.git')) ? '.git' : '.'))];
    const lost = tree === expected ? 0 : 1;
    const ok = lost === 0 && doubled === 0 && fsckOk && locks.length === 0;
    if (!ok) failures++;
    totals.answered += answered;
    totals.lost += lost;
    totals.doubled += doubled;
    totals.fsck += fsckOk ? 0 : 1;
    totals.locks += locks.length;
    console.log(
      `run ${String(run).padStart(2)}: kill -9 after ${String(killAt).padStart(4)} ms, ${String(answered).padStart(3)} of ${events} answered 2xx, ${applied.length} release commits, ` +
        `${tree === expected ? 'tree equals the serial result' : `tree DIFFERS (canary ${git(repo, 'show', 'HEAD:apps/podinfo/canary-dep.yaml').match(/podinfo:([\w.]+)/)?.[1]})`}, ` +
        `${doubled} doubled, fsck ${fsckOk ? 'clean' : 'FAILED'}, ${locks.length ? `stale locks: ${locks.join(', ')}` : 'no stale lock'}`,
    );
  }
  console.log(`${runs} runs of ${events} events: ${totals.answered} answered 2xx before the kill; lost ${totals.lost}, doubled ${totals.doubled}, fsck failures ${totals.fsck}, stale locks ${totals.locks}`);
  console.log(`${runs - failures} passed, ${failures} failed`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
