// One scheduler tick for one app: read the rollout state from git, evaluate the gates,
// decide (src/rollout/decide.ts) and carry the decision out exactly once. Replicas race
// only through git: every write re-reads the state on the fresh tree right before it
// commits and gives up when the state it decided on has changed (someone else acted).
import { loadConfig, type AppConfig } from '../config/index.ts';
import { BotError } from '../errors.ts';
import { repoName } from '../forge/types.ts';
import type { Workspace } from '../git/workspace.ts';
import { readRollout, type RolloutSnapshot } from '../jobs/status.ts';
import { commitParts } from '../jobs/render.ts';
import { workspaceFiles, writeAll } from '../jobs/run.ts';
import type { Prepared } from '../jobs/prepared.ts';
import { decideTick, stepLabel, type Decision, type RolloutState } from '../rollout/decide.ts';
import { evaluateGates, gateReason, prometheusQuery, summarizeGates, type GateOutcome, type QueryFn } from '../rollout/gates.ts';
import { AT_TRAILER } from '../rollout/landed.ts';
import { GATE_ACTION, stateKey } from '../rollout/state.ts';
import { deliverPullRequest, type Delivered } from './deliver.ts';
import { analysisMode, gate as analysisGate } from '../analysis/gate.ts';
import { noticeFor } from './notices.ts';
import { commitMarker } from './tick-git.ts';
import { rollBackRollout } from './tick-rollback.ts';
import { gateLine, prepareStep, replicaOf } from './tick-steps.ts';
import { pendingChange } from './tick-pending.ts';
import type { BotDeps, ConfigRepo, Scope } from './types.ts';
import { countChange, countTick } from '../metrics/record.ts';

export interface TickDeps extends BotDeps {
  /** How gates reach Prometheus; the real HTTP client when omitted. Tests pass a plain function. */
  gateQuery?: (prometheus: { url: string; timeout?: string }, app: string) => QueryFn;
  /** Names this process in the `Replica` trailer (default `host#pid`). Two replicas making
   *  the same step at the same second would otherwise write byte-identical commits, and
   *  the second push would "succeed" as a no-op instead of losing the race. */
  replica?: string;
}


export type TickOutcome = 'none' | 'waited' | 'advanced' | 'proposed' | 'promoted' | 'rolled-back' | 'recorded' | 'skipped' | 'failed';

export interface TickResult {
  repo: string;
  app: string;
  outcome: TickOutcome;
  decision?: Decision;
  gate?: GateOutcome;
  /** Why the decision was not carried out, or what failed. */
  note?: string;
  commit?: string;
  url?: string;
}

/** Everything one tick decided on, handed to whichever action carries it out. `key` is
 *  the state the decision was made on (stateKey): an action re-reads the state on the
 *  fresh tree and stands down when it no longer matches. */
export interface TickContext {
  deps: TickDeps;
  scope: Scope;
  repo: ConfigRepo;
  ws: Workspace;
  config: AppConfig;
  snap: RolloutSnapshot;
  key: string;
  decision: Decision;
  gate: GateOutcome | undefined;
  now: Date;
  result: TickResult;
}

/** Ticks one app of one config repo at `now`. */
export async function tickApp(deps: TickDeps, scope: Scope, repo: ConfigRepo, app: string, now: Date = deps.clock.now()): Promise<TickResult> {
  return deps.workspaces.with(repo, await scope.token(), (ws) => guarded(deps, scope, repo, app, () => tickIn(deps, scope, repo, ws, app, now)));
}

/** Ticks every app with a `rollout:` section in every config repo of the scope (those
 *  `only` accepts). One app's failure never stops the others. */
