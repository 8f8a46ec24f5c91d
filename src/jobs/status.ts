// Per-app status read from the repo and the bot's history: what each track runs, how
// traffic is split, whether the app is paused or has held tags, and where its scheduled
// rollout stands. Gate results are the last ones the scheduler recorded in git (status
// never queries Prometheus itself, so it answers the same on every replica).
import { rolloutStepList, type AppConfig, type Config } from '../config/index.ts';
import { BotError } from '../errors.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { systemClock } from '../rollout/clock.ts';
import { decideTick, rolloutPolicy, stepLabel, type Decision, type RolloutPolicy, type RolloutState } from '../rollout/decide.ts';
import { appCommits, type LoggedCommit } from '../rollout/landed.ts';
import { formatStatus, rolloutStateFromHistory } from '../rollout/state.ts';
import { extrasOf, stepKind, stepText, type RolloutStep, type StepKind } from '../rollout/steps.ts';
import type { TrafficExtras, TrafficState } from '../manifests/types.ts';
import { appHistory, rolloutLog, type BotCommit } from './history.ts';
import { scanImageRefs } from './images.ts';
import { prepareImageScans } from '../manifests/image-index.ts';
import { flushStores, treeStoreOf } from '../manifests/tree-store.ts';
import { loadTraffic, trafficOwner } from './weights.ts';
import { controllerLabel, controllerOfWorkloads, describeOwner, findTrafficOwners, type TrafficController } from '../manifests/traffic-owners.ts';
import { objectLabel, type ObjectRef } from '../plan.ts';

export interface RolloutSnapshot {
  app: string;
  steps: RolloutStep[];
  policy: RolloutPolicy;
  state: RolloutState;
}

/** The app's rollout state from the files (weights) and `log` (the branch's commits,
 *  newest first, merges included so PR steps are dated by their merge). Null when the
 *  app has no `rollout:` section. */
export async function readRollout(repo: RepoFiles, app: string, config: AppConfig, log: readonly LoggedCommit[]): Promise<RolloutSnapshot | null> {
  if (!config.rollout || !config.traffic) return null;
  const { file, editor, spec } = await loadTraffic(repo, app, config);
  const w = editor.read(file, spec);
  return snapshotFrom(app, config, w, await rolloutLog(log, app, w));
}

function snapshotFrom(app: string, config: AppConfig, w: TrafficState, log: readonly LoggedCommit[]): RolloutSnapshot {
  const steps = rolloutStepList(config);
  const policy = rolloutPolicy(config.rollout!, steps);
  const state = rolloutStateFromHistory(appCommits(log, app), { stable: w.stable, canary: w.canary }, steps, { app });
  return { app, steps, policy, state };
}

/** What the app's traffic file says: its split, the controller owning its route, or
 *  the problem reading it (with the owner when that was found first). */
interface TrafficRead {
  state?: TrafficState;
  owner?: Awaited<ReturnType<typeof trafficOwner>>;
  problem?: string;
}

async function readTraffic(repo: RepoFiles, app: string, config: AppConfig): Promise<TrafficRead> {
  const out: TrafficRead = {};
  try {
    const traffic = await loadTraffic(repo, app, config);
    out.owner = await trafficOwner(repo, traffic);
    out.state = traffic.editor.read(traffic.file, traffic.spec);
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    out.problem = err.message;
  }
  return out;
}

/** readTraffic, kept per tree by a persistent reader: the file is parsed once per tree. */
async function keptTraffic(repo: RepoFiles, app: string, config: AppConfig): Promise<TrafficRead> {
  const store = await treeStoreOf(repo);
  const key = JSON.stringify([app, config.traffic]);
  const kept = store?.get<TrafficRead>('traffic', key);
  if (kept) return structuredClone(kept);
  const read = await readTraffic(repo, app, config);
  store?.set('traffic', key, structuredClone(read));
  return read;
}

export interface RolloutStatus {
  tag?: string;
  /** `step 2/4 (25%)`, `step 1/5 (A/B header user-agent ~ .*Firefox.*)`, or null when no
   *  rollout is in progress. */
  step: string | null;
  /** What the current step does: a weight, an A/B match or a mirror (with `extras`). */
  kind?: StepKind;
  extras?: TrafficExtras;
  weights: { stable: number; canary: number };
  enteredAt?: string;
  paused: boolean;
  pausedBy?: string;
  held: string[];
  gateFailures: number;
  lastGate?: { verdict: string; summary?: string; reason?: string; at: string };
  next: { action: Decision['action']; code: Decision['code']; reason: string; at?: string };
  /** Set while the rollout is held at its step by something other than its bake (gates,
   *  pause, hold, freeze, window, an unmerged step). For gates, the verdict it rests on
   *  and when the scheduler recorded it: status reads the gates from git, never live. */
  hold?: { code: Decision['code']; reason: string; verdict?: string; recordedAt?: string };
  /** Human lines, as formatStatus renders them. */
  lines: string[];
}

