// The gate every planned change passes before it is written: the bot's deliveries and
// the CLI's runs wrap their prepare step with it. Errors stop the change (strict, the
// default) or travel with it as warnings (`analysis: warn`).
import type { Prepared } from '../jobs/prepared.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { analyzeChange } from './analyze.ts';
import { AnalysisError } from './error.ts';
import type { Finding } from './types.ts';

export type AnalysisMode = 'strict' | 'warn';

export interface GateOptions {
  /** Add the config's repo checks for the plan's app as warnings (the bot's changes: the
   *  CLI runs them itself, before planning, and refuses on their errors). */
  repoChecks?: boolean;
}

type PrepareFn = (repo: RepoFiles) => Promise<Prepared>;

const ANALYZED = Symbol('analyzed');

/** The app's `analysis` setting. Read defensively: the key may be absent from the config
 *  schema of this version. */
export function analysisMode(config: unknown): AnalysisMode {
  const v = config && typeof config === 'object' ? (config as { analysis?: unknown }).analysis : undefined;
  return v === 'warn' ? 'warn' : 'strict';
}

/** `prepare`, followed by analysis of what it would write. Wrapping twice analyzes once:
 *  the outermost caller (which knows the app's mode) wins. */
export function analyzed<P extends PrepareFn>(prepare: P, mode: AnalysisMode = 'strict', opts: GateOptions = {}): P {
  if ((prepare as { [ANALYZED]?: true })[ANALYZED]) return prepare;
  const wrapped = async (files: RepoFiles) => gate(files, await prepare(files), mode, opts);
  return Object.assign(wrapped, { [ANALYZED]: true as const }) as unknown as P;
}

export async function gate(files: RepoFiles, prepared: Prepared, mode: AnalysisMode, opts: GateOptions = {}): Promise<Prepared> {
  if (prepared.writes.size > 0) files.willWrite?.(prepared.writes);
  const findings = await analyzeChange(files, prepared);
  // a plan that writes nothing is delivered nowhere: its warnings would reach no one
  // loaded only here: the config's checks bring the config schema with them, which a
  // change planned without a config (the CLI's set-image) never needs
  const config = opts.repoChecks && prepared.writes.size > 0 ? await (await import('./config-findings.ts')).configWarnings(files, prepared.plan.app) : [];
  return settle(prepared, findings, mode, config);
}

/** The verdict on `findings`: strict throws on an error; otherwise every finding (errors
 *  marked as let through) joins the plan's warnings, followed by `extra` warnings. */
export function settle(prepared: Prepared, findings: Finding[], mode: AnalysisMode, extra: Finding[] = []): Prepared {
  if (findings.length === 0 && extra.length === 0) return prepared;
  if (mode === 'strict' && findings.some((f) => f.severity === 'error')) throw new AnalysisError(findings);
  // warn mode: an error is still reported everywhere the plan is, it just does not stop it
  const warnings = findings.map((f) => (f.severity === 'error' ? { ...f, severity: 'warning' as const, message: `${f.message} (an error; analysis: warn lets the change through)` } : f));
  return { ...prepared, plan: { ...prepared.plan, warnings: [...(prepared.plan.warnings ?? []), ...warnings, ...extra] } };
}