export async function tickAll(deps: TickDeps, scope: Scope, now: Date = deps.clock.now(), only?: (app: string, config: AppConfig) => boolean): Promise<TickResult[]> {
  const out: TickResult[] = [];
  const token = await scope.token();
  for (const repo of await scope.configRepos()) {
    const results = await deps.workspaces.with(repo, token, async (ws) => {
      const done: TickResult[] = [];
      let apps: Array<[string, AppConfig]>;
      try {
        await ws.sync();
        apps = Object.entries(loadConfig(ws.dir)?.config.apps ?? {}).filter(([a, c]) => c.rollout && (!only || only(a, c)));
      } catch (err) {
        if (!(err instanceof BotError)) throw err;
        scope.log.error({ repo: repoName(repo.id), code: err.code, err: err.message }, 'scheduled tick: cannot read the config');
        return [{ repo: repoName(repo.id), app: '*', outcome: 'failed' as const, note: err.message }];
      }
      for (const [app] of apps) done.push(await guarded(deps, scope, repo, app, () => tickIn(deps, scope, repo, ws, app, now)));
      return done;
    });
    out.push(...results);
  }
  return out;
}

async function guarded(deps: TickDeps, scope: Scope, repo: ConfigRepo, app: string, fn: () => Promise<TickResult>): Promise<TickResult> {
  let r: TickResult;
  try {
    r = await fn();
  } catch (err) {
    const e = err as Error & { code?: string };
    scope.log.error({ repo: repoName(repo.id), app, code: e.code, err: e.message }, 'scheduled tick failed');
    r = { repo: repoName(repo.id), app, outcome: 'failed', note: e.message };
  }
  countTick(r);
  return r;
}

async function snapshot(ws: Workspace, app: string, config: AppConfig): Promise<RolloutSnapshot | null> {
  return readRollout(workspaceFiles(ws), app, config, await ws.log({ max: 1000 }));
}

async function tickIn(deps: TickDeps, scope: Scope, repo: ConfigRepo, ws: Workspace, app: string, now: Date): Promise<TickResult> {
  const base = { repo: repoName(repo.id), app };
  // 1. Config from the default branch, state from the app's branch, both as they are now.
  await ws.sync();
  const config = loadConfig(ws.dir)?.config.apps[app];
  if (!config?.rollout) return { ...base, outcome: 'skipped', note: config ? 'app has no rollout section' : 'app is not in the config' };
  if (config.branch) await ws.sync(config.branch);
  const snap = await snapshot(ws, app, config);
  if (!snap) return { ...base, outcome: 'skipped', note: 'app has no traffic section' };
  const state: RolloutState = { ...snap.state };

  // 2. A step proposed as a PR and not merged yet holds the rollout where it is.
  const pending = await pendingChange(ws, scope.forge, repo, app, config, snap);
  if (pending) state.pendingChange = pending;

  // 3. Gates, only while a canary is live and nobody has stopped it.
  let gate: GateOutcome | undefined;
  const gates = config.rollout.gates;
  if (gates && state.stepIndex >= 0 && !state.paused && !(state.tag && state.held?.includes(state.tag))) {
    const query = deps.gateQuery?.(gates.prometheus, app) ?? prometheusQuery(gates.prometheus, { at: now });
    gate = await evaluateGates(gates, query);
  }

  // 4. Decide.
  const decision = decideTick({ now, rollout: snap.policy, state, gate });
  const result: TickResult = { ...base, outcome: decision.action === 'none' ? 'none' : 'waited', decision, ...(gate ? { gate } : {}) };
  const logFields = { repo: base.repo, app, tag: state.tag, code: decision.code, action: decision.action };
  if (decision.code === 'GATES_UNKNOWN' || decision.code === 'GATES_FAILING') scope.log.warn(logFields, decision.reason);
  else scope.log.info(logFields, decision.reason);

  // 5. Act.
  const ctx: TickContext = { deps, scope, repo, ws, config, snap, key: stateKey(snap.state), decision, gate, now, result };
  if (decision.action === 'advance' || decision.action === 'promote') return step(ctx);
  if (decision.action === 'rollback' && gate) return rollBackRollout(ctx, gate);
  if (gate && decision.gateFailures !== undefined && state.stepIndex >= 0 && gateRecordDue(state, decision.gateFailures, gate)) return recordGate(ctx, gate);
  return result;
}

/** A gate result is written when what status shows from it would change: the failure
 *  count, the verdict, or the kind of reason (no data → connection refused → HTTP 503).
 *  The kind masks details and numbers (gates.ts reasonKind), so a value or an error body
 *  that differs on every evaluation does not write a commit per tick. With no record at
 *  this step yet, a pass is what status assumes and is not written. */
