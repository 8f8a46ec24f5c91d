// Discord target: an incoming webhook, one embed per notice. Mentions are switched off
// (allowed_mentions) so a tag or branch named "@everyone" cannot ping a channel.

import { card, type Card } from './card.ts';
import { postJson } from './post.ts';
import { redactDeep } from './redact.ts';
import { truncate } from './render.ts';
import type { Notice, Notifier } from './types.ts';

export interface DiscordOptions {
  timeoutMs?: number;
  username?: string;
}

// Discord's documented embed limits; a message over them is rejected with 400.
const LIMITS = { content: 2000, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024 } as const;
const COLOR: Record<Card['tone'], number> = { good: 0x2eb67d, bad: 0xe01e5a, neutral: 0x4a90d9 };

export class DiscordNotifier implements Notifier {
  readonly name = 'discord';
  readonly #url: string;
  readonly #opts: DiscordOptions;

  constructor(url: string, opts: DiscordOptions = {}) {
    this.#url = url;
    this.#opts = opts;
  }

  async send(notice: Notice): Promise<void> {
    const secrets = [this.#url];
    await postJson(this.name, this.#url, discordMessage(card(redactDeep(notice, secrets)), this.#opts.username), {
      timeoutMs: this.#opts.timeoutMs,
      secrets,
      retryAfterFromBody: retryAfterSeconds,
    });
  }
}

export function discordMessage(c: Card, username = 'gitops-canary'): object {
  const fields = c.facts.map(([name, value]) => ({ name: truncate(name, LIMITS.fieldName), value: truncate(value, LIMITS.fieldValue), inline: true }));
  const description = c.sections.map((s) => `**${s.title}**\n${s.lines.map((l) => `\`${l.replace(/`/g, 'ˋ')}\``).join('\n')}`).join('\n\n');
  return {
    username,
    content: truncate(c.summary, LIMITS.content),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: truncate(c.title, LIMITS.title),
        ...(c.link ? { url: c.link.url } : {}),
        color: COLOR[c.tone],
        ...(description ? { description: truncate(description, LIMITS.description) } : {}),
        fields: fields.slice(0, LIMITS.fields),
      },
    ],
  };
}

/** A 429 from Discord states the wait as `retry_after` seconds in its JSON body. */
function retryAfterSeconds(body: string): string | null {
  try {
    const v = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
    return typeof v === 'number' && v >= 0 ? String(Math.ceil(v)) : null;
  } catch {
    return null;
  }
}
