// The bot's side of the benchmark, in its own process so that its peak RSS is the bot's
// alone. Start-up (module loading, opening the workspace) is excluded: one untimed
// warm-up run, then `--runs` timed runs of "find every reference to the image, plan the
// edits, write the files", with the working tree reset after each.
//
// Usage: tsx bench/bot-worker.ts --repo DIR --image REPO --tag TAG [--runs 5]
// Prints one JSON line (WorkerResult) on stdout.
import { performance } from 'node:perf_hooks';
import { Workspace } from '../src/git/workspace.ts';
import { planImages } from '../src/jobs/images.ts';
import { workspaceFiles, writeAll } from '../src/jobs/run.ts';
import { intOption, median, resetTree, stringOption } from './measure.ts';
import { fastPlan } from './fast-plan.ts';
import { planSpans, type Spans } from './spans.ts';

export interface WorkerResult {
  image: string;
  firstMs: number;
  runsMs: number[];
  medianMs: number;
  /** process.resourceUsage().maxRSS after all runs, in MB (maxRSS is KB). */
  maxRssMb: number;
  refs: number;
  edits: number;
  filesWritten: number;
  skipped: Array<{ file: string; code: string }>;
  /** One extra instrumented run (after the RSS reading): time per step. */
  spans: Spans;
  /** bench/fast-plan.ts (proposed plumbing, same editors): median ms and its edit count. */
  fast: { medianMs: number; edits: number };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const repo = stringOption(argv, 'repo');
  const image = stringOption(argv, 'image');
  const tag = stringOption(argv, 'tag') ?? '9.9.9-bench';
  const runs = intOption(argv, 'runs', 5);
  if (!repo || !image) throw new Error('usage: bot-worker.ts --repo DIR --image REPO [--tag TAG] [--runs N]');

  const ws = await Workspace.open({ dir: repo });
  const once = async () => {
    const start = performance.now();
    const plan = await planImages(workspaceFiles(ws), { image, tag });
    await writeAll(ws, plan.writes);
    const ms = performance.now() - start;
    resetTree(repo);
    return { ms, plan };
  };

  const first = await once();
  const runsMs: number[] = [];
  let last = first.plan;
  for (let i = 0; i < runs; i++) {
    const r = await once();
    runsMs.push(r.ms);
    last = r.plan;
  }
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const spans = await planSpans(ws, image, tag);
  resetTree(repo);
  const fastRuns: number[] = [];
  let fastEdits = 0;
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    fastEdits = (await fastPlan(ws.dir, image, tag)).edits;
    // the first call fills the policy cache, as the first delivery after a push would
    if (i > 0) fastRuns.push(performance.now() - start);
    resetTree(repo);
  }
  const result: WorkerResult = {
    image,
    firstMs: first.ms,
    runsMs,
    medianMs: median(runsMs),
    maxRssMb,
    refs: last.refs.length,
    edits: last.edits.length,
    filesWritten: last.writes.size,
    skipped: last.skipped.map((s) => ({ file: s.file, code: s.code })),
    spans,
    fast: { medianMs: median(fastRuns), edits: fastEdits },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
