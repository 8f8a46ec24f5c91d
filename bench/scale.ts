// How `gitops-canary status` and the full image extract grow with the repo and the
// fleet (issue 13), beside floors measured in the same run:
//
//   npm run bench:scale                (builds dist/ first when a source is newer)
//   tsx bench/scale.ts [--runs 3] [--large] [--bin FILE] [--compare FILE] [--compare-max-apps 100]
//
// Repos come from the bench generator (the shared one when present): 200 apps (~1k
// files) and 2,000 apps (~10k files); --large adds 10,000 apps (~52k files, about 20 s to
// generate and a few minutes of runs, hence the flag). Each gets configs of 1, 100 and
// 1,000 apps (capped at the apps the repo has) on branches of their own
// (bench/scale-config.ts). Per repo and config, interleaved, after a warm-up round:
//
//   status      `gitops-canary status` in a cold process (the compiled CLI), wall time and
//               peak RSS, with the answers an earlier status kept for the tree on disk
//               (.git/gitops-canary/, the usual case: the tree has not changed since)
//   first run   the same with that store removed first: every file is read and parsed
//               (the first status after a commit); --compare FILE times another build's
//               bin beside it (configs up to --compare-max-apps, since an old build may
//               take a minute per run)
//   node -e 0   the cost of starting Node
//   git grep    one `git grep -l -F` with every app's image token over the tree
//   parse       reading and parsing the YAML files that grep lists, in a fresh process
//
// Then the full extract of every image reference of the tree (`gitops-canary images`: what
// status of every app and reconciliation read) in a fresh process, beside `git grep` of the words every image
// field holds and the parse of its hits, and beside Renovate's offline extract of the same
// tree where Renovate can be run (bench/renovate.ts: `renovate` on PATH, or RENOVATE_BIN;
// skipped, saying so, elsewhere). Targets: status with 1,000 apps on the 10k repo under
// 2 s, with 100 apps under 0.5 s. Prints, never fails on a miss.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { BENCH_GIT_ENV, formatMs, git, intOption, median, recordTarget, settled, stringOption, table } from './measure.ts';
import { renovateExtract } from './renovate.ts';
import { generatedApps, scaleConfig } from './scale-config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHARED_GENERATOR = path.resolve(ROOT, '../shared/bench/gen-repo.mjs');
const OWN_GENERATOR = path.join(ROOT, 'bench/gen-repo.mjs');
const MAX_RSS = path.join(ROOT, 'test/helpers/max-rss.mjs');
const argv = process.argv;
const runs = intOption(argv, 'runs', 3);
const large = argv.includes('--large');
const bin = path.resolve(stringOption(argv, 'bin') ?? path.join(ROOT, 'bin/gitops-canary.mjs'));
const compare = stringOption(argv, 'compare');
const compareMax = intOption(argv, 'compare-max-apps', 100);
const dist = path.join(path.dirname(bin), '../dist');

if (!existsSync(path.join(dist, '.build-stamp'))) {
  console.error(`bench/scale: no build in ${dist}; run \`npm run build\` (or \`npm run bench:scale\`, which builds)`);
  process.exit(1);
}

// the compiled build, as a user's PATH runs it
const env: NodeJS.ProcessEnv = { ...BENCH_GIT_ENV };
delete env.GITOPS_CANARY_FROM_SOURCE;
delete env.NODE_OPTIONS;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
const generator = existsSync(SHARED_GENERATOR) ? SHARED_GENERATOR : OWN_GENERATOR;

interface Sample {
  ms: number;
  rssMb?: number;
}

