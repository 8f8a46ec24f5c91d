// What a scheduler tick takes and gives back, shared by the repo-level read, the per-app
// decision and the actions that carry a decision out.
import type { AppConfig } from '../../config/index.ts';
import type { Workspace } from '../../git/workspace.ts';
import type { RolloutSnapshot } from '../../jobs/status.ts';
import type { Decision } from '../../rollout/decide.ts';
import type { GateOutcome, QueryFn } from '../../rollout/gates.ts';
import type { BotDeps, ConfigRepo, Scope } from '../types.ts';
import type { TickBranch } from './branch.ts';

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
  /** What the tick's apps share on the branch: its files, its history, its name. */
  branch: TickBranch;
  config: AppConfig;
  snap: RolloutSnapshot;
  key: string;
  decision: Decision;
  gate: GateOutcome | undefined;
  now: Date;
  result: TickResult;
}

/** The notes of an action that found the state changed under it and did nothing. */
export const STATE_CHANGED = 'the rollout state changed since this tick read it (another replica or a person acted); nothing done';
export const GATE_ALREADY_RECORDED = 'gate result already recorded by another replica';
