// What the kill -9 suite needs in either mode: a bot process it can kill with its git
// children (the exit is awaited before the restart takes the clone),
// signed webhooks whose failure is a status and not a throw, and the checks of a config
// repo after the restart.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { sign } from '../../src/intake/signature.ts';
import { freePort, MAIN } from '../helpers/bot-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

// The host's git and bot settings must not leak into the bots or the checks.
export const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GIT_|APP_ID|PRIVATE_KEY|WEBHOOK_SECRET|GITHUB_API_URL|GHE_|CONFIG_REPOS|HOST|PORT|WORK_DIR|LOCAL_|RECONCILE_|REGISTRY_|LOG_|SLACK_|NOTIFY_|SHUTDOWN_|MAX_FILE_SIZE)/.test(k))),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Fault',
  GIT_AUTHOR_EMAIL: 'fault@example.com',
  GIT_COMMITTER_NAME: 'Fault',
  GIT_COMMITTER_EMAIL: 'fault@example.com',
};

export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

export interface Bot {
  child: ChildProcess;
  base: string;
  output: () => string;
}

/** Bots still running; a run that throws must not leave them behind (each leads a
 *  process group of its own, so nothing else would stop them). */
const live = new Set<ChildProcess>();

export function killAll(): void {
  for (const child of live) process.kill(-child.pid!, 'SIGKILL');
}

export async function startBot(env: Record<string, string>): Promise<Bot> {
  const port = await freePort();
  // as `npm start` runs it: the build the suite's script makes first (package.json test:fault)
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...ENV, PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // a group of its own, so a kill takes its git children with it, as a pod's death does
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
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

export function exited(bot: Bot): Promise<unknown> {
  return new Promise((r) => (bot.child.exitCode !== null || bot.child.signalCode !== null ? r(null) : bot.child.once('exit', r)));
}

/** `git push …`, `/usr/lib/git-core/git-remote-http …` → push, remote-http. */
function gitCommand(args: string[]): string | undefined {
  const base = path.basename(args[0] ?? '');
  if (base.startsWith('git-')) return base.slice(4);
  if (base !== 'git') return undefined;
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

/** kill -9 of the bot and every git process it started (a push cut off mid-way);
 *  returns the git commands that were running, to show what the kill interrupted. */
export async function killBot(bot: Bot): Promise<string[]> {
  const done = exited(bot);
  let running = '';
  try {
    running = execFileSync('pgrep', ['-g', String(bot.child.pid), '-a'], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matched; the kill still goes ahead
  }
  process.kill(-bot.child.pid!, 'SIGKILL');
  await done;
  return running
    .split('\n')
    .map((line) => gitCommand(line.split(' ').slice(1)))
    .filter((c): c is string => c !== undefined);
}

export async function stopBot(bot: Bot): Promise<void> {
  const done = exited(bot);
  bot.child.kill('SIGTERM');
  await done;
}

/** The HTTP status of a signed release webhook; 0 when the bot died before answering. */
export function postRelease(base: string, payload: object, secret: string, delivery: string): Promise<number> {
  const body = JSON.stringify(payload);
  return fetch(`${base}/api/github/webhooks`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'release', 'x-github-delivery': delivery, 'x-hub-signature-256': sign(secret, body) },
  }).then((r) => r.status, () => 0);
}

export async function untilLogged(bot: Bot, text: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!bot.output().includes(text)) {
    if (Date.now() > end) throw new Error(`timed out waiting for "${text}"\n${bot.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function locksUnder(dir: string): string[] {
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

export const shuffle = <T>(xs: T[]) => xs.map((x) => [Math.random(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);

/** The canary tag a config repo's tree runs. */
export const canaryOf = (repo: string, ref: string) => git(repo, 'show', `${ref}:apps/podinfo/canary-dep.yaml`).match(/podinfo:([\w.]+)/)?.[1];

/** What a run left in a bare config repo: the tree, the tags of the bot's release commits
 *  (a tag twice is an event applied twice), whether fsck is clean. */
export function inspectRepo(repo: string, ref: string): { tree: string; applied: string[]; fsckOk: boolean } {
  const tree = git(repo, 'rev-parse', `${ref}^{tree}`).trim();
  const applied = git(repo, 'log', '--format=%x01%B', ref)
    .split('\x01')
    .filter((body) => /^Gitops-Canary-Action: release$/m.test(body))
    .map((body) => /^Gitops-Canary-Tag: (.+)$/m.exec(body)?.[1] ?? '');
  let fsckOk = true;
  try {
    git(repo, 'fsck', '--strict', '--no-progress');
  } catch {
    fsckOk = false;
  }
  return { tree, applied, fsckOk };
}