const GATE_HOLDS: ReadonlySet<Decision['code']> = new Set(['GATES_UNKNOWN', 'GATES_FAILING']);

export function rolloutStatus(snap: RolloutSnapshot, now: Date): RolloutStatus {
  const { state, steps, policy } = snap;
  // The tick decides on a live gate evaluation; status on the last one it recorded, so
  // an inconclusive gate shows as the hold it is, not as a step about to be taken.
  const recorded = policy.gates ? state.lastGate : undefined;
  const decision = decideTick({ now, rollout: policy, state, ...(recorded ? { recorded } : {}) });
  const out: RolloutStatus = {
    step: state.stepIndex >= 0 ? stepLabel(state.stepIndex, steps) : null,
    weights: state.weights,
    paused: state.paused,
    held: state.held ?? [],
    gateFailures: state.gateFailures,
    next: { action: decision.action, code: decision.code, reason: decision.reason, ...(decision.nextCheckAfter ? { at: decision.nextCheckAfter.toISOString() } : {}) },
    lines: formatStatus(state, decision, { now, steps, bakeMs: policy.bakeMs }),
  };
  const current = state.stepIndex >= 0 ? steps[Math.min(state.stepIndex, steps.length - 1)] : undefined;
  if (current) out.kind = stepKind(current);
  if (current?.extras) out.extras = current.extras;
  if (state.tag) out.tag = state.tag;
  if (state.enteredAt) out.enteredAt = state.enteredAt.toISOString();
  if (state.pausedBy) out.pausedBy = state.pausedBy;
  if (state.lastGate) out.lastGate = { ...state.lastGate, at: state.lastGate.at.toISOString() };
  if (decision.action === 'wait' && decision.code !== 'BAKING') {
    out.hold = { code: decision.code, reason: decision.reason };
    if (recorded && GATE_HOLDS.has(decision.code)) Object.assign(out.hold, { verdict: recorded.verdict, recordedAt: recorded.at.toISOString() });
  }
  return out;
}

export interface TrackStatus {
  track: string;
  filter: string;
  tags: string[];
  files: string[];
}

/** An Argo Rollout or Flagger Canary that shifts this app's traffic in the cluster:
 *  its own plan replaces the bot's steps. */
export interface ControllerStatus {
  kind: TrafficController['kind'];
  namespace?: string;
  name: string;
  file: string;
  line: number;
  /** `VirtualService/test/podinfo: weights are managed by …`, or the workload it rolls out. */
  summary: string;
  /** True when it owns the app's traffic route (the bot refuses weight changes there). */
  ownsRoute: boolean;
  /** Rollout steps or Canary analysis, one readable line each. */
  steps: string[];
}

export interface AppStatus {
  app: string;
  image: string;
  tracks: TrackStatus[];
  weights?: { stable: number; canary: number; others: number };
  held: string[];
  paused: boolean;
  lastChange?: { sha: string; subject: string; at: string; action?: string; step?: string };
  rollout?: RolloutStatus;
  /** The bot's A/B route and mirror as the route holds them now, when it has either. */
  routing?: TrafficExtras & { text: string };
  controller?: ControllerStatus;
  problems: string[];
}

export interface StatusOptions {
  /** Defaults to the system clock. */
  now?: Date;
  /** The branch's whole log (merges included); without it, `commits` stand in and PR
   *  steps are dated by their own commit instead of their merge. */
  log?: readonly LoggedCommit[];
}

async function trackStatus(repo: RepoFiles, config: AppConfig, track: string, objects: ObjectRef[] = []): Promise<TrackStatus> {
  const t = config.tracks[track];
  const scan = await scanImageRefs(repo, config.image, t.paths);
  objects.push(...scan.refs.map((r) => r.ref.object));
  const tags = [...new Set(scan.refs.map((r) => r.ref.tag ?? r.ref.digest ?? '(untagged)'))];
  return { track, filter: t.filter, tags, files: [...new Set(scan.refs.map((r) => r.ref.file))] };
}

function controllerStatus(c: TrafficController, summary: string, ownsRoute: boolean): ControllerStatus {
  return { kind: c.kind, ...(c.namespace ? { namespace: c.namespace } : {}), name: c.name, file: c.file, line: c.line, summary, ownsRoute, steps: c.steps };
}

/** The controller that owns the app's route, else the one that rolls out the workloads
 *  its images live in (an app without a traffic section, as the README recommends). */
