// One JSON POST with the failure classification every HTTP notifier shares: the generic
// webhook, Microsoft Teams and Discord differ only in the body they send.

import { httpFailure, requestFailure } from './delivery.ts';

export interface PostOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Values redacted from any error message (the URL, header values). */
  secrets: readonly string[];
  /** A wait the target states in its body rather than a Retry-After header (Discord). */
  retryAfterFromBody?: (body: string) => string | null;
}

export async function postJson(notifier: string, url: string, body: unknown, opts: PostOptions): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...opts.headers, 'content-type': 'application/json', 'user-agent': 'gitops-canary-bot' },
      body: JSON.stringify(body),
      // Following a redirect would re-send the payload to a host nobody configured; a 3xx
      // surfaces as a permanent HTTP failure instead.
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
  } catch (err) {
    throw requestFailure(notifier, err, opts.secrets);
  }
  // Drain the body either way so the connection can be reused; its text explains 4xx.
  let text = '';
  try {
    text = await res.text();
  } catch (err) {
    if (res.ok) return;
    throw requestFailure(notifier, err, opts.secrets);
  }
  if (!res.ok) {
    const retryAfter = res.headers.get('retry-after') ?? opts.retryAfterFromBody?.(text) ?? null;
    throw httpFailure(notifier, { status: res.status, statusText: res.statusText, retryAfter }, text, opts.secrets);
  }
}
