// A failed gate beyond `failures` undoes the whole rollout: every commit of it is reverted
// (newest first, one revert each, pushed together), so the canary image and the weights
// get their bytes from before the rollout back; the tag is held and people are told, with
// the values that failed.
import { BotError } from '../../errors.ts';
import { repoName } from '../../forge/types.ts';
import { analysisMode } from '../../analysis/gate.ts';
import { rollbackWarnings, warningSection } from '../../jobs/rollback.ts';
import { appOwnLog } from '../../jobs/history.ts';
import { readRollout } from '../../jobs/status.ts';
import { stepLabel } from '../../rollout/decide.ts';
import type { GateOutcome } from '../../rollout/gates.ts';
import { AT_TRAILER } from '../../rollout/landed.ts';
import { stateKey } from '../../rollout/state.ts';
import { STATE_CHANGED, type TickContext, type TickResult } from './types.ts';
import { revertAll } from './git.ts';
import { gateLine, replicaOf, rolloutCommits } from './steps.ts';

export async function rollBackRollout({ deps, scope, repo, ws, branch, config, snap, key, decision, now, result }: TickContext, gate: GateOutcome): Promise<TickResult> {
  const { app, steps, state } = snap;
  const tag = state.tag;
  const where = stepLabel(state.stepIndex, steps);
  const repoLabel = repoName(repo.id);
  const checks = gate.results.map((r) => ({ name: r.name, value: r.value, ok: r.ok, ...(r.min !== undefined ? { min: r.min } : {}), ...(r.max !== undefined ? { max: r.max } : {}) }));
  deps.notify({ kind: 'gate-failed', app, track: 'canary', tag, weights: state.weights, checks, repo: repoLabel, error: decision.reason }, config.notify);
  let pushed;
  try {
    pushed = await revertAll(ws, await branch.target(), async () => {
      const log = await branch.log();
      const fresh = await readRollout(branch.files(), app, config, log);
      // Someone else (another replica, a person) already acted on this state.
      if (!fresh || stateKey(fresh.state) !== key) return null;
      // back to the release that started it, however long ago the other apps pushed it down
      const targets = rolloutCommits(await appOwnLog(log, app), app, tag);
      if (targets.length === 0) return null;
      // analyzed as the reverts would leave the repo, before any of them is made
      const warnings = await rollbackWarnings(ws, targets, app, analysisMode(config));
      return {
        targets,
        marker: (t) => ({
          subject: `${app}: roll back ${tag ?? 'the canary'} (gates failed at ${where}): revert "${t.subject}"`,
          body: [decision.reason, t === targets.at(-1) ? warningSection(warnings) : ''].filter(Boolean).join('\n\n'),
          trailers: {
            App: app,
            Action: 'rollback',
            Track: 'canary',
            ...(tag ? { Hold: tag } : {}),
            ...(t.trailers['Old-Weights'] ? { Weights: t.trailers['Old-Weights'] } : {}),
            ...(t.trailers.Weights ? { 'Old-Weights': t.trailers.Weights } : {}),
            ...(t.trailers['Old-Traffic'] ? { Traffic: t.trailers['Old-Traffic'] } : {}),
            ...(t.trailers.Traffic ? { 'Old-Traffic': t.trailers.Traffic } : {}),
            'Gate-Failures': String(decision.gateFailures ?? 0),
            'Gate-Verdict': 'fail',
            'Gate-Summary': gateLine(gate),
            [AT_TRAILER]: now.toISOString(),
            Replica: replicaOf(deps),
          },
        }),
      };
    });
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    deps.notify({ kind: 'failed', app, tag, repo: repoLabel, error: `automatic rollback of ${tag ?? 'the canary'} failed: ${err.message}` }, config.notify);
    throw err;
  }
  if (!pushed) return { ...result, note: STATE_CHANGED };
  const tip = pushed.sha;
  deps.notify({
    kind: 'rolled-back',
    app,
    track: 'canary',
    tag,
    oldWeights: state.weights,
    weights: { stable: 100, canary: 0 },
    repo: repoLabel,
    error: decision.reason,
    ...(repo.htmlUrl ? { link: { url: `${repo.htmlUrl}/commit/${tip}`, label: tip.slice(0, 12) } } : {}),
  }, config.notify);
  scope.log.warn({ repo: repoLabel, app, tag, reverted: pushed.commits.length, commit: tip }, decision.reason);
  return { ...result, outcome: 'rolled-back', commit: tip };
}
