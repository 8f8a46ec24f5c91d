// Start-up cost of the installed CLI, which runs the compiled build (dist/), beside the
// cost of starting Node itself, measured in the same run:
//
//   npm run bench:startup            (builds dist/ first when a source is newer)
//   tsx bench/startup.ts [--runs 7] [--profile DIR]
//
// Commands: `node -e 0`, `gitops-canary --version`, and `gitops-canary status` in a clone
// of the example config repo as local mode seeds it. Runs are interleaved (one of each
// command per round, after a warm-up round) so a busy moment of the machine lands on
// every command alike. Targets (issue 12): --version under 150 ms, status under 400 ms,
// as medians. With --profile, status runs once more under `node --cpu-prof` and the
// self time is printed by package and by function. Prints, never fails on a miss.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureLocalConfigRepo } from '../src/local/seed.ts';
import { BENCH_GIT_ENV, formatMs, git, intOption, median, recordTarget, stringOption, table } from './measure.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/gitops-canary.mjs');
const runs = intOption(process.argv, 'runs', 7);
const profileDir = stringOption(process.argv, 'profile');

if (!existsSync(path.join(ROOT, 'dist/.build-stamp'))) {
  console.error('bench/startup: no build in dist/; run `npm run build` (or `npm run bench:startup`, which builds)');
  process.exit(1);
}

// The compiled build, as a user's PATH runs it: never the sources through tsx.
const env: NodeJS.ProcessEnv = { ...BENCH_GIT_ENV };
delete env.GITOPS_CANARY_FROM_SOURCE;
delete env.NODE_OPTIONS;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
const bare = path.join(scratch, 'config-repo');
await ensureLocalConfigRepo(bare, { log: { info: () => {}, warn: () => {} } });
const checkout = path.join(scratch, 'my-config');
git(scratch, ['clone', '-q', bare, checkout]);

interface Command {
  name: string;
  file: string;
  args: string[];
  target?: number;
  expect: RegExp;
}

const commands: Command[] = [
  { name: 'node -e 0', file: process.execPath, args: ['-e', '0'], expect: /^$/ },
  // the bin through this process's node, as its `#!/usr/bin/env node` line would: the same
  // Node for every command, whichever is first on PATH
  { name: 'gitops-canary --version', file: process.execPath, args: [BIN, '--version'], target: 150, expect: /^gitops-canary \d+\.\d+\.\d+/ },
  { name: 'gitops-canary status', file: process.execPath, args: [BIN, 'status'], target: 400, expect: /podinfo/ },
];

function once(c: Command): number {
  const start = performance.now();
  const r = spawnSync(c.file, c.args, { cwd: checkout, env, encoding: 'utf8' });
  const ms = performance.now() - start;
  // a fast wrong answer is no result: every run must print what the command prints
  if (r.status !== 0 || !c.expect.test(r.stdout)) throw new Error(`${c.name} failed (exit ${String(r.status)}):\n${r.stdout}${r.stderr}`);
  return ms;
}

const samples = new Map<string, number[]>(commands.map((c) => [c.name, []]));
for (const c of commands) once(c);
for (let i = 0; i < runs; i++) for (const c of commands) samples.get(c.name)!.push(once(c));

const floor = median(samples.get('node -e 0')!);
const rows = [['command', 'median', 'over node -e 0', 'min', 'max', 'target', 'result']];
for (const c of commands) {
  const s = samples.get(c.name)!;
  const m = median(s);
  rows.push([
    c.name,
    formatMs(m),
    c.name === 'node -e 0' ? '' : `${m >= floor ? '+' : '-'}${formatMs(Math.abs(m - floor))}`,
    formatMs(Math.min(...s)),
    formatMs(Math.max(...s)),
    c.target ? `< ${c.target} ms` : '',
    c.target ? (m < c.target ? 'holds' : 'MISSED') : '',
  ]);
  if (c.target) recordTarget({ bench: 'startup', what: `${c.name}, cold, example config repo`, measured: formatMs(m), floor: `${formatMs(floor)} (node -e 0)`, target: `< ${c.target} ms`, holds: m < c.target });
}
console.log(`start-up of the compiled CLI (${os.cpus().length} cores, node ${process.version}), medians of ${runs} runs:\n`);
console.log(table(rows));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time of a .cpuprofile by package (or project file) and by function. */
function hotSpots(file: string): { byPackage: [string, number][]; byFunction: [string, number][] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const pkg = new Map<string, number>();
  const fn = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const { url, functionName, lineNumber } = byId.get(id)!.callFrame;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes(ROOT) ? path.relative(ROOT, new URL(url).pathname) : url || `(${functionName || 'native'})`);
    pkg.set(mod, (pkg.get(mod) ?? 0) + ms);
    const key = `${functionName || '(anonymous)'} ${mod}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
  });
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return { byPackage: top(pkg), byFunction: top(fn) };
}

if (profileDir) {
  const dir = path.resolve(profileDir);
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, BIN, 'status'], { cwd: checkout, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`profiled status failed:\n${r.stderr}`);
  const newest = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1)!;
  const spots = hotSpots(path.join(dir, newest));
  console.log(`\nself time of one \`gitops-canary status\` (${path.join(dir, newest)}):\n`);
  console.log(table([['package or file', 'self'], ...spots.byPackage.map(([k, ms]) => [k, formatMs(ms)])]));
  console.log();
  console.log(table([['function', 'self'], ...spots.byFunction.map(([k, ms]) => [k, formatMs(ms)])]));
}

rmSync(scratch, { recursive: true, force: true });
