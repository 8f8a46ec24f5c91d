// How a delivery attempt failed, in terms the dispatcher can act on. Both HTTP notifiers
// turn their failures into DeliveryError so retry policy is decided in one place.

import { NotifyError } from '../errors.ts';
import { redact } from './redact.ts';

export class DeliveryError extends NotifyError {
  /** HTTP status when the target answered; undefined for network errors and timeouts. */
  readonly status?: number;
  /** From a Retry-After header, in milliseconds. */
  readonly retryAfterMs?: number;

  constructor(code: string, message: string, opts: { transient: boolean; status?: number; retryAfterMs?: number }) {
    super(code, message, {}, { transient: opts.transient });
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** 408 and 429 mean "try again later"; any other 4xx is a problem with the request or the
 *  target itself (Slack: 400 invalid_payload, 403 action_prohibited, 404 no_service,
 *  410 channel_is_archived) that resending the same payload cannot fix. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function httpFailure(
  notifier: string,
  res: { status: number; statusText?: string; retryAfter?: string | null },
  body: string,
  secrets: readonly string[],
): DeliveryError {
  const detail = body.trim().slice(0, 200);
  const text = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}${detail ? `: ${detail}` : ''}`;
  return new DeliveryError('NOTIFY_HTTP_STATUS', redact(`${notifier} rejected the notification: HTTP ${text}`, secrets), {
    transient: isRetryableStatus(res.status),
    status: res.status,
    retryAfterMs: parseRetryAfter(res.retryAfter ?? null),
  });
}

/** Wraps a failure where no response was received (refused, reset, DNS, timeout). */
export function requestFailure(notifier: string, err: unknown, secrets: readonly string[]): DeliveryError {
  if (isTimeout(err)) {
    return new DeliveryError('NOTIFY_TIMEOUT', `${notifier} did not answer in time`, { transient: true });
  }
  return new DeliveryError('NOTIFY_UNREACHABLE', redact(`${notifier} is unreachable: ${describe(err)}`, secrets), {
    transient: true,
  });
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function isTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  }
  return false;
}

// undici reports "fetch failed" and hides the useful part (ECONNREFUSED 127.0.0.1:9) in
// `cause`; walk the chain so the log says why.
export function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      parts.push(typeof code === 'string' && !e.message.includes(code) ? `${e.message} (${code})` : e.message);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return [...new Set(parts.filter(Boolean))].join(': ') || 'unknown error';
}
