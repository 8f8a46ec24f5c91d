// The command-line front: parses arguments and calls the same jobs the app runs.
// Exit codes: 0 success (also "nothing to change"), 1 error, 2 usage error.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { ConfigValidationError, checkConfigAgainstRepo, formatRepoIssue, loadConfig, refuseRepoErrors, type Config } from './config/index.ts';
import { BotError, ConfigError, UsageError } from './errors.ts';
import { acquireLock, type HeldLock } from './git/lock.ts';
import { Workspace } from './git/workspace.ts';
import { parseImageRef } from './policy/image.ts';
import type { Result } from './plan.ts';
import { botCommits, botCommitsIn, commitPlan, dryRun, workspaceFiles, type Prepare } from './jobs/run.ts';
import { withPinnedDigests } from './jobs/digests.ts';
import { planSetImage, setImageAnalysis } from './jobs/set-image.ts';
import { planAppRelease, planUnconfiguredRelease, routeEvent } from './jobs/release.ts';
import { planSetWeight } from './jobs/weights.ts';
import { planAb } from './jobs/ab.ts';
import { parseAbWords } from './rollout/ab-match.ts';
import { repoStatus, statusText } from './jobs/status.ts';
import { registryFromEnv } from './registry/index.ts';
import { rollbackApp } from './jobs/rollback.ts';
import { appHistory } from './jobs/history.ts';
import { systemClock } from './rollout/clock.ts';
import { parseMaxFileSize, setMaxFileSize } from './repo-io/read.ts';
import { analysisMode, analyzed, type AnalysisMode } from './analysis/gate.ts';
import { AnalysisError } from './analysis/error.ts';
import { validateCommand } from './analysis/validate-cli.ts';
import { directoryFiles } from './manifests/files.ts';
import { versionLine } from './version.ts';

const USAGE = `usage: gitops-canary <command> [options]

commands:
  set-image <image>:<tag> [--path GLOB]...   rewrite every reference to the image
  release <image>:<tag> [--source owner/repo] run the event path: config and policies decide app and track
  set-weight <app> <canary-percent>           set the canary traffic weight
  ab <app> header|query|cookie <name> ~|=|^= <value>
                                              send matching requests to the canary (~ regex,
                                              = exact, ^= prefix); the weight stays
  ab <app> off                                remove the A/B route
  status                                      every app: tags, weights, rollout step, next step, gates
  rollback <app>                              revert the bot's last commit for the app
  validate [--format text|github]             check the config and the routes it names; exit 1 on errors

  <image>:<tag>@sha256:… writes that digest beside the tag; without one, references pinned
  by digest get the tag's digest from the registry (or stay, with the reason).

options:
  --repo DIR     config repo (default: current directory)
  --dry-run      print the plan, change nothing
  --json         print the plan or result as JSON
  --format F     validate's output: text (default) or github (workflow-command annotations)
  --lock-timeout SECONDS
                 how long to wait for another gitops-canary run on the same checkout
                 (default 60, or GITOPS_CANARY_LOCK_TIMEOUT)
  --version      print the version
  -h, --help     this text`;

interface Out {
  log(s: string): void;
  err(s: string): void;
}

