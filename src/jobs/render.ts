// Renderings of a plan: the commit message body, the PR body and the terminal. All are
// derived from the same plain data, so what a reviewer reads is what the bot applied.
import { objectLabel, type Edit, type Plan, type Skipped } from '../plan.ts';
import { renderFinding } from '../analysis/types.ts';
import { describeAb, describeExtras } from '../manifests/extras-text.ts';
import { extrasFromTrailer } from '../rollout/steps.ts';
import { renderCommitTemplate, templateUses } from '../config/commit-template.ts';

const EDIT_LINE = /^- (\S+) (\S+) (\S+): (.*) -> (.*)$/;

function show(v: Edit['old']): string {
  return v === null || v === undefined ? '(none)' : String(v);
}

/** One line per edit; parseEditLines reads them back (rollbacks show what they undo). */
export function editLines(edits: Edit[]): string[] {
  return edits.map((e) => `- ${e.file} ${objectLabel(e.object)} ${e.field}: ${show(e.old)} -> ${show(e.new)}`);
}

export function parseEditLines(message: string): Edit[] {
  const edits: Edit[] = [];
  for (const line of message.split('\n')) {
    const m = EDIT_LINE.exec(line.trim());
    if (!m) continue;
    const [kind, ...rest] = m[2].split('/');
    const name = rest.pop() ?? '';
    const namespace = rest.length ? rest.join('/') : undefined;
    const val = (s: string) => (s === '(none)' ? null : /^\d+$/.test(s) ? Number(s) : s);
    edits.push({ file: m[1], object: { kind, namespace, name }, field: m[3], old: val(m[4]), new: val(m[5]) });
  }
  return edits;
}

function skippedLines(skipped: Skipped[]): string[] {
  // a parse error's reason already starts with `file:line`; don't name the file twice
  return skipped.map((s) => (s.reason.startsWith(`${s.file}:`) && !s.field ? `- ${s.reason}` : `- ${s.file}${s.field ? ` ${s.field}` : ''}: ${s.reason}`));
}

// Not `- ` bullets in the commit body: parseEditLines reads those back as edits.
function warningLines(plan: Plan): string[] {
  return (plan.warnings ?? []).map(renderFinding);
}

export function commitBody(plan: Plan): string {
  const parts = [editLines(plan.edits).join('\n')];
  if (plan.skipped.length) parts.push(`Skipped:\n${skippedLines(plan.skipped).join('\n')}`);
  if (plan.warnings?.length) parts.push(`Analysis warnings:\n${warningLines(plan).map((l) => `  ${l}`).join('\n')}`);
  return parts.filter(Boolean).join('\n\n');
}

/** Subject and body of the commit for `plan`: the app's `commitMessage` template when it
 *  has one, else the title and commitBody. `note` (why a scheduled step was taken) ends the
 *  body either way. A template without {{body}} still gets what rollbacks read back and
 *  reviewers must see after it: the edit lines (unless it has {{edits}}), the skipped files
 *  and the analysis warnings. The caller appends the trailers. */
