// The commands that change the config repo, on the same jobs as the app and ChatOps: each
// plans, is analyzed, then commits in the user's checkout and pushes to its upstream.
// Each command loads its jobs when it runs: a set-image in a repo without a config never
// loads the config schema, nor the release, rollout and rollback code.
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { analysisMode, analyzed, type AnalysisMode } from '../analysis/gate.ts';
import type { Config } from '../config/index.ts';
import { CONFIG_FILES } from '../config/names.ts';
import { ConfigError, UsageError } from '../errors.ts';
import type { Workspace } from '../git/workspace.ts';
import { botCommits, commitPlan, dryRun, workspaceFiles, type Prepare } from '../jobs/run.ts';
import { flushStores, persistentRepo } from '../manifests/tree-store.ts';
import type { RepoFiles } from '../manifests/files.ts';
import type { Result } from '../plan.ts';
import { parseImageRef } from '../policy/image.ts';
import { registryFromEnv } from '../registry/index.ts';
import { CliUsageError, type Values } from './args.ts';
import { appConfig, requireConfig, type Checkout, type Out } from './checkout.ts';

interface Run {
  co: Checkout;
  args: string[];
  v: Values;
  out: Out;
}

type Change = (r: Run) => Promise<Result | Result[]>;

/** `<image>:<tag>[@<digest>]`: a digest given is written beside the tag; without one,
 *  references pinned by digest get the tag's digest from the registry. */
function imageArg(arg: string, command: string): { image: string; tag: string; digest?: string } {
  const ref = parseImageRef(arg);
  if (!ref.tag) throw new CliUsageError(`"${arg}" has no tag; expected <image>:<tag>`, command);
  return { image: ref.repository, tag: ref.tag, ...(ref.digest ? { digest: ref.digest } : {}) };
}

/** `flush`: writes the answers kept between processes (Kept), while git commits the
 *  change and, whatever happened, before the run ends. */
async function run(ws: Workspace, prepare: Prepare, v: Values, analysis: AnalysisMode, template: string | undefined, flush?: Kept['flush']): Promise<Result> {
  try {
    return v['dry-run'] ? await dryRun(ws, prepare, { analysis }) : await commitPlan(ws, prepare, { analysis, template, beside: flush && (() => flush({ screens: false })) });
  } finally {
    // the searches once the commit is made: kept for its tree (flushScreens)
    await flush?.();
  }
}

function onlyApp(config: Config, command: string): string {
  const apps = Object.keys(config.apps);
  if (apps.length !== 1) throw new CliUsageError(`${command}: name the app (${apps.join(', ')})`, command);
  return apps[0];
}

/** The config's own `commitMessage` for set-image, which needs no config: one that does
 *  not load stands in its way no more than it does set-image's analysis (setImageAnalysis). */
async function topLevelTemplate(dir: string): Promise<string | undefined> {
  try {
    const { loadConfig } = await import('../config/index.ts');
    return loadConfig(dir)?.config.commitMessage;
  } catch {
    return undefined;
  }
}

/** False only when no config file name is there at all, which is when loadConfig finds
 *  no config (lstat only, as it looks): anything else is left to loadConfig to judge. */
function mayHaveConfig(dir: string): boolean {
  return CONFIG_FILES.some((f) => {
    try {
      lstatSync(path.join(dir, f));
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  });
}

/** set-image's commit message template and analysis mode: the config's when there is
 *  one; without one, what no config gives (no template, strict analysis). */
async function setImageSettings(dir: string, image: string): Promise<{ template?: string; analysis: AnalysisMode }> {
  if (!mayHaveConfig(dir)) return { analysis: 'strict' };
  const template = await topLevelTemplate(dir);
  const { setImageAnalysis } = await import('../jobs/set-image.ts');
  return { template, analysis: setImageAnalysis(dir, image) };
}

/** One change per app: each commit carries one app's trailers, so rollbacks stay per app. */
async function releasePrepares(r: Run, target: { image: string; tag: string; digest?: string }): Promise<Array<{ prepare: Prepare; template?: string }>> {
  const { ws } = r.co;
  const [{ formatRepoIssue, loadConfig, refuseRepoErrors }, { appHistory }, { planAppRelease, planUnconfiguredRelease, routeEvent }] = await Promise.all([
    import('../config/index.ts'),
    import('../jobs/history.ts'),
    import('../jobs/release.ts'),
  ]);
  const source = r.v.source as string | undefined;
  const ev = { ...target, source, event: 'cli' };
  const registry = registryFromEnv(process.env);
  const loaded = await loadConfig(ws.dir);
  if (!loaded) return [{ prepare: (repo) => planUnconfiguredRelease(repo, ev, registry) }];
  const routed = routeEvent(loaded.config, { image: target.image, tag: target.tag, source });
  if (routed.apps.length === 0) throw new ConfigError('RELEASE_NO_APP', routed.reason ?? `no app uses ${target.image}`, { file: loaded.file });
  const warnings = await refuseRepoErrors(workspaceFiles(ws), loaded, { apps: routed.apps.map((a) => a.app), purpose: 'change' });
  for (const w of warnings) r.out.err(`gitops-canary: ${formatRepoIssue(w)}`);
  const commits = await botCommits(ws);
  return routed.apps.map((a) => ({
    prepare: analyzed((repo) => planAppRelease(repo, a, ev, appHistory(commits, a.app), registry), analysisMode(a.config)),
    template: a.config.commitMessage,
  }));
}

interface Kept {
  prepare: Prepare;
  /** Writes what the latest planning derived; never rejects (a repo that cannot be
   *  written stays uncached). */
  flush(opts?: { screens?: boolean }): Promise<void>;
}

/** `prepare` planning on a reader whose derived answers are kept on disk per tree and
 *  per file content (tree-store.ts), as status keeps them: a cold run on a tree seen
 *  before reads the Flux image policies instead of screening and parsing every policy
 *  file. They only decide which files are screened and how markers resolve; the edits
 *  come from parsing the files that hold the image, confirmed by re-parsing. The
 *  analysis reads the plain files. */
function keptAnswers(prepare: Prepare): Kept {
  let files: RepoFiles | undefined;
  return {
    prepare: (repo) => prepare((files = persistentRepo(repo))),
    flush: async (opts) => {
      if (files) await flushStores(files, opts).catch(() => undefined);
    },
  };
}

/** canary weight argument: a whole number from 0 to 100, in the words planSetWeight uses. */
function weightArg(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 100) throw new CliUsageError(`canary weight must be an integer from 0 to 100, got ${raw}`, 'set-weight');
  return n;
}

