// Several bot processes (src/main.ts, local mode) sharing one LOCAL_CONFIG_REPO and one
// WORK_DIR, fed bursts of signed release webhooks; what each process logged is read back
// to count applied, superseded and lost events.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { releasePayload } from '../github-double/index.ts';
import { postWebhook } from '../helpers/app.ts';
import { startBotProcess, type BotProcess } from '../helpers/bot-process.ts';
import { gitEnv } from '../helpers/git-remote.ts';

const execFileP = promisify(execFile);
export const SECRET = 'replicas-secret';

export async function gitIn(gitDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP('git', ['-C', gitDir, ...args], { env: gitEnv(), maxBuffer: 16 << 20 });
  return stdout;
}

/** `n` processes; the first is up before the others start, so what start-up creates
 *  (local sources, in the reconcile work) is made once. Starting together on one
 *  missing config repo is covered in local-seed.test.ts. */
export async function startBots(n: number, env: (i: number) => Record<string, string>): Promise<BotProcess[]> {
  const start = (i: number) => startBotProcess({ ...env(i), WEBHOOK_SECRET: SECRET, LOG_FORMAT: 'json', RECONCILE_INTERVAL: '0' });
  const first = await start(0);
  await first.healthy();
  const rest = await Promise.all(Array.from({ length: n - 1 }, (_, i) => start(i + 1)));
  await Promise.all(rest.map((b) => b.healthy()));
  return [first, ...rest];
}

export function release(bot: BotProcess, tag: string): Promise<{ status: number; body: string }> {
  return postWebhook(bot.base, 'release', releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag }), { secret: SECRET });
}

export interface Figures {
  sent: number;
  answered200: number;
  /** Taken and handled after the answer (its handling outlasted the answer's deadline). */
  answered202: number;
  committed: number;
  superseded: number;
  failed: number;
  /** Events neither committed nor superseded: failed, or not answered 200 or 202. */
  lost: number;
  /** The shas the processes reported as committed. */
  commits: string[];
}

interface LogLine {
  msg?: string;
  status?: string;
  commit?: string;
}

function logLines(bot: BotProcess): LogLine[] {
  const out: LogLine[] = [];
  for (const line of bot.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by the reader; the counts below only use whole lines
    }
  }
  return out;
}

const FAILED = new Set(['release failed', 'release not applied to this config repository', 'handling the delivery failed']);

/** What the processes did with `sent` release events, from their answers and log lines. */
export function figures(bots: BotProcess[], answers: Array<{ status: number }>): Figures {
  const lines = bots.flatMap(logLines);
  const committed = lines.filter((l) => l.status === 'committed').length;
  const superseded = lines.filter((l) => l.status === 'unchanged').length;
  const failed = lines.filter((l) => l.msg !== undefined && FAILED.has(l.msg)).length;
  const answered200 = answers.filter((a) => a.status === 200).length;
  const answered202 = answers.filter((a) => a.status === 202).length;
  const commits = lines.filter((l) => l.status === 'committed' && l.commit).map((l) => l.commit!);
  const lost = Math.max(failed + (answers.length - answered200 - answered202), answers.length - committed - superseded);
  return { sent: answers.length, answered200, answered202, committed, superseded, failed, lost, commits };
}

/** Tags v0.2.1 … v0.2.n dealt round-robin over the processes, all posted at once. */
export async function burst(bots: BotProcess[], n: number): Promise<Array<{ status: number; body: string }>> {
  const tags = Array.from({ length: n }, (_, i) => `v0.2.${i + 1}`);
  return Promise.all(tags.map((tag, i) => release(bots[i % bots.length], tag)));
}

/** Handling goes on after a 202 (an answer slower than 9 s, as on a loaded machine): wait
 *  for every event's outcome line before counting. */
export async function settled(bots: BotProcess[], answers: Array<{ status: number }>): Promise<Figures> {
  const end = Date.now() + 60_000;
  for (;;) {
    const f = figures(bots, answers);
    if (f.committed + f.superseded + f.failed >= answers.length || Date.now() > end) return f;
    await new Promise((r) => setTimeout(r, 100));
  }
}