function gateRecordDue(state: RolloutState, failures: number, gate: GateOutcome): boolean {
  if (failures !== state.gateFailures) return true;
  const last = state.lastGate;
  if (!last) return gate.verdict !== 'pass';
  return gate.verdict !== last.verdict || gateReason(gate) !== last.reason;
}

function viaOf(config: AppConfig, decision: Decision): 'commit' | 'pull-request' {
  return config.delivery === 'commit' ? 'commit' : (decision.via ?? 'commit');
}

async function step({ deps, scope, repo, ws, config, snap, key, decision, gate, now, result }: TickContext): Promise<TickResult> {
  const { app, steps, state } = snap;
  const ctx = { app, config, steps, tag: state.tag, decision, gate };
  const done: TickResult = { ...result, outcome: decision.action === 'promote' ? 'promoted' : 'advanced' };
  let delivered: Delivered;
  if (viaOf(config, decision) === 'pull-request') {
    delivered = await deliverPullRequest(ws, scope, { repo, app, lane: 'traffic', config }, (files) => prepareStep(files, ctx));
    if (delivered.status === 'pull-request') Object.assign(done, { outcome: 'proposed', url: delivered.url, commit: delivered.commit });
    else Object.assign(done, { outcome: 'waited', note: delivered.message });
  } else {
    let prepared: Prepared | undefined;
    let note: string | undefined;
    const pushed = await ws.commitAndPush({
      branch: config.branch,
      apply: async () => {
        // The compare-and-swap: decided on `key`; if the fresh tree says otherwise, stand down.
        const fresh = await snapshot(ws, app, config);
        if (!fresh || stateKey(fresh.state) !== key) {
          note = 'the rollout state changed since this tick read it (another replica or a person acted); nothing done';
          return null;
        }
        // this path commits without deliver(): analyze here, before anything is written
        const files = workspaceFiles(ws);
        prepared = await analysisGate(files, await prepareStep(files, { ...ctx, at: now }), analysisMode(config), { repoChecks: true });
        if (prepared.writes.size === 0) return null;
        prepared.plan.trailers.Replica = replicaOf(deps);
        await writeAll(ws, prepared.writes);
        return { ...commitParts(prepared.plan, config.commitMessage, decision.reason), trailers: prepared.plan.trailers, files: [...prepared.writes.keys()] };
      },
    });
    if (!pushed || !prepared) return { ...result, note: note ?? 'nothing needed changing' };
    delivered = { plan: prepared.plan, status: 'committed', commit: pushed.sha, message: prepared.plan.title };
    Object.assign(done, { commit: pushed.sha });
  }
  countChange(delivered, app, 'traffic');
  const notice = noticeFor(delivered, { repo });
  if (notice) deps.notify(notice, config.notify);
  scope.log.info({ repo: result.repo, app, outcome: done.outcome, commit: done.commit, url: done.url }, delivered.plan.title);
  return done;
}

async function recordGate({ deps, ws, config, snap, key, decision, now, result }: TickContext, gate: GateOutcome): Promise<TickResult> {
  const { app, steps, state } = snap;
  const failures = decision.gateFailures ?? 0;
  const threshold = snap.policy.failures;
  const pushed = await commitMarker(ws, config.branch, async () => {
    const fresh = await snapshot(ws, app, config);
    if (!fresh || stateKey(fresh.state) !== key) return null;
    const counted = gate.verdict === 'fail' ? ` (${failures}/${threshold} before rollback)` : '';
    return {
      subject: `${app}: gates ${gate.verdict} at ${stepLabel(state.stepIndex, steps)}${counted}`,
      body: summarizeGates(gate),
      trailers: {
        App: app,
        Action: GATE_ACTION,
        ...(state.tag ? { Tag: state.tag } : {}),
        Step: `${state.stepIndex + 1}/${steps.length}`,
        'Gate-Failures': String(failures),
        'Gate-Verdict': gate.verdict,
        'Gate-Summary': gateLine(gate),
        'Gate-Reason': gateReason(gate),
        [AT_TRAILER]: now.toISOString(),
        Replica: replicaOf(deps),
      },
    };
  });
  return pushed ? { ...result, outcome: 'recorded', commit: pushed.sha } : { ...result, note: 'gate result already recorded by another replica' };
}
