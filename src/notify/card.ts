// A notice as plain-text parts (title, facts, sections, link): what Teams Adaptive Cards
// and Discord embeds are built from. Slack keeps its own Block Kit rendering (render.ts),
// which needs mrkdwn escaping these targets do not share.

import { objectLabel, type Value } from '../plan.ts';
import { bar, summary, truncate, verbOf, weightsText } from './render.ts';
import type { Check, Notice } from './types.ts';

export interface Card {
  title: string;
  /** One-line fallback, as Slack's notification text. */
  summary: string;
  facts: [string, string][];
  sections: { title: string; lines: string[] }[];
  link?: { url: string; label: string };
  /** good / bad / neutral, for targets that colour their messages. */
  tone: 'good' | 'bad' | 'neutral';
}

const LIST_LINES = 10;
const BAD = new Set(['rolled-back', 'gate-failed', 'failed', 'held']);
const GOOD = new Set(['promoted', 'merged', 'committed']);

export function card(n: Notice): Card {
  const facts: [string, string][] = [['App', n.app]];
  if (n.track) facts.push(['Track', n.track]);
  const tag = n.oldTag && n.tag && n.oldTag !== n.tag ? `${n.oldTag} → ${n.tag}` : (n.tag ?? n.oldTag);
  if (tag) facts.push(['Tag', tag]);
  if (n.weights) facts.push(['Weights', `${bar(n.weights)} ${weightsText(n.weights, n.oldWeights)}`]);
  if (n.traffic) facts.push(['Traffic', n.traffic]);
  if (n.repo) facts.push(['Repository', n.repo]);
  if (n.actor) facts.push(['By', n.actor]);
  const sections: Card['sections'] = [];
  if (n.error) sections.push({ title: 'Error', lines: [truncate(n.error, 1000)] });
  if (n.checks?.length) sections.push({ title: `Checks (${n.checks.filter((c) => c.ok === false).length} of ${n.checks.length} failing)`, lines: checkLines(n.checks) });
  if (n.plan) {
    const lines = n.plan.edits.slice(0, LIST_LINES).map((e) => `${e.file} ${objectLabel(e.object)} ${e.field}: ${value(e.old)} → ${value(e.new)}`);
    if (n.plan.edits.length > LIST_LINES) lines.push(`…and ${n.plan.edits.length - LIST_LINES} more`);
    if (n.plan.skipped.length) lines.push(`${n.plan.skipped.length} skipped: ${n.plan.skipped.slice(0, 3).map((s) => `${s.file} ${s.reason}`).join('; ')}`);
    sections.push({ title: n.plan.title, lines: lines.length ? lines : ['no edits'] });
  }
  return {
    title: `${n.app}${n.track ? ` (${n.track})` : ''}: ${verbOf(n.kind)}`,
    summary: summary(n),
    facts,
    sections,
    ...(n.link?.url ? { link: { url: n.link.url, label: n.link.label || n.link.url } } : {}),
    tone: BAD.has(n.kind) ? 'bad' : GOOD.has(n.kind) ? 'good' : 'neutral',
  };
}

function checkLines(checks: Check[]): string[] {
  const rank = (c: Check): number => (c.ok === false ? 0 : c.ok === null ? 1 : 2);
  const sorted = [...checks].sort((a, b) => rank(a) - rank(b));
  const lines = sorted.slice(0, LIST_LINES).map((c) => {
    const mark = c.ok === false ? '✗' : c.ok === null ? '?' : '✓';
    const bounds = [c.min !== undefined && `min ${c.min}`, c.max !== undefined && `max ${c.max}`].filter(Boolean).join(', ');
    return `${mark} ${c.name} ${c.value === null ? 'no data' : String(c.value)}${bounds ? ` (${bounds})` : ''}`;
  });
  if (sorted.length > LIST_LINES) lines.push(`…and ${sorted.length - LIST_LINES} more`);
  return lines;
}

function value(v: Value): string {
  return v === null ? 'none' : String(v);
}
