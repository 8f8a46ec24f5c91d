// The bot's side of the benchmark, in its own process so that its peak RSS is the bot's
// alone. Start-up (module loading, opening the workspace) is excluded: one untimed
// warm-up run, then `--runs` timed runs of "find every reference to the image, plan the
// edits, write the files", with the working tree reset after each.
//
// Usage: tsx bench/bot-worker.ts --repo DIR --image REPO [--tag TAG] [--runs 5] [--variant bot|fast]
//   bot  = planImages + Workspace.writeFiles from src/ (then one instrumented run for the breakdown)
//   fast = bench/fast-plan.ts, the proposed plumbing around the same editors
// Prints one JSON line (WorkerResult) on stdout.
import { performance } from 'node:perf_hooks';
import { Workspace } from '../src/git/workspace.ts';
import { planImages } from '../src/jobs/images.ts';
import { workspaceFiles } from '../src/jobs/run.ts';
import { fastPlan } from './fast-plan.ts';
import { intOption, median, resetTree, stringOption } from './measure.ts';
import { planSpans, type Spans } from './spans.ts';

export interface WorkerResult {
  image: string;
  variant: 'bot' | 'fast';
  firstMs: number;
  runsMs: number[];
  medianMs: number;
  /** process.resourceUsage().maxRSS after the timed runs, in MB (maxRSS is KB). */
  maxRssMb: number;
  /** maxRSS once modules are loaded and the workspace is open: the floor before any work. */
  startRssMb: number;
  refs: number;
  edits: number;
  filesWritten: number;
  skipped: Array<{ file: string; code: string }>;
  /** bot only: one extra instrumented run (after the RSS reading), time per step. */
  spans?: Spans;
}

type Once = () => Promise<{ refs: number; edits: number; writes: number; skipped: WorkerResult['skipped'] }>;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const repo = stringOption(argv, 'repo');
  const image = stringOption(argv, 'image');
  const tag = stringOption(argv, 'tag') ?? '9.9.9-bench';
  const runs = intOption(argv, 'runs', 5);
  const variant = stringOption(argv, 'variant') ?? 'bot';
  if (!repo || !image || (variant !== 'bot' && variant !== 'fast')) {
    throw new Error('usage: bot-worker.ts --repo DIR --image REPO [--tag TAG] [--runs N] [--variant bot|fast]');
  }

  const ws = await Workspace.open({ dir: repo });
  const startRssMb = process.resourceUsage().maxRSS / 1024;
  const plan: Once =
    variant === 'bot'
      ? async () => {
          const p = await planImages(workspaceFiles(ws), { image, tag });
          await ws.writeFiles(p.writes);
          return { refs: p.refs.length, edits: p.edits.length, writes: p.writes.size, skipped: p.skipped.map((s) => ({ file: s.file, code: s.code })) };
        }
      : async () => ({ ...(await fastPlan(ws.dir, image, tag)), skipped: [] });
  const once = async () => {
    const start = performance.now();
    const r = await plan();
    const ms = performance.now() - start;
    resetTree(repo);
    return { ms, r };
  };

  // For `fast`, the warm-up also fills the policy cache, as the first delivery after a push would.
  const first = await once();
  const runsMs: number[] = [];
  let last = first.r;
  for (let i = 0; i < runs; i++) {
    const r = await once();
    runsMs.push(r.ms);
    last = r.r;
  }
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  let spans: Spans | undefined;
  if (variant === 'bot') {
    spans = await planSpans(ws, image, tag);
    resetTree(repo);
  }
  const result: WorkerResult = {
    image,
    variant,
    firstMs: first.ms,
    runsMs,
    medianMs: median(runsMs),
    maxRssMb,
    startRssMb,
    refs: last.refs,
    edits: last.edits,
    filesWritten: last.writes,
    skipped: last.skipped,
    ...(spans ? { spans } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
