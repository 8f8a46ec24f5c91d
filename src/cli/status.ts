// `status` and `status --watch`. A watch takes the checkout's lock only while it reads, so
// a `promote` in another terminal is not kept waiting, and before each read it fetches and
// fast-forwards a clean checkout, since what it watches is the bot's pushes.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { checkConfigAgainstRepo, formatRepoIssue } from '../config/index.ts';
import { loadKeptConfig, type KeptConfigOptions } from '../config/kept.ts';
import { ConfigError, GitError, UsageError } from '../errors.ts';
import type { Workspace } from '../git/workspace.ts';
import { botCommitsIn, workspaceFiles } from '../jobs/run.ts';
import { repoStatus, statusText, type AppStatus } from '../jobs/status.ts';
import { persistentRepo } from '../manifests/tree-store.ts';
import { systemClock } from '../rollout/clock.ts';
import { parseDuration } from '../rollout/duration.ts';
import type { Values } from './args.ts';
import { lockCheckout, lockTimeoutMs, type Out } from './checkout.ts';

export interface WatchDeps {
  /** Waits `ms` between prints, or less when `signal` aborts (tests pass their own). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface Round {
  report: AppStatus[];
  issues: string[];
}

/** The entries git compares with the work tree, for the config's path checks (config/kept.ts):
 *  a skip-worktree or assume-unchanged entry may have anything in its place while the
 *  checkout still counts as clean. Undefined without an index. */
export async function comparedFiles(ws: Workspace): Promise<KeptConfigOptions['tracked']> {
  const index = await stat(path.join(await ws.gitDir(), 'index')).catch(() => undefined);
  if (!index) return undefined;
  const files = async () =>
    (await ws.runner.run(['ls-files', '-z', '-v'])).stdout
      .split('\0')
      .filter((e) => e.startsWith('H '))
      .map((e) => e.slice(2));
  return { stamp: `${index.ino}:${index.size}:${index.mtimeMs}:${index.ctimeMs}`, files };
}

/** `vouch`: let the index answer for the config's paths (see comparedFiles), which pays
 *  off in the next cold process. A watch's fast-forward rewrites the index every round,
 *  so each round would ask git for it anew: there the paths are looked up on disk. */
async function readStatus(ws: Workspace, vouch: boolean): Promise<Round> {
  // one reader for the config and the status (one look at whether the tree is clean),
  // whose answers are kept on disk per tree: the next status of an unchanged tree parses
  // nothing, not even the config
  const files = persistentRepo(workspaceFiles(ws));
  const loaded = await loadKeptConfig(files, vouch ? { tracked: await comparedFiles(ws) } : {});
  if (!loaded) throw new ConfigError('CONFIG_MISSING', 'no .github/gitops-canary.yml in the config repo', { file: '.github/gitops-canary.yml' });
  // The whole log, merges included: a rollout step merged from a PR bakes from its merge.
  // The bot's commits come from the same log: one `git log` less for every status.
  const log = await ws.log({ max: 1000 });
  const report = await repoStatus(files, loaded.config, botCommitsIn(log), { log, now: systemClock.now() });
  const issues = (await checkConfigAgainstRepo(files, loaded.config, { lineOf: loaded.lineOf })).map((i) => `gitops-canary: ${formatRepoIssue(i)}`);
  return { report, issues };
}

/** `--interval`: a duration (5s, 500ms, 1m) or a bare number of seconds, more than 0. */
export function intervalMs(raw: string | undefined): number {
  if (raw === undefined) return 5000;
  const bad = () => new UsageError('USAGE', `--interval must be a duration such as 5s, 500ms or 1m (a bare number is seconds), more than 0, got "${raw}"`);
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) ms = Number(raw) * 1000;
  else {
    try {
      ms = parseDuration(raw);
    } catch {
      throw bad();
    }
  }
  if (!(ms > 0)) throw bad();
  return ms;
}

function countOf(raw: string | undefined): number {
  if (raw === undefined) return Infinity;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError('USAGE', `--count must be a whole number, 1 or more, got "${raw}"`);
  return Number(raw);
}

function abortableWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function statusCommand(ws: Workspace, v: Values, out: Out, argv: readonly string[], deps: WatchDeps = {}): Promise<number> {
  const timeoutMs = lockTimeoutMs(v);
  const json = Boolean(v.json);
  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    const lock = await lockCheckout(ws, argv, timeoutMs, out);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  };
  if (!v.watch) {
    if (v.interval !== undefined || v.count !== undefined) throw new UsageError('USAGE', '--interval and --count go with --watch');
    const { report, issues } = await locked(() => readStatus(ws, true));
    out.log(json ? JSON.stringify(report, null, 2) : report.map(statusText).join('\n\n'));
    for (const line of issues) out.err(line);
    return 0;
  }
  const every = intervalMs(v.interval as string | undefined);
  const count = countOf(v.count as string | undefined);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const wait = deps.wait ?? abortableWait;
  const warned = new Set<string>();
  let lastIssues = '';
  try {
    for (let n = 1; ; n++) {
      let round: Round;
      try {
        round = await locked(async () => {
          await fastForward(ws, out, warned);
          return readStatus(ws, false);
        });
      } catch (err) {
        // the first read failing is the command failing; later, the user may be mid-fix
        if (n === 1 || !(err instanceof GitError || err instanceof ConfigError)) throw err;
        out.err(`gitops-canary: ${err.message.split('\n')[0]}`);
        round = { report: [], issues: [] };
      }
      if (json) out.log(JSON.stringify(round.report));
      else {
        const header = `gitops-canary status, every ${every / 1000}s (Ctrl-C to stop): ${systemClock.now().toISOString()}`;
        out.log(`${out.tty ? '\x1b[H\x1b[2J' : n > 1 ? '\n' : ''}${header}\n\n${round.report.map(statusText).join('\n\n')}`);
      }
      const issues = round.issues.join('\n');
      if (issues && issues !== lastIssues) out.err(issues);
      lastIssues = issues;
      if (n >= count || stop.signal.aborted) break;
      await wait(every, stop.signal);
      if (stop.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

/** Brings a clean checkout up to its upstream; one that cannot be (uncommitted work, local
 *  commits, no network) is shown as it is, with the reason said once. */
async function fastForward(ws: Workspace, out: Out, warned: Set<string>): Promise<void> {
  try {
    // sync() would check out the default branch: not for a command that only reads
    if (!(await ws.currentBranch())) throw new GitError('GIT_DETACHED_HEAD', 'the checkout has a detached HEAD');
    await ws.sync();
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    if (!warned.has(err.code)) out.err(`gitops-canary: showing the checkout as it is, not updated from its upstream: ${err.message.split('\n')[0]}`);
    warned.add(err.code);
  }
}