const OPTIONS = {
  repo: { type: 'string' },
  path: { type: 'string', multiple: true },
  source: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Values = { repo?: string; path?: string[]; source?: string; 'dry-run'?: boolean; json?: boolean; 'lock-timeout'?: string; format?: string; help?: boolean; version?: boolean };

function lockTimeoutMs(v: Values): number {
  const raw = v['lock-timeout'] ?? process.env.GITOPS_CANARY_LOCK_TIMEOUT ?? '60';
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new UsageError('USAGE', `--lock-timeout must be a number of seconds, got "${raw}"`);
  return Math.round(seconds * 1000);
}

/** One run at a time per checkout: runs share the index, the work tree and the branch,
 *  so a second run waits for the first (or takes over from one that died). */
async function lockCheckout(ws: Workspace, argv: string[], timeoutMs: number, out: Out): Promise<HeldLock> {
  const file = path.join(await ws.gitDir(), 'gitops-canary.lock');
  const lock = await acquireLock(file, {
    what: `gitops-canary ${argv.join(' ')}`,
    timeoutMs,
    onWait: (h) => out.err(`gitops-canary: waiting up to ${timeoutMs / 1000}s for ${h ? `pid ${h.pid} on ${h.host} (${h.what})` : file} to finish`),
  });
  if (lock.tookOver) out.err(`gitops-canary: took over ${file} from pid ${lock.tookOver.pid} on ${lock.tookOver.host}, which is no longer running`);
  return lock;
}

/** `<image>:<tag>[@<digest>]`: a digest given is written beside the tag; without one,
 *  references pinned by digest get the tag's digest from the registry. */
function imageArg(arg: string | undefined): { image: string; tag: string; digest?: string } {
  if (!arg) throw new UsageError('USAGE', 'missing <image>:<tag>');
  const ref = parseImageRef(arg);
  if (!ref.tag) throw new UsageError('USAGE', `"${arg}" has no tag; expected <image>:<tag>`);
  return { image: ref.repository, tag: ref.tag, ...(ref.digest ? { digest: ref.digest } : {}) };
}

async function requireConfig(dir: string): Promise<Config> {
  const loaded = await loadConfig(dir);
  if (!loaded) throw new ConfigError('CONFIG_MISSING', 'no .github/gitops-canary.yml in the config repo', { file: '.github/gitops-canary.yml' });
  return loaded.config;
}

async function run(ws: Workspace, prepare: Prepare, v: Values, analysis: AnalysisMode = 'strict'): Promise<Result> {
  return v['dry-run'] ? dryRun(ws, prepare, { analysis }) : commitPlan(ws, prepare, { analysis });
}

/** One change per app: each commit carries one app's trailers, so rollbacks stay per app. */
async function releasePrepares(dir: string, target: { image: string; tag: string; digest?: string }, source: string | undefined, ws: Workspace, out: Out): Promise<Prepare[]> {
  const { image, tag } = target;
  const ev = { ...target, source, event: 'cli' };
  const registry = registryFromEnv(process.env);
  const loaded = await loadConfig(dir);
  if (!loaded) return [(repo) => planUnconfiguredRelease(repo, ev, registry)];
  const routed = routeEvent(loaded.config, { image, tag, source });
  if (routed.apps.length === 0) throw new ConfigError('RELEASE_NO_APP', routed.reason ?? `no app uses ${image}`, { file: loaded.file });
  const warnings = await refuseRepoErrors(workspaceFiles(ws), loaded, { apps: routed.apps.map((r) => r.app), purpose: 'change' });
  for (const w of warnings) out.err(`gitops-canary: ${formatRepoIssue(w)}`);
  const commits = await botCommits(ws);
  return routed.apps.map((r) => analyzed((repo) => planAppRelease(repo, r, ev, appHistory(commits, r.app), registry), analysisMode(r.config)));
}

async function dispatch(cmd: string, args: string[], v: Values, out: Out, argv: string[]): Promise<Result | Result[] | null> {
  const timeoutMs = lockTimeoutMs(v);
  const ws = await Workspace.local(path.resolve(v.repo ?? '.'));
  const lock = await lockCheckout(ws, argv, timeoutMs, out);
  try {
    return await dispatchLocked(ws, cmd, args, v, out);
  } finally {
    await lock.release();
  }
}

async function dispatchLocked(ws: Workspace, cmd: string, args: string[], v: Values, out: Out): Promise<Result | Result[] | null> {
  // Run from a subdirectory of the checkout, the config is still at the top.
  const dir = ws.dir;
  switch (cmd) {
    case 'set-image': {
      const { image, tag, digest } = imageArg(args[0]);
      const registry = registryFromEnv(process.env);
      return run(ws, (repo) => planSetImage(repo, { ...withPinnedDigests({ image, tag, digest, paths: v.path }, registry), tag }), v, setImageAnalysis(dir, image));
    }
    case 'release': {
      const results: Result[] = [];
      for (const prepare of await releasePrepares(dir, imageArg(args[0]), v.source, ws, out)) results.push(await run(ws, prepare, v));
      return results;
    }
    case 'set-weight': {
      const [app, pct] = args;
      if (!app || pct === undefined || !/^\d+$/.test(pct)) throw new UsageError('USAGE', 'expected set-weight <app> <canary-percent 0-100>');
      const config = await requireConfig(dir);
      const appCfg = config.apps[app];
      if (!appCfg) throw new ConfigError('CONFIG_UNKNOWN_APP', `unknown app "${app}" (known: ${Object.keys(config.apps).join(', ')})`, { file: '.github/gitops-canary.yml', field: `apps.${app}` });
      // a weight set by hand leaves an A/B route or mirror as it is
      return run(ws, (repo) => planSetWeight(repo, app, appCfg, Number(pct), 'set-weight', 'keep'), v, analysisMode(appCfg));
    }
    case 'ab': {
      const [app, ...words] = args;
      if (!app || words.length === 0) throw new UsageError('USAGE', 'expected ab <app> header|query|cookie <name> ~|=|^= <value>, or ab <app> off');
      const spec = parseAbWords(words);
      if (!spec.ok) throw new UsageError('USAGE', `ab: ${spec.error}`);
      const config = await requireConfig(dir);
      const appCfg = config.apps[app];
      if (!appCfg) throw new ConfigError('CONFIG_UNKNOWN_APP', `unknown app "${app}" (known: ${Object.keys(config.apps).join(', ')})`, { file: '.github/gitops-canary.yml', field: `apps.${app}` });
      return run(ws, (repo) => planAb(repo, app, appCfg, spec.match), v, analysisMode(appCfg));
    }
    case 'status': {
      const config = await requireConfig(dir);
      // The whole log, merges included: a rollout step merged from a PR bakes from its merge.
      const log = await ws.log({ max: 1000 });
      // the bot's commits from the same log: one `git log` less for every status
      const report = await repoStatus(workspaceFiles(ws), config, botCommitsIn(log), { log, now: systemClock.now() });
      out.log(v.json ? JSON.stringify(report, null, 2) : report.map(statusText).join('\n\n'));
      for (const i of await checkConfigAgainstRepo(workspaceFiles(ws), config, { lineOf: (await loadConfig(dir))?.lineOf })) out.err(`gitops-canary: ${formatRepoIssue(i)}`);
      return null;
    }
    case 'rollback': {
      const app = args[0];
      if (!app) throw new UsageError('USAGE', 'expected rollback <app>');
      return rollbackApp(ws, app, { dryRun: v['dry-run'] });
    }
    default:
      throw new UsageError('USAGE', `unknown command "${cmd}"`);
  }
}

export async function main(argv: string[], out: Out = { log: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    out.err(`gitops-canary: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const v = parsed.values as Values;
  const [cmd, ...args] = parsed.positionals;
  if (v.version) {
    out.log(versionLine());
    return 0;
  }
  if (v.help || !cmd) {
    (v.help ? out.log : out.err)(USAGE);
    return v.help ? 0 : 2;
  }
  try {
    // the app takes the same limit from its settings
    setMaxFileSize(parseMaxFileSize(process.env.MAX_FILE_SIZE));
    // read-only and meant for CI checkouts: no lock, no git needed
    if (cmd === 'validate') {
      const dir = path.resolve(v.repo ?? '.');
      return await validateCommand(dir, directoryFiles(dir), { json: v.json, format: v.format }, out);
    }
    const result = await dispatch(cmd, args, v, out, argv);
    if (result) {
      const list = Array.isArray(result) ? result : [result];
      out.log(v.json ? JSON.stringify(Array.isArray(result) && result.length !== 1 ? list : list[0], null, 2) : list.map((r) => r.message).join('\n\n'));
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      out.err(`gitops-canary: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof AnalysisError) {
      // every finding, one a line: the first names what to fix, the rest what else to
      if (v.json) out.log(JSON.stringify({ error: err.code, findings: err.findings }, null, 2));
      const [first, ...rest] = err.message.split('\n');
      out.err([`gitops-canary: ${first}`, ...rest.map((l) => `  ${l}`)].join('\n'));
      return 1;
    }
    // Every config problem at once, one a line: fixing them one run at a time is slow.
    if (err instanceof ConfigValidationError) {
      const [first, ...rest] = err.message.split('\n');
      out.err([`gitops-canary: ${first}`, ...rest.map((l) => `  ${l}`)].join('\n'));
      return 1;
    }
    if (err instanceof BotError) {
      out.err(`gitops-canary: ${err.message.split('\n')[0]}`);
      return 1;
    }
    out.err(`gitops-canary: unexpected error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
