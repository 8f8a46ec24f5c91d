// One reconciliation pass: for every app of every config repo in reach, read what its
// source offers now and apply what the config repo lacks, through the same path as an
// event. Events only make this happen sooner: a webhook lost while the bot was down, or
// one GitHub never sent, is applied on the next pass. A state already applied costs a
// look at the source (answered 304 when unchanged) and no write.
import { loadConfig, type AppConfig, type Config } from '../../config/index.ts';
import { BotError } from '../../errors.ts';
import { parseRepoName, repoName, type SourceTags } from '../../forge/types.ts';
import { appHistory, type BotCommit } from '../../jobs/history.ts';
import { botCommits } from '../../jobs/run.ts';
import { sameRepository } from '../../policy/image.ts';
import { formatDuration, parseDuration } from '../../rollout/duration.ts';
import type { Delivered } from '../deliver.ts';
import { handleTag } from '../release.ts';
import type { BotDeps, ConfigRepo, Scope } from '../types.ts';
import { newestPerTrack } from './choose.ts';
import { offeredTags, readsRepo } from './offered.ts';

function usesImage(cfg: AppConfig, image: string): boolean {
  try {
    return sameRepository(cfg.image, image);
  } catch {
    // a pushed name that is no image reference matches no app
    return false;
  }
}

export interface AppReconciled {
  at: Date;
  repo: string;
  app: string;
  source: string;
  /** What was found and why something or nothing changed, one line. */
  outcome: string;
  /** True when this pass committed or proposed a change. */
  changed: boolean;
}

/** What one process remembers between passes: the tag each track was last reconciled to
 *  at which config head (so an unchanged pair is not planned again), and each app's
 *  last outcome (for status). Lost on restart, which costs one plan per track. */
export interface ReconcileMemo {
  applied: Map<string, string>;
  last: Map<string, AppReconciled>;
  /** When the next app falls due (epoch ms), as the last pass saw the configs. */
  wakeAt?: number;
}

export function newReconcileMemo(): ReconcileMemo {
  return { applied: new Map(), last: new Map() };
}

/** Which apps a pass looks at: those using `images` (a registry push: all of them, due or
 *  not), else those whose interval (their own `reconcileInterval`, else `everyMs`) has
 *  passed since their last reconcile. */
export interface PassScope {
  images?: string[];
  everyMs: number;
}

interface RepoView {
  config: Config;
  commits: BotCommit[];
  head: string;
}

function summary(results: Delivered[]): { text: string; changed: boolean } {
  if (results.length === 0) return { text: 'not applied (see the error logged for this config repository); trying again next pass', changed: false };
  const changed = results.some((r) => r.status === 'committed' || r.status === 'pull-request');
  const text = results.map((r) => (r.error ? `failed: ${r.error}` : r.status === 'committed' ? `committed ${r.commit?.slice(0, 12)}` : r.status === 'pull-request' ? `proposed in ${r.url ?? 'a pull request'}` : `unchanged (${r.plan.title})`)).join(', ');
  return { text, changed };
}

async function viewOf(deps: BotDeps, scope: Scope, repo: ConfigRepo): Promise<RepoView | null> {
  return deps.workspaces.with(repo, await scope.token(), async (ws) => {
    await ws.sync();
    const loaded = loadConfig(ws.dir);
    if (!loaded) return null;
    return { config: loaded.config, commits: await botCommits(ws), head: (await ws.resolve('HEAD')) ?? '' };
  });
}

/** Every app source's tags, read a few at a time (the answers are mostly 304s: the
 *  round trips, not the bytes, are the cost) and each source once. */
function readSources(scope: Scope, sources: string[]): Map<string, Promise<SourceTags | null>> {
  const out = new Map<string, Promise<SourceTags | null>>();
  let active = 0;
  const waiting: Array<() => void> = [];
  const slot = () => (active < SOURCE_READS ? (active++, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)).then(() => void active++));
  const free = () => {
    active--;
    waiting.shift()?.();
  };
  for (const source of new Set(sources)) {
    const read = slot().then(() => scope.forge.sourceTags(parseRepoName(source)).finally(free));
    read.catch(() => undefined); // awaited by each app; an unhandled rejection is not ours to log
    out.set(source, read);
  }
  return out;
}

const SOURCE_READS = 8;