async function appController(repo: RepoFiles, owner: Awaited<ReturnType<typeof trafficOwner>>, objects: ObjectRef[]): Promise<ControllerStatus | undefined> {
  if (owner) return controllerStatus(owner.hit.controller, `${owner.where.object}: weights are managed by ${describeOwner(owner.hit)}`, true);
  const { controllers } = await findTrafficOwners(repo);
  const c = controllerOfWorkloads(controllers, objects);
  if (!c) return undefined;
  const targets = c.workloads.filter((w) => objects.some((o) => o.kind === w.kind && o.name === w.name)).map(objectLabel);
  const self = c.kind === 'Rollout' && targets.length === 1 && targets[0] === objectLabel(c.workloads[0]);
  return controllerStatus(c, `managed by ${c.title} ${controllerLabel(c)} (${c.file}:${c.line}${self ? '' : `, rolls out ${targets.join(', ')}`})`, false);
}

export async function appStatus(repo: RepoFiles, app: string, config: AppConfig, commits: BotCommit[], opts: StatusOptions = {}): Promise<AppStatus> {
  let history = appHistory(commits, app);
  const problems: string[] = [];
  const tracks: TrackStatus[] = [];
  const objects: ObjectRef[] = [];
  for (const track of Object.keys(config.tracks)) tracks.push(await trackStatus(repo, config, track, objects));
  let weights: AppStatus['weights'];
  let routing: AppStatus['routing'];
  let owner: Awaited<ReturnType<typeof trafficOwner>>;
  let state: TrafficState | undefined;
  if (config.traffic) {
    const read = await keptTraffic(repo, app, config);
    owner = read.owner;
    state = read.state;
    if (read.problem !== undefined) problems.push(read.problem);
    if (state) {
      weights = { stable: state.stable, canary: state.canary, others: state.others };
      const extras = extrasOf(state);
      if (extras) routing = { ...extras, text: stepText({ weight: state.canary, extras }) };
    }
  }
  const controller = await appController(repo, owner, objects);
  let rollout: RolloutStatus | undefined;
  // A controller that owns the route runs its own steps; the bot's would never be taken.
  if (config.rollout && state && !controller?.ownsRoute) {
    try {
      // the split just read: the same file, the same tree
      const log = opts.log ?? commits;
      const read = await rolloutLog(log, app, state);
      // the app's own commits, read beyond the branch's log: its last change is among them
      if (read !== log) history = appHistory(read as BotCommit[], app);
      rollout = rolloutStatus(snapshotFrom(app, config, state, read), opts.now ?? systemClock.now());
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      problems.push(err.message);
    }
  }
  const last = history.commits[0];
  return {
    app,
    ...(rollout ? { rollout } : {}),
    image: config.image,
    tracks,
    weights,
    held: history.held,
    paused: history.paused,
    lastChange: last && { sha: last.sha, subject: last.subject, at: last.committerDate, action: last.trailers.Action, step: last.trailers.Step },
    ...(routing ? { routing } : {}),
    ...(controller ? { controller } : {}),
    problems,
  };
}

export async function repoStatus(repo: RepoFiles, config: Config, commits: BotCommit[], opts: StatusOptions = {}): Promise<AppStatus[]> {
  // every app's track files read and parsed in one pass; each track's scan then filters
  await prepareImageScans(repo, Object.values(config.apps).flatMap((c) => Object.values(c.tracks).map((t) => ({ image: c.image, paths: t.paths }))));
  const out: AppStatus[] = [];
  for (const [app, c] of Object.entries(config.apps)) out.push(await appStatus(repo, app, c, commits, opts));
  // a persistent reader (the CLI's) keeps what this tree gave for the next process
  await flushStores(repo);
  return out;
}

export function statusText(s: AppStatus): string {
  const lines = [`${s.app} (${s.image})${s.paused ? ' [paused]' : ''}`];
  for (const t of s.tracks) lines.push(`  ${t.track.padEnd(8)} ${t.tags.join(', ') || '(no references)'}  [${t.filter}]`);
  // the controller's weights are in the cluster; the repo holds what it started from
  const where = s.controller?.ownsRoute ? ' (as the repo holds them)' : '';
  if (s.weights) lines.push(`  weights  stable ${s.weights.stable}% / canary ${s.weights.canary}%${s.weights.others ? ` / others ${s.weights.others}%` : ''}${where}`);
  if (s.routing) lines.push(`  routing  ${s.routing.text}`);
  if (s.held.length) lines.push(`  held     ${s.held.join(', ')}`);
  if (s.lastChange) lines.push(`  last     ${s.lastChange.sha.slice(0, 12)} ${s.lastChange.subject} (${s.lastChange.at})`);
  if (s.rollout) {
    const [first, ...rest] = s.rollout.lines;
    lines.push(`  rollout  ${first}`, ...rest.map((l) => `         ${l}`));
  }
  if (s.controller) {
    const [first, ...rest] = s.controller.steps;
    lines.push(`  traffic  ${s.controller.summary}`);
    lines.push(`  ${s.controller.kind === 'Rollout' ? 'steps   ' : 'analysis'} ${first}`, ...rest.map((l) => `           ${l}`));
  }
  for (const p of s.problems) lines.push(`  problem  ${p}`);
  return lines.join('\n');
}
