// What one scheduled step changes: the next canary weight, or the promotion, as a plan
// with the trailers the scheduler reads back (Step, Tag, At) and the gate results that
// let it through; and which commits make up the rollout a failed gate undoes.
import { hostname } from 'node:os';
import type { AppConfig } from '../../config/index.ts';
import type { LogEntry } from '../../git/workspace.ts';
import type { RepoFiles } from '../../manifests/files.ts';
import { planPromotion } from '../../jobs/promote.ts';
import type { Prepared } from '../../jobs/prepared.ts';
import { planStep } from '../../jobs/step.ts';
import { stepLabel, type Decision } from '../../rollout/decide.ts';
import { describeResult, type GateOutcome } from '../../rollout/gates.ts';
import { AT_TRAILER } from '../../rollout/landed.ts';
import type { RolloutStep } from '../../rollout/steps.ts';
import type { BotDeps } from '../types.ts';

const DEFAULT_REPLICA = `${hostname()}#${process.pid}`;

/** The `Replica` trailer value: the configured name, else `host#pid`. Also on the release
 *  that starts a rollout (bot/release.ts), whose deps name no replica. */
export function replicaOf(deps: BotDeps & { replica?: string }): string {
  return deps.replica ?? DEFAULT_REPLICA;
}

/** One line for a trailer: every check with its value. */
export function gateLine(gate: GateOutcome): string {
  const line = gate.results.map(describeResult).join('; ').replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

export interface StepContext {
  app: string;
  config: AppConfig;
  steps: readonly RolloutStep[];
  tag?: string;
  decision: Decision;
  gate?: GateOutcome;
  /** Set for direct commits: the scheduler's clock, read back as the time the step began.
   *  Left out of PR commits, whose step begins when the PR is merged. */
  at?: Date;
}

export async function prepareStep(files: RepoFiles, ctx: StepContext): Promise<Prepared> {
  const { app, config, decision } = ctx;
  const extra: Record<string, string> = {};
  if (ctx.gate) {
    extra['Gate-Verdict'] = ctx.gate.verdict;
    extra['Gate-Summary'] = gateLine(ctx.gate);
  }
  if (ctx.at) extra[AT_TRAILER] = ctx.at.toISOString();
  let prepared: Prepared;
  if (decision.action === 'promote') {
    prepared = await planPromotion(files, app, config, extra);
  } else {
    const next = decision.nextStep!;
    prepared = await planStep(files, app, config, ctx.steps, next.index);
    const { plan } = prepared;
    plan.trailers = {
      ...plan.trailers,
      Action: 'set-weight',
      Track: 'canary',
      ...(ctx.tag ? { Tag: ctx.tag } : {}),
      ...extra,
    };
    // an A/B or mirror step says what it routes; its canary weight is 0 anyway
    const weight = ctx.steps[next.index].extras ? '' : `, canary weight ${next.weight}%`;
    plan.title = `${app}: ${ctx.tag ? `${ctx.tag} ` : ''}${stepLabel(next.index, ctx.steps)}${weight}`;
  }
  return prepared;
}

// `ab`: an A/B match set by hand during the rollout is undone with it.
const ROLLOUT_ACTIONS = new Set(['release', 'set-weight', 'ab']);

/** The commits of the rollout of `tag` still in effect, newest first: every weight step
 *  back to (and including) the release commit that started it. Reverting them in this
 *  order restores the files to their bytes before the rollout. */
export function rolloutCommits(log: readonly LogEntry[], app: string, tag: string | undefined): LogEntry[] {
  const reverted = new Set<string>();
  const out: LogEntry[] = [];
  for (const c of log) {
    const t = c.trailers;
    if (t.Reverts && /^[0-9a-f]{7,64}$/i.test(t.Reverts)) reverted.add(t.Reverts.toLowerCase());
    if (t.App !== app || [...reverted].some((r) => c.sha.startsWith(r))) continue;
    const action = t.Action ?? '';
    if (action === 'promote' || action === 'rollback' || action === 'abort') break;
    if (!ROLLOUT_ACTIONS.has(action)) continue;
    if (action === 'release' && t.Track !== 'canary') continue;
    out.push(c);
    if (action === 'release' && (tag === undefined || t.Tag === tag)) break;
  }
  return out;
}
