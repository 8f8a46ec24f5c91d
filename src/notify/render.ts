// Pure rendering of a Notice: a one-line summary (Slack's notification fallback, the
// generic webhook's `text`, log lines) and Slack Block Kit blocks. No I/O, no redaction:
// callers redact the notice before rendering (see slack.ts) so escaping cannot split a
// secret into pieces the patterns no longer recognise.

import { objectLabel } from '../plan.ts';
import type { Plan, Value } from '../plan.ts';
import type { Check, Notice, NoticeKind, Weights } from './types.ts';

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

/** Slack rejects the whole message when a block exceeds these, so we truncate instead. */
export const LIMITS = { header: 150, section: 3000, field: 2000, listLines: 10 } as const;

const VERBS: Record<NoticeKind, string> = {
  'pr-opened': 'PR opened',
  'pr-updated': 'PR updated',
  merged: 'merged',
  committed: 'committed',
  'weight-changed': 'canary weight changed',
  promoted: 'promoted',
  'rolled-back': 'rolled back',
  held: 'held',
  paused: 'paused',
  resumed: 'resumed',
  'gate-failed': 'gate failed',
  failed: 'failed',
};

const EMOJI: Record<NoticeKind, string> = {
  'pr-opened': ':arrow_heading_up:',
  'pr-updated': ':repeat:',
  merged: ':twisted_rightwards_arrows:',
  committed: ':white_check_mark:',
  'weight-changed': ':bar_chart:',
  promoted: ':rocket:',
  'rolled-back': ':rewind:',
  held: ':hand:',
  paused: ':double_vertical_bar:',
  resumed: ':arrow_forward:',
  'gate-failed': ':no_entry:',
  failed: ':x:',
};

// Notices may be built from untyped input (CLI flags, config); an unexpected kind still
// renders instead of throwing inside the fire-and-forget path.
export function verbOf(kind: string): string {
  return (VERBS as Record<string, string>)[kind] ?? kind;
}

export function summary(n: Notice): string {
  const head = [n.app, n.track, tagText(n)].filter(Boolean).join(' ');
  const ref = linkRef(n.link);
  const parts = [`${head}: ${verbOf(n.kind)}${ref ? ` (${ref})` : ''}`];
  if (n.weights) parts.push(weightsText(n.weights, n.oldWeights));
  if (n.traffic) parts.push(n.traffic);
  const failing = (n.checks ?? []).filter((c) => c.ok === false).map((c) => c.name);
  if (failing.length) parts.push(`failing checks: ${failing.join(', ')}`);
  if (n.error) parts.push(`error: ${truncate(firstLine(n.error), 200)}`);
  if (n.actor) parts.push(`by ${n.actor}`);
  if (n.repo) parts.push(`in ${n.repo}`);
  const line = parts.join(', ');
  return n.link?.url ? `${line} ${n.link.url}` : line;
}

export function blocks(n: Notice): SlackBlock[] {
  const out: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`${EMOJI[n.kind] ?? ':bell:'} ${n.app}${n.track ? ` (${n.track})` : ''}: ${verbOf(n.kind)}`, LIMITS.header), emoji: true },
    },
  ];

  const fields: TextObject[] = [field('App', code(n.app))];
  if (n.track) fields.push(field('Track', code(n.track)));
  const tag = n.oldTag && n.tag && n.oldTag !== n.tag ? `${code(n.oldTag)} → ${code(n.tag)}` : n.tag ? code(n.tag) : n.oldTag ? code(n.oldTag) : '';
  if (tag) fields.push(field('Tag', tag));
  if (n.weights) fields.push(field('Weights', `\`${bar(n.weights)}\` ${escape(weightsText(n.weights, n.oldWeights))}`));
  if (n.traffic) fields.push(field('Traffic', code(n.traffic)));
  out.push({ type: 'section', fields });

  if (n.link?.url) out.push(section(`${link(n.link.url, n.link.label || n.link.url)}`));
  if (n.error) out.push(section(`*Error*\n\`\`\`${truncate(escape(n.error).replace(/```/g, "'''"), LIMITS.section - 20)}\`\`\``));
  if (n.checks?.length) out.push(section(checksText(n.checks)));
  if (n.plan) out.push(section(planText(n.plan)));

  const context = [n.repo && `repo ${code(n.repo)}`, n.actor && `by ${escape(n.actor)}`, n.plan && `action ${code(n.plan.action)}`].filter(
    (s): s is string => Boolean(s),
  );
  if (context.length) out.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context.join(' · '), LIMITS.field) }] });
  return out;
}

