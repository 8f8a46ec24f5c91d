// `npm run bench`: every benchmark in turn, each printing its own figures beside the
// floors it measured in the same run, then one table of every stated target and whether
// it holds on this machine. Prints, never fails on a missed target (a broken bench is
// still an error).
//
//   tsx bench/all.ts [--quick]      (--quick: the smaller repos only, no 50k-file runs)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { table, type TargetResult } from './measure.ts';

const quick = process.argv.includes('--quick');
const BENCHES: Array<{ name: string; args: string[] }> = [
  { name: 'core', args: ['bench/run.ts'] },
  { name: 'delivery, 1 app', args: ['bench/delivery.ts'] },
  { name: 'delivery, 1,000 apps', args: ['bench/delivery.ts', '--config-apps', '1000'] },
  { name: 'responsiveness', args: ['bench/responsiveness.ts'] },
  { name: 'reconcile', args: ['bench/reconcile.ts'] },
  { name: 'startup', args: ['bench/startup.ts'] },
  { name: 'scale (status, extract)', args: ['bench/scale.ts', ...(quick ? [] : ['--large'])] },
  { name: 'set-image', args: ['bench/set-image.ts', ...(quick ? ['--apps', '2000'] : [])] },
  { name: 'tick', args: ['bench/tick.ts'] },
];

const root = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-all-'));
const summary = path.join(dir, 'targets.jsonl');
let broken = 0;
try {
  // the CLI figures are of the compiled build
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  for (const b of BENCHES) {
    console.log(`\n=== ${b.name}: tsx ${b.args.join(' ')}\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', ...b.args], { cwd: root, stdio: 'inherit', env: { ...process.env, BENCH_SUMMARY: summary } });
    if (r.status !== 0) {
      broken++;
      console.log(`\n${b.name}: the bench itself failed (exit ${String(r.status ?? r.signal)})`);
    }
  }
  const results = readFileSync(summary, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TargetResult);
  console.log(`\n=== targets (${results.filter((t) => t.holds).length} of ${results.length} hold on this machine)\n`);
  console.log(table([['bench', 'what', 'measured', 'floor', 'target', 'result'], ...results.map((t) => [t.bench, t.what, t.measured, t.floor ?? '', t.target, t.holds ? 'holds' : 'MISSED'])]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(broken ? 1 : 0);