async function reconcileApp(
  deps: BotDeps,
  scope: Scope,
  repo: ConfigRepo,
  app: string,
  cfg: AppConfig,
  view: RepoView,
  memo: ReconcileMemo,
  source: Promise<SourceTags | null> | undefined,
): Promise<AppReconciled> {
  const name = repoName(repo.id);
  let changed = false;
  const record = (outcome: string): AppReconciled => {
    const r = { at: deps.clock.now(), repo: name, app, source: cfg.source, outcome, changed };
    memo.last.set(`${name}\0${app}`, r);
    scope.log.info({ repo: name, app, source: cfg.source, changed }, `reconcile ${app}: ${outcome}`);
    return r;
  };
  // 1. What the sources offer now: the source repo and, when the app asks, its registry.
  const offered = await offeredTags(deps, scope.forge, cfg, source);
  if (offered.from.length === 0) return record(offered.problems.join('; '));
  // 2. The newest tag of each track, as an event would route it.
  const choice = newestPerTrack(cfg, offered.tags, appHistory(view.commits, app).held);
  const said = [...offered.problems, ...choice.held.map((p) => `${p.track}: newest ${p.image} is held after a rollback`)];
  if (choice.picks.length === 0 && choice.held.length === 0) said.push(`none of the ${offered.tags.length} tags of ${offered.from.join(' and ')} belongs to a track`);
  // 3. Apply each through the event path: held tags, never-downgrade and rollouts as there.
  for (const p of choice.picks) {
    const key = `${name}\0${app}\0${p.track}`;
    const stamp = `${p.tag}@${view.head}`;
    if (memo.applied.get(key) === stamp) {
      said.push(`${p.track}: ${p.image} already reconciled at this config head`);
      continue;
    }
    // a registry tag is the image tag of this app's image, and moves this app only
    const registry = p.registry ? { image: cfg.image, imageTag: true } : {};
    const results = await handleTag(deps, scope, { tag: p.tag, source: cfg.source, prerelease: p.prerelease, event: 'reconcile', ...registry }, [repo]);
    const mine = results.filter((r) => r.plan.app === app || r.error);
    // Only a settled outcome is remembered: after a failure (a refused push, a broken
    // repo, which handleTag reports as no result at all) the next pass tries again.
    if (mine.length > 0 && !mine.some((r) => r.error)) memo.applied.set(key, stamp);
    const s = summary(mine);
    changed ||= s.changed;
    said.push(`${p.track}: ${p.image} ${s.text}`);
  }
  return record(said.join('; '));
}

/** Reconciles every app of every config repo the scope reaches. A broken config repo or
 *  source is logged and the others go on. */
export async function reconcileScope(deps: BotDeps, scope: Scope, memo: ReconcileMemo, pass: PassScope): Promise<AppReconciled[]> {
  const now = deps.clock.now().getTime();
  const wanted = (app: string, cfg: AppConfig, repo: string) => {
    if (pass.images) return pass.images.some((i) => usesImage(cfg, i));
    const every = cfg.reconcileInterval ? parseDuration(cfg.reconcileInterval) : pass.everyMs;
    const last = memo.last.get(`${repo}\0${app}`)?.at.getTime();
    // a little early counts as due: timers fire late as often as not
    const due = last === undefined || now - last >= every - Math.min(1000, every / 10);
    const next = (due ? now : last) + every;
    memo.wakeAt = Math.min(memo.wakeAt ?? next, next);
    return due;
  };
  const out: AppReconciled[] = [];
  for (const repo of await scope.configRepos()) {
    let view: RepoView | null;
    try {
      view = await viewOf(deps, scope, repo);
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      scope.log.error({ repo: repoName(repo.id), code: err.code, err: err.message }, 'reconcile: cannot read this config repository; trying again next pass');
      continue;
    }
    if (!view) continue;
    const name = repoName(repo.id);
    const apps = Object.entries(view.config.apps).filter(([app, cfg]) => wanted(app, cfg, name));
    const sources = readSources(scope, apps.filter(([, cfg]) => readsRepo(cfg)).map(([, cfg]) => cfg.source));
    for (const [app, cfg] of apps) {
      try {
        out.push(await reconcileApp(deps, scope, repo, app, cfg, view, memo, readsRepo(cfg) ? sources.get(cfg.source) : undefined));
      } catch (err) {
        if (!(err instanceof BotError)) throw err;
        scope.log.error({ repo: repoName(repo.id), app, code: err.code, err: err.message }, 'reconcile failed for this app; trying again next pass');
      }
    }
  }
  return out;
}

/** Status lines: when each app of `repo` was last reconciled and what came of it. */
export function reconcileLines(memo: ReconcileMemo | undefined, repo: string, now: Date): string[] {
  const mine = [...(memo?.last.values() ?? [])].filter((r) => r.repo === repo);
  return mine.map((r) => `${r.app}: reconciled ${formatDuration(Math.max(0, Math.round((now.getTime() - r.at.getTime()) / 1000) * 1000))} ago from ${r.source}: ${r.outcome}`);
}
