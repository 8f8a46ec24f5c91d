// The scheduler tick at fleet scale: a config repo with 1, 100 and 1,000 apps, every one
// in a canary rollout, ticked by the real scheduler code (startScheduler().run) against a
// bare remote, each figure beside a floor measured in the same run:
//   - all apps waiting in their bake: the tick time, per waiting app, beside the floor of
//     one fetch + one `git log` + one config parse (what a repo-level tick cannot avoid);
//   - 100 apps each due a step: the tick time beside the floor of the pushes it must make
//     (each app's one-file change committed and pushed by plain git, one push per app),
//     and the git processes the tick starts per step beside the floor's two.
//
// "Dominated by the pushes" is held to: tick <= 1.5 x push floor + 10 ms per app. A push
// of plain git takes 40-100 ms here, and the criterion keeps the pushes at least half of
// the tick for any push of 20 ms or more (F / (1.5 F + 10 n) >= 1/2 when F >= 20 n); the
// pushes' share of the tick is printed beside it and must be 50 % or more as well.
//
// Each app has its own VirtualService (its traffic file), Service and DestinationRule, and
// a release commit with the trailers the bot writes; all select the pods of one pair of
// shared Deployments. The repo is made with one `git fast-import`, so building it costs
// little at any size.
//
// Usage: tsx bench/tick.ts [--apps 1,100,1000] [--runs 3] [--step-apps 100]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startScheduler } from '../src/bot/tick/scheduler.ts';
import type { TickDeps, TickResult } from '../src/bot/tick/tick.ts';
import type { ConfigRepo, Logger, Scope } from '../src/bot/types.ts';
import { WorkspacePool } from '../src/bot/workspaces.ts';
import { parseConfig } from '../src/config/index.ts';
import { GitRunner } from '../src/git/exec.ts';
import { LocalForge } from '../src/forge/local.ts';
import { formatMessage } from '../src/git/trailers.ts';
import { manualClock } from '../src/rollout/clock.ts';
import { BENCH_GIT_ENV, formatMs, median, recordTarget, stringOption, table } from './measure.ts';

// The apps' schedule: a cron that never comes round while the bench runs (it drives the
// scheduler's run() itself; a cron firing in between would step apps behind its back).
const SCHEDULE = '0 0 1 1 *';
const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;
const EXAMPLE = path.resolve(import.meta.dirname, '../examples/local-config-repo/apps/podinfo');
const LOG_FORMAT = '--format=%H%x00%P%x00%an <%ae>%x00%aI%x00%cI%x00%B';

const appName = (i: number) => `app-${String(i).padStart(4, '0')}`;
const vsFile = (i: number) => `apps/${appName(i)}/virtual-service.yaml`;

const example = (file: string) => readFileSync(path.join(EXAMPLE, file), 'utf8');

/** The app's route, to a host of its own (its Service and DestinationRule below). */
function virtualService(i: number, stable: number, canary: number): string {
  return example('virtual-service.yaml')
    .replaceAll('podinfo', appName(i))
    .replace(/subset: ga\n(\s+)weight: \d+/, `subset: ga\n$1weight: ${stable}`)
    .replace(/subset: canary\n(\s+)weight: \d+/, `subset: canary\n$1weight: ${canary}`);
}

/** The app's Service and DestinationRule, selecting the shared Deployments' pods. */
function appObjects(i: number): Record<string, string> {
  const dir = `apps/${appName(i)}`;
  return {
    [`${dir}/service.yaml`]: example('service.yaml').replace('name: podinfo\n', `name: ${appName(i)}\n`),
    [`${dir}/destination-rule.yaml`]: example('destination-rule.yaml').replace('name: podinfo\n', `name: ${appName(i)}\n`).replace('host: podinfo\n', `host: ${appName(i)}\n`),
  };
}

