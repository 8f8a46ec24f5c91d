// `npm run bench [-- --apps 2000 --runs 5 --repo DIR --keep]`: how long the bot takes to
// find and rewrite every reference to one image in a large config repo, next to what
// the plain tools cost on the same repo in the same run (`git grep`, reading and
// parsing every YAML file). A missed target is printed, never turned into a failing
// exit code: this is a measurement, not a test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { YAML_FILE } from '../src/manifests/files.ts';
import { screenToken } from '../src/manifests/scan.ts';
import { parseStream } from '../src/manifests/yaml.ts';
import type { WorkerResult } from './bot-worker.ts';
import { formatMs, git, gitGrep, intOption, median, recordTarget, settled, stringOption, table, timed } from './measure.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED_GENERATOR = path.resolve(ROOT, '../shared/bench/gen-repo.mjs');
const OWN_GENERATOR = path.join(ROOT, 'bench/gen-repo.mjs');
const SIDECAR = 'registry.example.com/platform/log-shipper';
const TARGET_MS = 300;
const TARGET_RSS_MB = 150;

interface Summary {
  probes?: Record<string, unknown> & { firstApp?: { image?: string } };
  [key: string]: unknown;
}

function generate(apps: number, out: string): { generator: string; summary: Summary } {
  const generator = existsSync(SHARED_GENERATOR) ? SHARED_GENERATOR : OWN_GENERATOR;
  const r = spawnSync(process.execPath, [generator, '--apps', String(apps), '--out', out], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${generator} failed (${String(r.status)}): ${r.stderr}`);
  settled(out);
  return { generator: path.relative(process.cwd(), generator) || generator, summary: JSON.parse(r.stdout) as Summary };
}

/** The image in most files (the shared sidecar), and the first app's own image. */
function pickImages(repo: string, summary: Summary): { many: string; few: string } {
  const counted = Object.entries(summary.probes ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number');
  counted.sort((a, b) => b[1] - a[1]);
  const many = counted[0]?.[0] ?? SIDECAR;
  let few = summary.probes?.firstApp?.image;
  if (!few) {
    // An unknown generator: take the last image of the first Deployment's containers.
    const first = git(repo, ['ls-files', '*deployment.yaml']).split('\n').filter(Boolean)[0];
    const m = first ? /image:\s*["']?([^\s"'#@]+?)(?::[^\s"'@#/]+)?(?:@\S+)?["']?\s*(?:#.*)?$/m.exec(git(repo, ['show', `HEAD:${first}`])) : null;
    if (!m) throw new Error('cannot find an app image in the generated repo; pass a generator that reports probes.firstApp.image');
    few = m[1];
  }
  return { many, few };
}

async function repeat(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn(); // warm the page cache and the JIT
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await timed(fn)).ms);
  return median(ms);
}

function runWorker(repo: string, image: string, runs: number, variant: 'bot' | 'fast'): WorkerResult {
  const worker = path.join(ROOT, 'bench/bot-worker.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', worker, '--repo', repo, '--image', image, '--runs', String(runs), '--variant', variant], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`bot worker (${variant}) failed for ${image} (${String(r.status)}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as WorkerResult;
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const apps = intOption(argv, 'apps', 2000);
  const runs = intOption(argv, 'runs', 5);
  const given = stringOption(argv, 'repo');
  const keep = argv.includes('--keep');

  const tmp = given ? undefined : mkdtempSync(path.join(os.tmpdir(), 'gitops-canary-bench-'));
  try {
    let repo: string;
    let summary: Summary = {};
    let source: string;
    if (given) {
      repo = path.resolve(given);
      source = `existing repo ${repo}`;
    } else {
      repo = path.join(tmp!, 'repo');
      const g = await timed(() => generate(apps, repo));
      summary = g.value.summary;
      source = `${g.value.generator} --apps ${apps} (generated in ${formatMs(g.ms)})`;
    }
    const yamlFiles = git(repo, ['ls-files', '-z']).split('\0').filter((f) => YAML_FILE.test(f));
    const { many, few } = pickImages(repo, summary);
    console.log(`repo: ${source}`);
    console.log(`      ${yamlFiles.length} YAML files, ${runs} runs per measure (median), node ${process.version}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}`);

    // (a) the baseline: one git grep for the token the bot screens with.
    const grepMany = await repeat(runs, () => gitGrep(repo, screenToken(many)));
    const grepFew = await repeat(runs, () => gitGrep(repo, screenToken(few)));
    const hitsMany = gitGrep(repo, screenToken(many)).files;
    const hitsFew = gitGrep(repo, screenToken(few)).files;

    // (b) and (c): what "just read/parse everything" would cost.
    const abs = yamlFiles.map((f) => path.join(repo, f));
    const readAll = await repeat(runs, async () => {
      for (const f of abs) await readFile(f, 'utf8');
    });
    const texts = await Promise.all(abs.map((f) => readFile(f, 'utf8')));
    let parseErrors = 0;
    const parseAll = await repeat(runs, () => {
      parseErrors = 0;
      for (const t of texts) if (parseStream(t).error) parseErrors++;
    });

    // (d) and (e): the bot, warm, in a child process of its own.
    const botMany = runWorker(repo, many, runs, 'bot');
    const botFew = runWorker(repo, few, runs, 'bot');
    const fastMany = runWorker(repo, many, runs, 'fast');
    const fastFew = runWorker(repo, few, runs, 'fast');

    const ratio = (ms: number, base: number) => `${(ms / base).toFixed(1)}x`;
    console.log('');
    console.log(
      table([
        ['measure', 'median', 'vs git grep', 'files', 'refs', 'edits', 'peak RSS'],
        [`(a) git grep -l -F ${screenToken(many)}`, formatMs(grepMany), '1.0x', String(hitsMany), '', '', ''],
        [`(a) git grep -l -F ${screenToken(few)}`, formatMs(grepFew), '1.0x', String(hitsFew), '', '', ''],
        ['(b) read every YAML file', formatMs(readAll), ratio(readAll, grepMany), String(yamlFiles.length), '', '', ''],
        ['(c) parse every YAML file (yaml)', formatMs(parseAll), ratio(parseAll, grepMany), String(yamlFiles.length), '', '', ''],
        [`(d) bot: ${many}`, formatMs(botMany.medianMs), ratio(botMany.medianMs, grepMany), String(botMany.filesWritten), String(botMany.refs), String(botMany.edits), `${botMany.maxRssMb.toFixed(0)} MB`],
        [`(d) bot: ${few}`, formatMs(botFew.medianMs), ratio(botFew.medianMs, grepFew), String(botFew.filesWritten), String(botFew.refs), String(botFew.edits), `${botFew.maxRssMb.toFixed(0)} MB`],
      ]),
    );
    console.log('');
    console.log(`bot first (warm-up) run: ${formatMs(botMany.firstMs)} / ${formatMs(botFew.firstMs)}; runs: ${botMany.runsMs.map(formatMs).join(', ')} / ${botFew.runsMs.map(formatMs).join(', ')}`);
    console.log('');
    console.log('where the bot spends its time (one instrumented run, replaying planImages step by step):');
    const sum = (s: Record<string, number>) => Object.values(s).reduce((a, b) => a + b, 0);
    const spansMany = botMany.spans!;
    const spansFew = botFew.spans!;
    const rows = Object.keys(spansMany.steps).map((k) => [k, formatMs(spansMany.steps[k]), formatMs(spansFew.steps[k] ?? Number.NaN)]);
    rows.push(['total', formatMs(sum(spansMany.steps)), formatMs(sum(spansFew.steps))]);
    console.log(table([['step', screenToken(many), screenToken(few)], ...rows]));
    console.log(`screening ${screenToken(many)}: ${spansMany.screening}`);
    console.log(`screening ${screenToken(few)}: ${spansFew.screening}`);
    console.log('');
    console.log('what-if: bench/fast-plan.ts (same editors, parse and confirm; policies cached per HEAD, one git grep');
    console.log('for all tokens, concurrent reads/writes, one file at a time through parse -> edit -> confirm):');
    console.log(
      table([
        ['image', 'bot now', 'what-if', 'RSS now', 'RSS what-if', 'edits now', 'edits what-if'],
        ...[
          [botMany, fastMany],
          [botFew, fastFew],
        ].map(([b, f]) => [b.image, formatMs(b.medianMs), formatMs(f.medianMs), `${b.maxRssMb.toFixed(0)} MB`, `${f.maxRssMb.toFixed(0)} MB`, String(b.edits), String(f.edits)]),
      ]),
    );
    if (parseErrors > 0) console.log(`note: ${parseErrors} generated files did not parse`);
    for (const b of [botMany, botFew]) {
      if (b.skipped.length > 0) console.log(`note: bot skipped ${b.skipped.length} for ${b.image}: ${b.skipped.slice(0, 5).map((s) => `${s.file} ${s.code}`).join('; ')}`);
    }

    // Targets: one app image on ~10k files under 300 ms and 150 MB (issue 2, which judged
    // them on the app image and reported the sidecar apart); a sidecar in 801 files under
    // 300 ms warm (issue 13, time only: its peak RSS is printed beside it).
    const scale = yamlFiles.length < 9000 ? ` (repo has ${yamlFiles.length} YAML files, the target is stated for 10k)` : '';
    const appOk = botFew.medianMs < TARGET_MS && botFew.maxRssMb < TARGET_RSS_MB;
    const sidecarOk = botMany.medianMs < TARGET_MS;
    console.log('');
    console.log(
      table([
        ['target', 'measured', 'result'],
        [`bot, one app image (${botFew.filesWritten} files), < ${TARGET_MS} ms`, formatMs(botFew.medianMs), verdict(botFew.medianMs < TARGET_MS)],
        [`bot, one app image, peak RSS < ${TARGET_RSS_MB} MB`, `${botFew.maxRssMb.toFixed(0)} MB`, verdict(botFew.maxRssMb < TARGET_RSS_MB)],
        [`bot, a sidecar (${botMany.filesWritten} files), < ${TARGET_MS} ms`, `${formatMs(botMany.medianMs)} (peak RSS ${botMany.maxRssMb.toFixed(0)} MB)`, verdict(sidecarOk)],
      ]),
    );
    recordTarget({ bench: 'core', what: `bot, find and rewrite one app image (${yamlFiles.length} YAML files)`, measured: `${formatMs(botFew.medianMs)}, ${botFew.maxRssMb.toFixed(0)} MB`, target: `< ${TARGET_MS} ms, < ${TARGET_RSS_MB} MB`, holds: appOk });
    recordTarget({ bench: 'core', what: `bot, rewrite a sidecar in ${botMany.filesWritten} files (${yamlFiles.length} YAML files)`, measured: `${formatMs(botMany.medianMs)}, ${botMany.maxRssMb.toFixed(0)} MB`, target: `< ${TARGET_MS} ms`, holds: sidecarOk });
    console.log(`RSS floor (node + tsx + bot modules loaded, workspace open, no work yet): ${botFew.startRssMb.toFixed(0)} MB`);
    if (scale) console.log(scale.trim());
    if (keep && tmp) console.log(`kept ${repo}`);
  } finally {
    if (tmp && !keep) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  // A broken benchmark setup is still an error; only missed targets are not.
  process.exit(1);
});
