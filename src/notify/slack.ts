// Slack incoming-webhook target. The only module that imports @slack/webhook.
// The library's own retries stay off (its default): dispatch.ts owns the retry policy so
// Slack and generic webhooks behave the same and every attempt is logged.

import { IncomingWebhook, IncomingWebhookHTTPError } from '@slack/webhook';
import type { FetchFunction } from '@slack/webhook';
import { DeliveryError, httpFailure, requestFailure } from './delivery.ts';
import { redactDeep } from './redact.ts';
import { blocks, summary } from './render.ts';
import type { Notice, Notifier } from './types.ts';

export interface SlackOptions {
  /** Per-request timeout; the request is aborted after it. Default 5000. */
  timeoutMs?: number;
  /** Shown as the sender when the webhook allows overriding it. */
  username?: string;
  iconEmoji?: string;
}

export class SlackNotifier implements Notifier {
  readonly name = 'slack';
  readonly #url: string;
  readonly #opts: SlackOptions;

  constructor(url: string, opts: SlackOptions = {}) {
    this.#url = url;
    this.#opts = opts;
  }

  async send(notice: Notice): Promise<void> {
    const secrets = [this.#url];
    const clean = redactDeep(notice, secrets);
    // The library drops response headers from its errors; capture Retry-After ourselves.
    // A fresh client per send keeps that capture private to this request (construction
    // only stores fields).
    let retryAfter: string | null = null;
    const capture: FetchFunction = async (url, init) => {
      // The library asks fetch to throw on redirects, which would look like a network
      // error and be retried; as a 3xx response it is a permanent HTTP failure instead.
      const res = await fetch(url, { ...(init as RequestInit), redirect: 'manual' });
      retryAfter = res.headers.get('retry-after');
      return res;
    };
    const hook = new IncomingWebhook(this.#url, {
      timeout: this.#opts.timeoutMs ?? 5000,
      fetch: capture,
      ...(this.#opts.username ? { username: this.#opts.username } : {}),
      ...(this.#opts.iconEmoji ? { icon_emoji: this.#opts.iconEmoji } : {}),
    });
    try {
      await hook.send(redactDeep({ text: summary(clean), blocks: blocks(clean), unfurl_links: false }, secrets));
    } catch (err) {
      throw toDeliveryError(this.name, err, retryAfter, secrets);
    }
  }
}

function toDeliveryError(name: string, err: unknown, retryAfter: string | null, secrets: string[]): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof IncomingWebhookHTTPError) {
    return httpFailure(name, { status: err.statusCode, statusText: err.statusMessage, retryAfter }, err.body ?? '', secrets);
  }
  // IncomingWebhookRequestError wraps the fetch failure in `original`/`cause`.
  const original = (err as { original?: unknown }).original ?? err;
  return requestFailure(name, original, secrets);
}
