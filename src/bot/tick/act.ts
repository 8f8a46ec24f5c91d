// Carries one app's decision out exactly once. Replicas race only through git: every
// write re-reads the state on the fresh tree right before it commits and gives up when
// the state it decided on has changed (someone else acted).
import type { AppConfig } from '../../config/index.ts';
import { analysisMode, gate as analysisGate } from '../../analysis/gate.ts';
import { commitParts } from '../../jobs/render.ts';
import type { Prepared } from '../../jobs/prepared.ts';
import { readRollout, type RolloutSnapshot } from '../../jobs/status.ts';
import type { RepoFiles } from '../../manifests/files.ts';
import { countChange } from '../../metrics/record.ts';
import { stepLabel, type Decision } from '../../rollout/decide.ts';
import { gateReason, summarizeGates, type GateOutcome } from '../../rollout/gates.ts';
import { AT_TRAILER } from '../../rollout/landed.ts';
import { GATE_ACTION, stateKey } from '../../rollout/state.ts';
import { deliverPullRequest, type Delivered } from '../deliver.ts';
import { noticeFor } from '../notices.ts';
import type { Action } from './assess.ts';
import { commitMarker } from './git.ts';
import { rollBackRollout } from './rollback.ts';
import { gateLine, prepareStep, replicaOf } from './steps.ts';
import type { TickBranch } from './branch.ts';
import { GATE_ALREADY_RECORDED, STATE_CHANGED, type TickContext, type TickResult } from './types.ts';

export async function act(action: Action, ctx: TickContext): Promise<TickResult> {
  if (action === 'step') return step(ctx);
  if (action === 'rollback') return rollBackRollout(ctx, ctx.gate!);
  return recordGate(ctx, ctx.gate!);
}

/** The action found the state changed under it and did nothing. */
export function stoodDown(r: TickResult): boolean {
  return r.note === STATE_CHANGED || r.note === GATE_ALREADY_RECORDED;
}

/** The app's state as the working copy has it now (after this tick's own pushes too). */
async function snapshot(branch: TickBranch, files: RepoFiles, app: string, config: AppConfig): Promise<RolloutSnapshot | null> {
  return readRollout(files, app, config, await branch.log());
}

function viaOf(config: AppConfig, decision: Decision): 'commit' | 'pull-request' {
  return config.delivery === 'commit' ? 'commit' : (decision.via ?? 'commit');
}

async function step({ deps, scope, repo, ws, branch, config, snap, key, decision, gate, now, result }: TickContext): Promise<TickResult> {
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
      branch: await branch.target(),
      // the tick fetched; a push that finds the branch moved since fetches and plans again
      fetch: false,
      apply: async () => {
        // The compare-and-swap: decided on `key`; if the fresh tree says otherwise, stand down.
        const files = branch.files();
        const fresh = await snapshot(branch, files, app, config);
        if (!fresh || stateKey(fresh.state) !== key) {
          note = STATE_CHANGED;
          return null;
        }
        // this path commits without deliver(): analyze here, before anything is written
        prepared = await analysisGate(files, await prepareStep(files, { ...ctx, at: now }), analysisMode(config), { repoChecks: true });
        if (prepared.writes.size === 0) return null;
        prepared.plan.trailers.Replica = replicaOf(deps);
        await ws.writeFiles(prepared.writes);
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

async function recordGate({ deps, ws, branch, config, snap, key, decision, now, result }: TickContext, gate: GateOutcome): Promise<TickResult> {
  const { app, steps, state } = snap;
  const failures = decision.gateFailures ?? 0;
  const threshold = snap.policy.failures;
  const pushed = await commitMarker(ws, await branch.target(), async () => {
    const fresh = await snapshot(branch, branch.files(), app, config);
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
  }, { fetch: false });
  return pushed ? { ...result, outcome: 'recorded', commit: pushed.sha } : { ...result, note: GATE_ALREADY_RECORDED };
}
