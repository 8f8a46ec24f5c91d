// Generic JSON webhook target, for chat bridges and in-house event collectors. The body
// is the notice itself (redacted) plus `event` and a ready-to-print `text`.

import { postJson } from './post.ts';
import { redactDeep } from './redact.ts';
import { summary } from './render.ts';
import type { Notice, Notifier } from './types.ts';

export interface WebhookOptions {
  /** Per-request timeout; the request is aborted after it. Default 5000. */
  timeoutMs?: number;
  /** Extra request headers, e.g. an Authorization header the receiver expects. Their
   *  values are treated as secrets and redacted from errors. */
  headers?: Record<string, string>;
}

export interface WebhookBody extends Omit<Notice, 'kind'> {
  event: Notice['kind'];
  kind: Notice['kind'];
  text: string;
}

export class WebhookNotifier implements Notifier {
  readonly name = 'webhook';
  readonly #url: string;
  readonly #opts: WebhookOptions;

  constructor(url: string, opts: WebhookOptions = {}) {
    this.#url = url;
    this.#opts = opts;
  }

  async send(notice: Notice): Promise<void> {
    const secrets = [this.#url, ...Object.values(this.#opts.headers ?? {})];
    await postJson(this.name, this.#url, webhookBody(notice, secrets), { timeoutMs: this.#opts.timeoutMs, headers: this.#opts.headers, secrets });
  }
}

export function webhookBody(notice: Notice, secrets: readonly string[] = []): WebhookBody {
  const clean = redactDeep(notice, secrets);
  return { event: clean.kind, ...clean, text: summary(clean) };
}