async function toggle(r: Run, verb: 'pause' | 'resume'): Promise<Result> {
  const { ws } = r.co;
  const app = r.args[0];
  const cfg = appConfig(await requireConfig(ws.dir), app);
  // the bot's own module, loaded only here: it brings the delivery code with it
  const { recordToggle } = await import('../bot/rollback.ts');
  // on the branch checked out, as every CLI change, whatever the app's `branch`
  const branch = (await ws.currentBranch()) ?? cfg.branch;
  return recordToggle(ws, app, { ...cfg, branch }, verb, r.co.user);
}

export const CHANGES: Record<string, Change> = {
  async 'set-image'({ co: { ws }, args, v }) {
    const { image, tag, digest } = imageArg(args[0], 'set-image');
    const registry = registryFromEnv(process.env);
    const [{ template, analysis }, { planSetImage }, { withPinnedDigests }] = await Promise.all([
      setImageSettings(ws.dir, image),
      import('../jobs/set-image-plan.ts'),
      import('../jobs/digests.ts'),
    ]);
    const kept = keptAnswers((repo) => planSetImage(repo, { ...withPinnedDigests({ image, tag, digest, paths: v.path }, registry), tag }));
    return run(ws, kept.prepare, v, analysis, template, kept.flush);
  },
  async release(r) {
    const results: Result[] = [];
    for (const { prepare, template } of await releasePrepares(r, imageArg(r.args[0], 'release'))) {
      results.push(await run(r.co.ws, prepare, r.v, 'strict', template));
    }
    return results;
  },
  async 'set-weight'({ co: { ws }, args, v }) {
    const [app, pct] = args;
    const weight = weightArg(pct);
    const cfg = appConfig(await requireConfig(ws.dir), app);
    const { planSetWeight } = await import('../jobs/weights.ts');
    // a weight set by hand leaves an A/B route or mirror as it is
    return run(ws, (repo) => planSetWeight(repo, app, cfg, weight, 'set-weight', 'keep'), v, analysisMode(cfg), cfg.commitMessage);
  },
  async ab({ co: { ws }, args, v }) {
    const [app, ...words] = args;
    const [{ parseAbWords }, { planAb }] = await Promise.all([import('../rollout/ab-match.ts'), import('../jobs/ab.ts')]);
    const spec = parseAbWords(words);
    if (!spec.ok) throw new CliUsageError(`ab: ${spec.error}`, 'ab');
    const cfg = appConfig(await requireConfig(ws.dir), app);
    return run(ws, (repo) => planAb(repo, app, cfg, spec.match), v, analysisMode(cfg), cfg.commitMessage);
  },
  async abort({ co: { ws }, args, v }) {
    const app = args[0];
    const cfg = appConfig(await requireConfig(ws.dir), app);
    const { planSetWeight } = await import('../jobs/weights.ts');
    // as /canary abort: the A/B route and mirror go too
    return run(ws, (repo) => planSetWeight(repo, app, cfg, 0, 'abort'), v, analysisMode(cfg), cfg.commitMessage);
  },
  async promote({ co, args, v }) {
    const { ws } = co;
    // where the rollout stands is read from the upstream's history, as /canary promote does
    if (!v['dry-run']) await ws.sync();
    const config = await requireConfig(ws.dir);
    const app = args[0] ?? onlyApp(config, 'promote');
    const cfg = appConfig(config, app);
    const { promotePrepare } = await import('../jobs/promote-next.ts');
    return run(ws, await promotePrepare(ws, app, cfg, co.user), v, analysisMode(cfg), cfg.commitMessage);
  },
  pause: (r) => toggle(r, 'pause'),
  resume: (r) => toggle(r, 'resume'),
  async rollback({ co: { ws }, args, v }) {
    const { rollbackApp } = await import('../jobs/rollback.ts');
    return rollbackApp(ws, args[0], { dryRun: Boolean(v['dry-run']) });
  },
};

/** Runs a changing command; UsageError for anything the table lets through but the command refuses. */
export async function runChange(command: string, co: Checkout, args: string[], v: Values, out: Out): Promise<Result | Result[]> {
  const change = CHANGES[command];
  if (!change) throw new UsageError('USAGE', `${command} is not a change`);
  return change({ co, args, v, out });
}
