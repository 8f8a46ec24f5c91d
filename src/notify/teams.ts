// Microsoft Teams target: a Workflows "post to a channel when a webhook request is
// received" URL (the replacement for Office 365 connectors), which takes a message with
// one Adaptive Card attachment. Text is plain: Adaptive Card markdown is a small subset
// and tag names must not turn into formatting.

import { card, type Card } from './card.ts';
import { postJson } from './post.ts';
import { redactDeep } from './redact.ts';
import type { Notice, Notifier } from './types.ts';

export interface TeamsOptions {
  timeoutMs?: number;
}

export class TeamsNotifier implements Notifier {
  readonly name = 'teams';
  readonly #url: string;
  readonly #opts: TeamsOptions;

  constructor(url: string, opts: TeamsOptions = {}) {
    this.#url = url;
    this.#opts = opts;
  }

  async send(notice: Notice): Promise<void> {
    const secrets = [this.#url];
    await postJson(this.name, this.#url, teamsMessage(card(redactDeep(notice, secrets))), { timeoutMs: this.#opts.timeoutMs, secrets });
  }
}

const COLOR: Record<Card['tone'], string> = { good: 'Good', bad: 'Attention', neutral: 'Default' };

export function teamsMessage(c: Card): object {
  const text = (t: string, extra: object = {}) => ({ type: 'TextBlock', text: t, wrap: true, ...extra });
  const body: object[] = [
    text(c.title, { size: 'Medium', weight: 'Bolder', color: COLOR[c.tone] }),
    { type: 'FactSet', facts: c.facts.map(([title, value]) => ({ title, value })) },
    ...c.sections.flatMap((s) => [text(s.title, { weight: 'Bolder', spacing: 'Medium' }), ...s.lines.map((l) => text(l, { spacing: 'None', fontType: 'Monospace' }))]),
  ];
  return {
    type: 'message',
    // Shown in the activity feed and in clients that cannot render the card.
    summary: c.summary,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          ...(c.link ? { actions: [{ type: 'Action.OpenUrl', title: c.link.label, url: c.link.url }] } : {}),
        },
      },
    ],
  };
}