function configText(n: number): string {
  const lines = ['apps:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  ${appName(i)}:`,
      '    image: ghcr.io/example/podinfo',
      `    source: example/${appName(i)}`,
      '    tracks:',
      '      stable: { filter: "semver:0.1.*", paths: ["shared/ga-dep.yaml"] }',
      '      canary: { filter: "semver:0.2.*", paths: ["shared/canary-dep.yaml"] }',
      '    traffic:',
      `      file: ${vsFile(i)}`,
      '      stable: { subset: ga }',
      '      canary: { subset: canary }',
      '    delivery: commit',
      '    rollout:',
      `      schedule: "${SCHEDULE}"`,
      '      steps: [10, 50, 100]',
      '      bake: 1h',
      '      approval: none',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A bare repo: one commit with every file (each route already at step 1, 90/10), then
 *  one release commit per app carrying the trailers the bot's release path writes. */
function buildRemote(root: string, n: number, label: string): { bare: string; head: string; config: string } {
  const bare = path.join(root, `remote-${label}.git`);
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', bare], { env: BENCH_GIT_ENV });
  const config = configText(n);
  const files: Record<string, string> = { '.github/gitops-canary.yml': config };
  for (const f of ['ga-dep.yaml', 'canary-dep.yaml']) files[`shared/${f}`] = example(f);
  for (let i = 0; i < n; i++) Object.assign(files, appObjects(i), { [vsFile(i)]: virtualService(i, 90, 10) });
  const chunks: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const at = (ms: number) => `Bench <bench@example.com> ${Math.floor(ms / 1000)} +0000`;
  chunks.push('commit refs/heads/main\nmark :1\n', `committer ${at(T0 - MINUTE)}\n`, data('Seed config'));
  for (const [rel, text] of Object.entries(files)) chunks.push(`M 100644 inline ${rel}\n`, data(text));
  for (let i = 0; i < n; i++) {
    const message = formatMessage({
      subject: `${appName(i)}: release 0.2.1 (canary step 1/3, canary weight 10%)`,
      trailers: { App: appName(i), Action: 'release', Track: 'canary', Tag: '0.2.1', Step: '1/3', At: new Date(T0).toISOString(), Replica: 'bench' },
    });
    chunks.push(`commit refs/heads/main\nmark :${i + 2}\n`, `committer ${at(T0)}\n`, data(message), `from :${i + 1}\n`);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: bare, input: chunks.join(''), env: BENCH_GIT_ENV, maxBuffer: 1 << 28 });
  const head = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: bare, encoding: 'utf8' }).trim();
  return { bare, head, config };
}

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

interface Harness {
  clock: ReturnType<typeof manualClock>;
  /** One scheduler cron run, timed. */
  tick(): Promise<{ ms: number; results: TickResult[] }>;
  stop(): void;
}

/** A running scheduler on `bare`, as a bot has it between ticks: its clone made, the
 *  config read by the start-up re-scan. */
async function harness(root: string, bare: string, label: string): Promise<Harness> {
  const repo: ConfigRepo = { id: { owner: 'bench', name: label }, cloneUrl: bare };
  const clock = manualClock(T0 + 10 * MINUTE);
  const deps: TickDeps = { workspaces: new WorkspacePool(path.join(root, `work-${label}`)), notify: () => undefined, clock, log: quiet, replica: 'bench' };
  const scope: Scope = { forge: new LocalForge(quiet), log: quiet, token: async () => undefined, configRepos: async () => [repo], configRepoFor: async () => repo };
  const scheduler = startScheduler({ deps, scopes: async () => [scope], rescan: '0 0 1 1 *' });
  await scheduler.rescan();
  return {
    clock,
    async tick() {
      const start = performance.now();
      const results = await scheduler.run(SCHEDULE);
      return { ms: performance.now() - start, results };
    },
    stop: () => scheduler.stop(),
  };
}

/** Someone else's change on the remote (a file no app reads): the next tick fetches a new
 *  tree and reads its config again. It amends the tip rather than adding a commit, so
 *  every app's release stays within the history a tick reads (HISTORY_DEPTH commits). */
function otherActor(root: string, bare: string): () => void {
  const dir = mkdtempSync(path.join(root, 'actor-'));
  execFileSync('git', ['clone', '-q', bare, dir], { env: BENCH_GIT_ENV });
  let n = 0;
  return () => {
    writeFileSync(path.join(dir, 'NOTES.md'), `change ${++n}\n`);
    execFileSync('git', ['add', 'NOTES.md'], { cwd: dir, env: BENCH_GIT_ENV });
    execFileSync('git', ['commit', '-q', '--amend', '--no-edit'], { cwd: dir, env: BENCH_GIT_ENV });
    execFileSync('git', ['push', '-q', '-f', 'origin', 'HEAD:refs/heads/main'], { cwd: dir, env: BENCH_GIT_ENV });
  };
}

