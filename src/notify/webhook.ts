// Generic JSON webhook target, for chat bridges and in-house event collectors. The body
// is the notice itself (redacted) plus `event` and a ready-to-print `text`.

import { httpFailure, requestFailure } from './delivery.ts';
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
    const body = webhookBody(notice, secrets);
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { ...this.#opts.headers, 'content-type': 'application/json', 'user-agent': 'gitops-canary-bot' },
        body: JSON.stringify(body),
        // Following a redirect would re-send the payload to a host nobody configured; a 3xx
        // surfaces as a permanent HTTP failure instead.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 5000),
      });
    } catch (err) {
      throw requestFailure(this.name, err, secrets);
    }
    // Drain the body either way so the connection can be reused; its text explains 4xx.
    let text = '';
    try {
      text = await res.text();
    } catch (err) {
      if (res.ok) return;
      throw requestFailure(this.name, err, secrets);
    }
    if (!res.ok) {
      throw httpFailure(this.name, { status: res.status, statusText: res.statusText, retryAfter: res.headers.get('retry-after') }, text, secrets);
    }
  }
}

export function webhookBody(notice: Notice, secrets: readonly string[] = []): WebhookBody {
  const clean = redactDeep(notice, secrets);
  return { event: clean.kind, ...clean, text: summary(clean) };
}
