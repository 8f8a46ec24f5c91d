// Small helpers shared by the benchmark driver and its worker: timing, medians, git
// calls on the generated repo, and the result table.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The `q` quantile of `values`, interpolated between neighbours. */
export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** The environment for git run by a benchmark: no user or system config, a fixed identity. */
export const BENCH_GIT_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Runs git in `cwd` and returns stdout; throws with stderr on failure. */
export function git(cwd: string, args: string[]): string {
  return execFileSync('git', [...QUIET_GIT, ...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** For the benchmark's own git calls: a commit of ~800 files (a floor) leaves ~2,400
 *  loose objects, and a few of them start `git gc --auto` in the background, repacking
 *  the repo while later rounds are timed. */
export const QUIET_GIT = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false'];

/** Waits while a background `git gc` runs in the repo at `dir` (the generator's commit of
 *  every file starts one, ~2 s of repacking on a 10k-file repo), so no measure shares the
 *  machine with it. */
export function settled(dir: string, maxMs = 120_000): void {
  const pid = path.join(dir, '.git', 'gc.pid');
  for (const until = Date.now() + maxMs; existsSync(pid) && Date.now() < until; ) spawnSync('sleep', ['0.1']);
}

/** `git grep -l -F` as a separate process, the way a shell user would run it; the
 *  wall time includes the spawn. Exit code 1 (no match) is not an error. */
export function gitGrep(cwd: string, token: string): { ms: number; files: number } {
  const start = performance.now();
  const r = spawnSync('git', ['grep', '-l', '-I', '-F', '-z', '-e', token, '--'], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (r.status !== 0 && r.status !== 1) throw new Error(`git grep failed (${String(r.status)}): ${r.stderr}`);
  return { ms, files: r.stdout.split('\0').filter(Boolean).length };
}

/** Restores the tracked files the bot rewrote, so every run starts from the same tree. */
export function resetTree(cwd: string): void {
  git(cwd, ['checkout', '-q', '--', '.']);
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

/** A plain-text table: first row is the header, columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** Reads `--name value` from argv as a positive integer. */
export function intOption(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(argv[i + 1])}`);
  return n;
}

export function stringOption(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
}

/** One stated target of issue 13 (or an earlier one) and how this run measured it. */
export interface TargetResult {
  /** The bench that measured it (its script name). */
  bench: string;
  what: string;
  measured: string;
  floor?: string;
  target: string;
  holds: boolean;
}

/** Records a target's result for `npm run bench`'s closing summary (bench/all.ts sets
 *  BENCH_SUMMARY to a file every bench appends one JSON line per target to). A bench
 *  run on its own prints its own table and records nothing. */
export function recordTarget(r: TargetResult): void {
  const file = process.env.BENCH_SUMMARY;
  if (file) appendFileSync(file, `${JSON.stringify(r)}\n`);
}