function run(file: string, args: string[], cwd: string, opts: { rss?: boolean; input?: string } = {}): Sample & { stdout: string } {
  const rssFile = path.join(scratch, 'rss');
  rmSync(rssFile, { force: true });
  const pre = opts.rss ? ['--import', pathToFileURL(MAX_RSS).href] : [];
  const start = performance.now();
  const r = spawnSync(file, [...pre, ...args], { cwd, env: { ...env, GCB_MAX_RSS_FILE: rssFile }, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, input: opts.input });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${[file, ...args].join(' ').slice(0, 200)} failed (exit ${String(r.status)}):\n${r.stderr.slice(0, 2000)}`);
  const rssMb = opts.rss && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : undefined;
  return { ms, rssMb, stdout: r.stdout };
}

/** `git grep -l -F` of `tokens` over the tree, as one process; the files it lists. */
function grepFloor(cwd: string, tokens: string[]): Sample & { files: string[] } {
  const patterns = path.join(scratch, 'patterns');
  writeFileSync(patterns, tokens.join('\n') + '\n');
  const start = performance.now();
  const r = spawnSync('git', ['grep', '-l', '-I', '-F', '-z', '-f', patterns, '--'], { cwd, env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (r.status !== 0 && r.status !== 1) throw new Error(`git grep failed: ${r.stderr}`);
  return { ms, files: r.stdout.split('\0').filter((f) => /\.ya?ml$/i.test(f)) };
}

// Reads and parses `files` (one per line on stdin) with the build's parser in a fresh
// process, and prints the time that took: the parse a cold CLI pays for its hits.
const PARSE_SCRIPT = `
import { readFileSync } from 'node:fs';
const { parseManifest } = await import(process.argv[1]);
const files = readFileSync(0, 'utf8').split('\\n').filter(Boolean);
const start = performance.now();
let failed = 0;
for (const f of files) { try { parseManifest(f, readFileSync(f, 'utf8')); } catch { failed++; } }
console.log(JSON.stringify({ ms: performance.now() - start, files: files.length, failed }));
`;

function parseFloor(cwd: string, files: string[]): Sample {
  const out = run(process.execPath, ['--input-type=module', '-e', PARSE_SCRIPT, pathToFileURL(path.join(dist, 'manifests/parse.js')).href], cwd, { input: files.join('\n') });
  return { ms: (JSON.parse(out.stdout) as { ms: number }).ms };
}

/** `gitops-canary images --json` (the compiled CLI, a cold process): every image reference
 *  of the tree, nothing kept from an earlier run. */
function extract(cwd: string): Sample & { refs: number; repositories: number; skipped: number } {
  rmSync(path.join(cwd, '.git/gitops-canary'), { recursive: true, force: true });
  const out = run(process.execPath, [bin, 'images', '--json'], cwd, { rss: true });
  const r = JSON.parse(out.stdout) as { repositories: Array<{ references: unknown[] }>; skipped: unknown[] };
  return { ms: out.ms, rssMb: out.rssMb, refs: r.repositories.reduce((n, x) => n + x.references.length, 0), repositories: r.repositories.length, skipped: r.skipped.length };
}

function status(cwd: string, which: string): Sample {
  const out = run(process.execPath, [which, 'status'], cwd, { rss: true });
  if (!/\(.+\)/.test(out.stdout)) throw new Error(`status printed no app:\n${out.stdout.slice(0, 500)}`);
  return out;
}

interface Repo {
  apps: number;
  dir: string;
  files: number;
  configs: number[];
  generateMs: number;
}

function prepare(apps: number): Repo {
  const dir = path.join(scratch, `repo-${apps}`);
  const start = performance.now();
  const r = spawnSync(process.execPath, [generator, '--apps', String(apps), '--out', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${generator} failed: ${r.stderr}`);
  settled(dir);
  const generateMs = performance.now() - start;
  const summary = JSON.parse(r.stdout) as { files: number };
  const all = generatedApps(dir);
  const configs = [...new Set([1, 100, 1000].map((n) => Math.min(n, all.length)))];
  const base = git(dir, ['rev-parse', 'HEAD']).trim();
  for (const n of configs) {
    git(dir, ['checkout', '-q', '-B', `config-${n}`, base]);
    mkdirSync(path.join(dir, '.github'), { recursive: true });
    writeFileSync(path.join(dir, '.github/gitops-canary.yml'), scaleConfig(all, n));
    spawnSync('git', ['add', '.github/gitops-canary.yml'], { cwd: dir, env });
    spawnSync('git', ['commit', '-q', '-m', `config with ${n} apps`], { cwd: dir, env });
  }
  return { apps, dir, files: summary.files, configs, generateMs };
}

function tokensOf(dir: string): string[] {
  const text = readFileSync(path.join(dir, '.github/gitops-canary.yml'), 'utf8');
  return [...new Set([...text.matchAll(/^ {4}image: (\S+)$/gm)].map((m) => m[1].split('/').pop()!))];
}

const sizes = [200, 2000, ...(large ? [10000] : [])];
console.log(`bench/scale: ${os.cpus().length} cores, node ${process.version}, ${runs} runs after a warm-up, generator ${path.relative(process.cwd(), generator) || generator}`);
if (!large) console.log('(the ~52k-file repo is left out: generating and running it takes minutes; pass --large)');