export function commitParts(plan: Plan, template?: string, note?: string): { subject: string; body: string } {
  const body = commitBody(plan);
  if (template === undefined) return { subject: plan.title, body: [body, note].filter(Boolean).join('\n\n') };
  const t = plan.trailers;
  const text = renderCommitTemplate(
    template,
    {
      title: plan.title,
      app: plan.app ?? t.App ?? '',
      action: t.Action ?? plan.action,
      track: plan.track ?? t.Track ?? '',
      tag: t.Tag ?? '',
      oldTag: t['Old-Tag'] ?? '',
      step: t.Step ?? '',
      weights: t.Weights ?? '',
      oldWeights: t['Old-Weights'] ?? '',
      edits: editLines(plan.edits).join('\n'),
      body,
    },
    plan.edits.map((e) => ({ file: e.file, object: objectLabel(e.object), field: e.field, old: show(e.old), new: show(e.new) })),
  );
  const [first, ...rest] = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  if (!templateUses(template, 'body')) {
    if (!templateUses(template, 'edits')) kept.push(editLines(plan.edits).join('\n'));
    if (plan.skipped.length) kept.push(`Skipped:\n${skippedLines(plan.skipped).join('\n')}`);
    if (plan.warnings?.length) kept.push(`Analysis warnings:\n${warningLines(plan).map((l) => `  ${l}`).join('\n')}`);
  }
  // a subject whose fields are all empty for this plan (no track on a set-image, say)
  const subject = first.replace(/\s+/g, ' ').trim() || plan.title;
  return { subject, body: [rest.join('\n').trim(), ...kept, note].filter(Boolean).join('\n\n') };
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The plan as a Markdown table, with the skipped places folded below it. */
function editTable(plan: Plan): string[] {
  const rows = plan.edits.map((e) => `| \`${cell(e.file)}\` | ${cell(objectLabel(e.object))} | \`${cell(e.field)}\` | \`${cell(show(e.old))}\` → \`${cell(show(e.new))}\` |`);
  const lines = ['| File | Object | Field | Change |', '|---|---|---|---|', ...rows, ''];
  if (plan.skipped.length) lines.push('<details><summary>Skipped</summary>', '', ...skippedLines(plan.skipped), '', '</details>', '');
  if (plan.warnings?.length) lines.push('**Analysis warnings**', '', ...warningLines(plan).map((l) => `- ${cell(l)}`), '');
  return lines;
}

/** `stable=90,canary=10` → `stable 90%, canary 10%`. */
function weightsText(w: string | undefined): string | undefined {
  const m = w ? /^stable=(\d+),canary=(\d+)$/.exec(w) : null;
  return m ? `stable ${m[1]}%, canary ${m[2]}%` : undefined;
}

/** What a traffic change routes, for a reviewer: the rollout step, the A/B match and the
 *  mirror it adds, and what an earlier step or command had added that it removes. */
export function trafficLines(plan: Plan): string[] {
  const t = plan.trailers;
  const now = extrasFromTrailer(t.Traffic);
  const before = extrasFromTrailer(t['Old-Traffic']);
  const weights = weightsText(t.Weights);
  const lines: string[] = [];
  // in code spans: a regex is full of Markdown (`.*Firefox.*` would turn italic)
  if (t.Step) lines.push(`**Rollout step ${t.Step}**: ${now ? `\`${describeExtras(now)}\`` : `canary weight ${/canary=(\d+)/.exec(t.Weights ?? '')?.[1] ?? '?'}%`}`, '');
  if (now?.ab) lines.push(`- requests matching \`${describeAb(now.ab)}\` go to the canary; all other requests follow the weights${weights ? ` (${weights})` : ''}`);
  if (now?.mirror !== undefined) lines.push(`- ${now.mirror}% of the stable traffic is mirrored to the canary; the canary's answers to mirrored requests are discarded`);
  const removed: string[] = [];
  if (before?.ab && (!now?.ab || describeAb(now.ab) !== describeAb(before.ab))) removed.push(describeExtras({ ab: before.ab }));
  if (before?.mirror !== undefined && now?.mirror !== before.mirror) removed.push(describeExtras({ mirror: before.mirror }));
  if (removed.length) lines.push(`- removes what was routed before: ${removed.map((r) => `\`${r}\``).join(', ')}`);
  return lines.length > 0 ? [...lines, ''] : [];
}

export function prBody(plan: Plan, opts: { app?: string } = {}): string {
  const app = opts.app ?? plan.app ?? '<app>';
  const lines = [`### ${plan.title}`, '', ...trafficLines(plan), ...editTable(plan)];
  lines.push(
    '**Approve** this pull request to let the bot merge it (per the app\'s merge policy), or merge it yourself.',
    `**Roll back** after merging with \`/canary rollback ${app}\`; **pause** scheduled steps with \`/canary pause ${app}\`, resume with \`/canary resume ${app}\`.`,
    '',
    '<!-- gitops-canary-bot -->',
  );
  return lines.join('\n');
}

export function planText(plan: Plan): string {
  const lines = [plan.title];
  if (plan.edits.length === 0) lines.push('nothing to change');
  lines.push(...editLines(plan.edits));
  if (plan.skipped.length) lines.push('skipped:', ...skippedLines(plan.skipped).map((l) => `  ${l}`));
  if (plan.warnings?.length) lines.push(...warningLines(plan).map((l) => `warning: ${l}`));
  return lines.join('\n');
}

// Tag decisions (older, held, not matched) are the policy working; any other skip is a
// file or value the bot could not read or edit, which a reviewer should look at.
function unreadable(plan: Plan): Skipped[] {
  return plan.skipped.filter((x) => !x.code.startsWith('TAG_'));
}

const ROLLOUT_TRAILERS = ['Step', 'Weights', 'Old-Weights', 'Traffic', 'Old-Traffic', 'Gate-Verdict', 'Gate-Summary'];

/** The check run on a bot PR's head commit: what the bot applied there and confirmed by
 *  parsing each changed file again. Neutral when something could not be read or edited. */
export function checkOutput(plan: Plan): { conclusion: 'success' | 'neutral'; title: string; summary: string } {
  const problems = unreadable(plan);
  const verdict = problems.length
    ? `${problems.length} place(s) could not be read or edited and were left as they are; see Skipped.`
    : `Every changed file was parsed again and each changed value checked.`;
  const rollout = ROLLOUT_TRAILERS.filter((k) => plan.trailers[k]).map((k) => `- ${k}: ${plan.trailers[k]}`);
  const summary = [verdict, '', ...editTable(plan), ...(rollout.length ? ['**Rollout**', '', ...rollout, ''] : [])].join('\n');
  return { conclusion: problems.length ? 'neutral' : 'success', title: plan.title, summary };
}