/** Ten cells; filled cells are the canary's share, so a glance shows how far along it is. */
export function bar(w: Weights): string {
  const total = w.stable + w.canary;
  const filled = total > 0 && Number.isFinite(total) ? Math.round((Math.max(0, w.canary) / total) * 10) : 0;
  const n = Math.min(10, Math.max(0, filled));
  return '▰'.repeat(n) + '▱'.repeat(10 - n);
}

export function weightsText(w: Weights, old?: Weights): string {
  if (old && (old.canary !== w.canary || old.stable !== w.stable)) {
    return `canary ${old.canary}% → ${w.canary}%, stable ${old.stable}% → ${w.stable}%`;
  }
  return `canary ${w.canary}%, stable ${w.stable}%`;
}

function tagText(n: Notice): string {
  if (n.oldTag && n.tag && n.oldTag !== n.tag) return `${n.oldTag} → ${n.tag}`;
  return n.tag ?? '';
}

// "#12" reads better than a URL in a one-liner, and PR links are the common case.
function linkRef(l: Notice['link']): string {
  if (!l) return '';
  const pr = /\/pull\/(\d+)(?:[/?#]|$)/.exec(l.url);
  if (pr) return `#${pr[1]}`;
  const sha = /\/commit\/([0-9a-f]{7,40})(?:[/?#]|$)/i.exec(l.url);
  if (sha) return sha[1].slice(0, 7);
  return l.label;
}

function checksText(checks: Check[]): string {
  const rank = (c: Check): number => (c.ok === false ? 0 : c.ok === null ? 1 : 2);
  const sorted = [...checks].sort((a, b) => rank(a) - rank(b));
  const lines = sorted.slice(0, LIMITS.listLines).map((c) => {
    const icon = c.ok === false ? ':x:' : c.ok === null ? ':grey_question:' : ':white_check_mark:';
    const value = c.value === null ? 'no data' : String(c.value);
    const bounds = [c.min !== undefined && `min ${c.min}`, c.max !== undefined && `max ${c.max}`].filter(Boolean).join(', ');
    return `${icon} ${code(c.name)} ${escape(value)}${bounds ? ` (${bounds})` : ''}`;
  });
  const failing = checks.filter((c) => c.ok === false).length;
  return truncate([`*Checks* (${failing} of ${checks.length} failing)`, ...lines, more(sorted.length)].filter(Boolean).join('\n'), LIMITS.section);
}

function planText(plan: Plan): string {
  const lines = plan.edits
    .slice(0, LIMITS.listLines)
    .map((e) => `• ${code(e.file)} ${escape(objectLabel(e.object))} ${code(e.field)}: ${value(e.old)} → ${value(e.new)}`);
  if (plan.edits.length === 0) lines.push('_no edits_');
  const skipped = plan.skipped.length
    ? `_${plan.skipped.length} skipped: ${escape(plan.skipped.slice(0, 3).map((s) => `${s.file} ${s.reason}`).join('; '))}${plan.skipped.length > 3 ? '; …' : ''}_`
    : '';
  return truncate([`*${escape(plan.title)}*`, ...lines, more(plan.edits.length), skipped].filter(Boolean).join('\n'), LIMITS.section);
}

function more(total: number): string {
  return total > LIMITS.listLines ? `…and ${total - LIMITS.listLines} more` : '';
}

function value(v: Value): string {
  return v === null ? '_none_' : code(String(v));
}

function field(label: string, text: string): TextObject {
  return { type: 'mrkdwn', text: truncate(`*${label}*\n${text}`, LIMITS.field) };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.section) } };
}

/** Slack mrkdwn treats only &, < and > as control characters. */
export function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Backticks cannot be escaped inside a code span; a look-alike keeps the text readable.
function code(s: string): string {
  return `\`${escape(s).replace(/`/g, 'ˋ')}\``;
}

function link(url: string, label: string): string {
  // `|` and `>` end the link syntax; URLs from GitHub never contain them, labels might.
  const safeUrl = url.replace(/[|>]/g, encodeURIComponent);
  return `<${escape(safeUrl)}|${escape(label).replace(/\|/g, '¦')}>`;
}

function firstLine(s: string): string {
  return s.split(/\r?\n/, 1)[0] ?? '';
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
