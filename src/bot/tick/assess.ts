// One app's decision from a branch view, without a git process of its own: its state from
// the view's log and traffic file, a proposal still waiting for its merge, the gates
// while a canary is live, then decideTick. What the decision asks for (a step, a
// rollback, a gate record) is returned as a context for the actions; everything else is
// the result.
import type { AppConfig } from '../../config/index.ts';
import { repoName } from '../../forge/types.ts';
import { readRollout } from '../../jobs/status.ts';
import { decideTick, type RolloutState } from '../../rollout/decide.ts';
import { evaluateGates, gateReason, prometheusQuery, type GateOutcome } from '../../rollout/gates.ts';
import { stateKey } from '../../rollout/state.ts';
import { pendingChange } from './pending.ts';
import type { TickContext, TickResult } from './types.ts';
import type { BranchView } from './view.ts';

export type Action = 'step' | 'rollback' | 'record';

export interface Assessed {
  result: TickResult;
  /** Set when the decision must be carried out. */
  act?: { action: Action; ctx: Omit<TickContext, 'ws' | 'branch'> };
}

/** Gate outcomes of this tick, one evaluation per app: a decision made again on a fresh
 *  tree (after a push of this tick) uses the same answer instead of asking again. */
export type GateMemo = Map<string, Promise<GateOutcome>>;

export async function assess(
  base: Pick<TickContext, 'deps' | 'scope' | 'repo' | 'now'>,
  view: BranchView,
  app: string,
  config: AppConfig & { rollout: NonNullable<AppConfig['rollout']> },
  gates: GateMemo,
): Promise<Assessed> {
  const { deps, scope, repo, now } = base;
  const head = { repo: repoName(repo.id), app };
  const snap = await readRollout(view.files, app, config, view.log);
  if (!snap) return { result: { ...head, outcome: 'skipped', note: 'app has no traffic section' } };
  const state: RolloutState = { ...snap.state };

  // A step proposed as a PR and not merged yet holds the rollout where it is.
  const pending = await pendingChange(view, scope.forge, repo, app, config, snap);
  if (pending) state.pendingChange = pending;

  // Gates, only while a canary is live and nobody has stopped it.
  let gate: GateOutcome | undefined;
  const spec = config.rollout.gates;
  if (spec && state.stepIndex >= 0 && !state.paused && !(state.tag && state.held?.includes(state.tag))) {
    let evaluated = gates.get(app);
    if (!evaluated) {
      const query = deps.gateQuery?.(spec.prometheus, app) ?? prometheusQuery(spec.prometheus, { at: now });
      gates.set(app, (evaluated = evaluateGates(spec, query)));
    }
    gate = await evaluated;
  }

  const decision = decideTick({ now, rollout: snap.policy, state, gate });
  const result: TickResult = { ...head, outcome: decision.action === 'none' ? 'none' : 'waited', decision, ...(gate ? { gate } : {}) };
  const logFields = { repo: head.repo, app, tag: state.tag, code: decision.code, action: decision.action };
  if (decision.code === 'GATES_UNKNOWN' || decision.code === 'GATES_FAILING') scope.log.warn(logFields, decision.reason);
  else scope.log.info(logFields, decision.reason);

  const ctx = { ...base, config, snap, key: stateKey(snap.state), decision, gate, result };
  if (decision.action === 'advance' || decision.action === 'promote') return { result, act: { action: 'step', ctx } };
  if (decision.action === 'rollback' && gate) return { result, act: { action: 'rollback', ctx } };
  if (gate && decision.gateFailures !== undefined && state.stepIndex >= 0 && gateRecordDue(state, decision.gateFailures, gate)) return { result, act: { action: 'record', ctx } };
  return { result };
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