const rows = [['repo files', 'apps', 'status', 'peak RSS', 'first run', 'its RSS', ...(compare ? ['compared build'] : []), 'node -e 0', 'git grep', 'parse hits', 'status / (grep + parse)', 'first / (grep + parse)', 'target', 'result']];
const holds: string[] = [];
for (const apps of sizes) {
  const repo = prepare(apps);
  console.log(`generated ${repo.files} files (${apps} apps) in ${formatMs(repo.generateMs)}`);
  const samples = new Map<number, { status: Sample[]; first: Sample[]; other: Sample[]; node: number[]; grep: number[]; parse: number[]; hits: number }>();
  for (const n of repo.configs) samples.set(n, { status: [], first: [], other: [], node: [], grep: [], parse: [], hits: 0 });
  for (let round = 0; round <= runs; round++) {
    for (const n of repo.configs) {
      git(repo.dir, ['checkout', '-q', `config-${n}`]);
      const s = samples.get(n)!;
      const node = run(process.execPath, ['-e', '0'], repo.dir);
      const grep = grepFloor(repo.dir, tokensOf(repo.dir));
      const parse = parseFloor(repo.dir, grep.files);
      rmSync(path.join(repo.dir, '.git/gitops-canary'), { recursive: true, force: true });
      const first = status(repo.dir, bin);
      const st = status(repo.dir, bin);
      const other = compare && n <= compareMax && (round > 0 || runs === 0) ? status(repo.dir, path.resolve(compare)) : undefined;
      // the first round warms the page cache and Node's compile cache
      if (round === 0) continue;
      s.node.push(node.ms);
      s.grep.push(grep.ms);
      s.parse.push(parse.ms);
      s.hits = grep.files.length;
      s.status.push(st);
      s.first.push(first);
      if (other) s.other.push(other);
    }
  }
  for (const n of repo.configs) {
    const s = samples.get(n)!;
    const st = median(s.status.map((x) => x.ms));
    const rss = Math.max(...s.status.map((x) => x.rssMb ?? 0));
    const first = median(s.first.map((x) => x.ms));
    const firstRss = Math.max(...s.first.map((x) => x.rssMb ?? 0));
    const floor = median(s.grep) + median(s.parse);
    const target = apps === 2000 && n === 1000 ? 2000 : apps === 2000 && n === 100 ? 500 : undefined;
    const result = target === undefined ? '' : st < target ? 'holds' : 'MISSED';
    if (target !== undefined) {
      holds.push(`status, ${n} apps, ${repo.files} files: ${formatMs(st)} against < ${target} ms: ${result} (the first status of a new tree: ${formatMs(first)})`);
      recordTarget({ bench: 'scale', what: `status, ${n} apps, ${repo.files} files, cold process`, measured: formatMs(st), floor: `first status of a new tree ${formatMs(first)}`, target: `< ${target} ms`, holds: st < target });
    }
    rows.push([
      String(repo.files),
      String(n),
      formatMs(st),
      `${rss.toFixed(0)} MB`,
      formatMs(first),
      `${firstRss.toFixed(0)} MB`,
      ...(compare ? [s.other.length ? formatMs(median(s.other.map((x) => x.ms))) : 'skipped'] : []),
      formatMs(median(s.node)),
      formatMs(median(s.grep)),
      `${formatMs(median(s.parse))} (${s.hits} files)`,
      `${(st / floor).toFixed(1)}×`,
      `${(first / floor).toFixed(1)}×`,
      target ? `< ${target} ms` : '',
      result,
    ]);
  }
  if (apps === 2000) {
    git(repo.dir, ['checkout', '-q', '--detach', `config-${repo.configs[0]}~1`]);
    const x: Array<ReturnType<typeof extract>> = [];
    const g: number[] = [];
    const p: number[] = [];
    let hits = 0;
    for (let round = 0; round <= runs; round++) {
      const e = extract(repo.dir);
      const grep = grepFloor(repo.dir, ['image', 'repository']);
      const parse = parseFloor(repo.dir, grep.files);
      if (round === 0) continue;
      x.push(e);
      g.push(grep.ms);
      p.push(parse.ms);
      hits = grep.files.length;
    }
    const last = x[x.length - 1];
    console.log(`\nfull extract of every image reference (gitops-canary images --json), ${repo.files} files: ${formatMs(median(x.map((e) => e.ms)))} (peak RSS ${Math.max(...x.map((e) => e.rssMb ?? 0)).toFixed(0)} MB), ${last.refs} references of ${last.repositories} repositories, ${last.skipped} files skipped`);
    console.log(`  floors: git grep -e image -e repository ${formatMs(median(g))}, read and parse of its ${hits} hits ${formatMs(median(p))}; extract / floors ${(median(x.map((e) => e.ms)) / (median(g) + median(p))).toFixed(1)}×`);
    // Renovate, interleaved with our extract so a busy moment lands on both alike
    const ours: number[] = [];
    const theirs: number[] = [];
    let skipped: string | undefined;
    let reno: { version: string; files: number; deps: number } | undefined;
    for (let round = 0; round < runs && !skipped; round++) {
      const r = renovateExtract(repo.dir);
      if (!r.ok) skipped = r.why;
      else {
        theirs.push(r.ms);
        reno = r;
        ours.push(extract(repo.dir).ms);
      }
    }
    if (skipped || !reno) console.log(`  ${skipped ?? 'Renovate did not run'}: the comparison with its offline extract (goal: at least 10× faster) is skipped`);
    else {
      const ratio = median(theirs) / median(ours);
      console.log(`  Renovate ${reno.version} offline extract (--platform=local --dry-run=extract, kubernetes/kustomize/flux/helm-values, no cache): ${formatMs(median(theirs))}, ${reno.deps} dependencies in ${reno.files} files; ours ${formatMs(median(ours))} in the same rounds: ${ratio.toFixed(1)}× faster (goal ≥ 10×)`);
      recordTarget({ bench: 'scale', what: `full image extract, ${repo.files} files, cold, vs Renovate ${reno.version} offline extract`, measured: `${formatMs(median(ours))} vs ${formatMs(median(theirs))}: ${ratio.toFixed(1)}×`, target: '≥ 10× faster', holds: ratio >= 10 });
    }
  }
  rmSync(repo.dir, { recursive: true, force: true });
}

console.log('\nstatus, medians (cold processes, the compiled CLI):\n');
console.log(table(rows));
console.log(`\ntargets:\n${holds.map((h) => `  ${h}`).join('\n')}`);
rmSync(scratch, { recursive: true, force: true });