function timedGit(cwd: string, args: string[]): number {
  const start = performance.now();
  const r = spawnSync('git', args, { cwd, env: BENCH_GIT_ENV, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${String(r.stderr)}`);
  return performance.now() - start;
}

/** What any repo-level tick must do: fetch, read the history once, parse the config; in a
 *  plain clone of its own, so it fetches what the tick's clone fetches. */
function readFloor(clone: string, config: string): number {
  const fetch = timedGit(clone, ['fetch', '-q', '--prune', '--no-tags', 'origin']);
  const log = timedGit(clone, ['log', '-z', '--date-order', LOG_FORMAT, '--max-count=1000', 'HEAD', '--']);
  const start = performance.now();
  parseConfig(config);
  return fetch + log + (performance.now() - start);
}

/** The pushes a stepping tick must make: per app, its route file rewritten, committed and
 *  pushed on its own, by plain git in a clone of its own. The remote is put back after. */
function pushFloor(root: string, bare: string, head: string, apps: number): number {
  const dir = mkdtempSync(path.join(root, 'push-floor-'));
  execFileSync('git', ['clone', '-q', bare, dir], { env: BENCH_GIT_ENV });
  let ms = 0;
  for (let i = 0; i < apps; i++) {
    const t = performance.now();
    writeFileSync(path.join(dir, vsFile(i)), virtualService(i, 50, 50));
    ms += performance.now() - t;
    ms += timedGit(dir, ['commit', '-q', '-m', `${appName(i)}: step 2/3`, '--', vsFile(i)]);
    ms += timedGit(dir, ['push', '-q', 'origin', 'HEAD:refs/heads/main']);
  }
  execFileSync('git', ['update-ref', 'refs/heads/main', head], { cwd: bare });
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const ratio = (ms: number, floor: number) => `${(ms / floor).toFixed(1)}x`;

/** `fn`'s result and the git processes the bot's code started meanwhile (how many, and
 *  how many between one push and the next: per step, once the tick's own reads are done). */
async function countingGit<T>(fn: () => Promise<T>): Promise<{ value: T; processes: number; betweenPushes: number[] }> {
  const proto = GitRunner.prototype;
  const { run, tryRun, runInput, runScript } = proto;
  let processes = 0;
  let since = 0;
  const betweenPushes: number[] = [];
  const count = (args: string[]) => {
    processes++;
    since++;
    if (args[0] === 'push') {
      betweenPushes.push(since);
      since = 0;
    }
  };
  proto.run = function (this: GitRunner, ...args: Parameters<GitRunner['run']>) {
    count(args[0]);
    return run.apply(this, args);
  };
  proto.tryRun = function (this: GitRunner, ...args: Parameters<GitRunner['tryRun']>) {
    count(args[0]);
    return tryRun.apply(this, args);
  };
  proto.runInput = function (this: GitRunner, ...args: Parameters<GitRunner['runInput']>) {
    count(args[0]);
    return runInput.apply(this, args);
  };
  // a script's git commands are processes too (the sh that runs them is not counted)
  proto.runScript = function (this: GitRunner, ...args: Parameters<GitRunner['runScript']>) {
    for (const step of args[3]) count(step);
    return runScript.apply(this, args);
  };
  try {
    return { value: await fn(), processes, betweenPushes };
  } finally {
    Object.assign(proto, { run, tryRun, runInput, runScript });
  }
}

async function waiting(root: string, n: number, runs: number, rows: string[][], verdicts: string[]): Promise<void> {
  const { bare, config } = buildRemote(root, n, `waiting-${n}`);
  const floorClone = path.join(root, `floor-${n}`);
  execFileSync('git', ['clone', '-q', bare, floorClone], { env: BENCH_GIT_ENV });
  const push = otherActor(root, bare);
  const h = await harness(root, bare, `waiting-${n}`);
  try {
    for (const moved of [false, true]) {
      const ticks: number[] = [];
      const floors: number[] = [];
      for (let r = 0; r < runs; r++) {
        if (moved) push();
        floors.push(readFloor(floorClone, config));
        const t = await h.tick();
        const baking = t.results.filter((x) => x.decision?.code === 'BAKING').length;
        if (baking !== n) throw new Error(`expected ${n} apps baking, got ${baking}: ${JSON.stringify(t.results.find((x) => x.decision?.code !== 'BAKING'))}`);
        ticks.push(t.ms);
      }
      const ms = median(ticks);
      const floor = median(floors);
      const label = moved ? 'all waiting, remote moved' : 'all waiting, same tree';
      rows.push([label, String(n), formatMs(ms), formatMs(ms / n), formatMs(floor), ratio(ms, floor)]);
      if (n === 100) {
        const holds = ms < 1000 && ms / n < 10;
        const what = `100 apps waiting (${moved ? 'after another push: config parsed again' : 'same tree: config from the cache'})`;
        verdicts.push(`${what}: ${formatMs(ms)}, ${formatMs(ms / n)} per app; target under 1 s and under 10 ms per app ${holds ? 'holds' : 'MISSED'}`);
        recordTarget({ bench: 'tick', what: `scheduler tick, ${what}`, measured: `${formatMs(ms)}, ${formatMs(ms / n)} per app`, floor: `${formatMs(floor)} fetch + git log + config parse`, target: 'under 1 s and under 10 ms per app', holds });
      }
    }
  } finally {
    h.stop();
  }
}

async function stepping(root: string, apps: number, runs: number, rows: string[][], verdicts: string[]): Promise<void> {
  const { bare, head } = buildRemote(root, apps, `stepping-${apps}`);
  const h = await harness(root, bare, `stepping-${apps}`);
  h.clock.set(new Date(T0 + 61 * MINUTE));
  try {
    const ticks: number[] = [];
    const floors: number[] = [];
    const spawned: number[] = [];
    const idle: number[] = [];
    const perStepRuns: number[] = [];
    for (let r = 0; r < runs; r++) {
      floors.push(pushFloor(root, bare, head, apps));
      const { value: t, processes, betweenPushes } = await countingGit(() => h.tick());
      spawned.push(processes);
      // the first step also pays for the tick's first reads of the files
      perStepRuns.push(median(betweenPushes.length > 1 ? betweenPushes.slice(1) : betweenPushes));
      const advanced = t.results.filter((x) => x.outcome === 'advanced').length;
      if (advanced !== apps) throw new Error(`expected ${apps} apps to advance, got ${advanced}: ${JSON.stringify(t.results.find((x) => x.outcome !== 'advanced'))}`);
      ticks.push(t.ms);
      // the next tick finds every app baking its new step: what a tick starts whatever is due
      const after = await countingGit(() => h.tick());
      const baking = after.value.results.filter((x) => x.decision?.code === 'BAKING').length;
      if (baking !== apps) throw new Error(`expected ${apps} apps baking after their step, got ${baking}`);
      idle.push(after.processes);
      execFileSync('git', ['update-ref', 'refs/heads/main', head], { cwd: bare });
    }
    const ms = median(ticks);
    const floor = median(floors);
    rows.push(['each app takes a step', String(apps), formatMs(ms), formatMs(ms / apps), formatMs(floor), ratio(ms, floor)]);
    const limit = 1.5 * floor + 10 * apps;
    const share = floor / ms;
    const holds = ms <= limit && share >= 0.5;
    const target = `at most 1.5 x floor + 10 ms per app (${formatMs(limit)}), the pushes at least 50 % of the tick`;
    verdicts.push(`${apps} apps each taking a step: ${formatMs(ms)} beside ${formatMs(floor)} for their ${apps} commits and pushes by plain git (${ratio(ms, floor)}); the pushes are ${(share * 100).toFixed(0)} % of the tick; target (cost dominated by the pushes: ${target}) ${holds ? 'holds' : 'MISSED'}`);
    const perStep = median(perStepRuns);
    const average = (median(spawned) - median(idle)) / apps;
    verdicts.push(`git processes per step: ${perStep} from one push to the next (median), beside 2 (commit, push) in the floor; target at most 6 ${perStep <= 6 ? 'holds' : 'MISSED'}. The tick started ${median(spawned)}: ${median(idle)} that a tick with nothing due starts too, ${average.toFixed(2)} per step with the first reads of the files and the screens searched afresh`);
    recordTarget({ bench: 'tick', what: `scheduler tick, ${apps} apps each taking a step`, measured: `${formatMs(ms)} (${ratio(ms, floor)}, pushes ${(share * 100).toFixed(0)} % of it)`, floor: `${formatMs(floor)} plain git commit + push per app`, target, holds });
    recordTarget({ bench: 'tick', what: 'scheduler tick, git processes per step', measured: perStep.toFixed(1), floor: '2 (commit, push)', target: 'at most 6', holds: perStep <= 6 });
  } finally {
    h.stop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sizes = (stringOption(argv, 'apps') ?? '1,100,1000').split(',').map(Number);
  const runs = Number(stringOption(argv, 'runs') ?? 3);
  const stepApps = Number(stringOption(argv, 'step-apps') ?? 100);
  const root = mkdtempSync(path.join(os.tmpdir(), 'gcb-bench-tick-'));
  const rows = [['scheduler tick', 'apps', 'tick', 'per app', 'floor', 'ratio']];
  const verdicts: string[] = [];
  try {
    for (const n of sizes) await waiting(root, n, runs, rows, verdicts);
    if (stepApps > 0) await stepping(root, stepApps, Math.min(runs, 2), rows, verdicts);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log('Scheduler tick, medians; floors from the same run: fetch + git log + config parse (waiting), a plain git commit + push per app (stepping)');
  console.log(table(rows));
  for (const v of verdicts) console.log(`- ${v}`);
}

await main();
