// Fire-and-forget delivery with bounded retries. A rollout must never wait on, or fail
// because of, Slack: notify() returns immediately and nothing here throws to the caller.
//
// Retry policy (one place for every notifier):
//   - network errors, timeouts, HTTP 5xx, 408 and 429 are retried, with exponential
//     backoff and jitter, at most `attempts` tries in total;
//   - 429/503 Retry-After is honoured, capped at maxDelayMs;
//   - any other 4xx is permanent (Slack: 400 invalid_payload, 403 action_prohibited,
//     404 no_service, 410 channel_is_archived): the same payload would fail again;
//   - BotErrors follow their `transient` flag; foreign errors thrown by a custom notifier
//     are treated as transient, since attempts are bounded anyway.

import { BotError, NotifyError } from '../errors.ts';
import { countNotifyFailure } from '../metrics/record.ts';
import { DeliveryError, describe } from './delivery.ts';
import { redact } from './redact.ts';
import { summary } from './render.ts';
import type { Notice, Notifier, NotifyLogger } from './types.ts';

export interface DispatcherOptions {
  log: NotifyLogger;
  /** Total tries per notifier, including the first. Default 4. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Upper bound per attempt, enforced here as well as by the notifier itself so a
   *  notifier that never settles cannot hold flush() forever. */
  timeoutMs?: number;
  /** Injected by tests to observe delays without waiting for them. */
  sleep?: (ms: number) => Promise<void>;
  /** Returns [0, 1); injected by tests to make jitter deterministic. */
  random?: () => number;
}

export class Dispatcher {
  readonly #notifiers: readonly Notifier[];
  readonly #log: NotifyLogger;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #inflight = new Set<Promise<void>>();

  constructor(notifiers: readonly Notifier[], opts: DispatcherOptions) {
    this.#notifiers = [...notifiers];
    this.#log = opts.log;
    this.#attempts = positiveInt('attempts', opts.attempts ?? 4);
    this.#baseDelayMs = nonNegative('baseDelayMs', opts.baseDelayMs ?? 500);
    this.#maxDelayMs = nonNegative('maxDelayMs', opts.maxDelayMs ?? 8000);
    this.#timeoutMs = positiveInt('timeoutMs', opts.timeoutMs ?? 5000);
    this.#sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = opts.random ?? Math.random;
  }

  get notifierNames(): string[] {
    return this.#notifiers.map((n) => n.name);
  }

  /** Schedules delivery to every notifier and returns at once. Never throws. */
  notify(notice: Notice): void {
    try {
      // The caller may keep mutating its objects (plans are built incrementally).
      const snapshot = snapshotOf(notice);
      for (const notifier of this.#notifiers) {
        // Deferred so not even rendering runs on the caller's path.
        const p: Promise<void> = Promise.resolve()
          .then(() => this.#deliver(notifier, snapshot))
          .catch((err: unknown) => this.#log.error({ notifier: notifier.name, err: redact(describe(err)) }, 'notification dispatch crashed'))
          .finally(() => this.#inflight.delete(p));
        this.#inflight.add(p);
      }
    } catch (err) {
      this.#log.error({ err: redact(describe(err)) }, 'notification could not be scheduled');
    }
  }

  /** Resolves once every delivery scheduled so far (and any scheduled meanwhile) has
   *  finished or given up. For graceful shutdown and tests. */
  async flush(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  async #deliver(notifier: Notifier, notice: Notice): Promise<void> {
    const base = { notifier: notifier.name, kind: notice.kind, app: notice.app };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#withTimeout(notifier, notice);
        this.#log.debug({ ...base, attempt }, 'notification delivered');
        return;
      } catch (err) {
        const message = redact(err instanceof BotError ? err.message : describe(err));
        const retry = attempt < this.#attempts && isRetryable(err);
        this.#log.warn({ ...base, attempt, attempts: this.#attempts, retry, err: message }, 'notification attempt failed');
        countNotifyFailure(notifier.name, retry);
        if (!retry) {
          this.#log.error({ ...base, attempts: attempt, err: message, summary: redact(safeSummary(notice)) }, 'notification dropped');
          return;
        }
        await this.#sleep(this.delayFor(attempt, err));
      }
    }
  }

  /** Backoff before attempt `attempt + 1`: base·2^(attempt-1), jittered into its upper
   *  half so retries from many replicas spread out, never below Retry-After, never above
   *  maxDelayMs. */
  delayFor(attempt: number, err?: unknown): number {
    const backoff = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    const jittered = backoff / 2 + (this.#random() * backoff) / 2;
    const retryAfter = err instanceof DeliveryError ? (err.retryAfterMs ?? 0) : 0;
    return Math.round(Math.min(this.#maxDelayMs, Math.max(jittered, retryAfter)));
  }

  async #withTimeout(notifier: Notifier, notice: Notice): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DeliveryError('NOTIFY_TIMEOUT', `${notifier.name} did not answer within ${this.#timeoutMs} ms`, { transient: true })),
        this.#timeoutMs,
      );
    });
    try {
      await Promise.race([notifier.send(notice), guard]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof BotError ? err.transient : true;
}

function snapshotOf(notice: Notice): Notice {
  try {
    return structuredClone(notice);
  } catch {
    return { ...notice };
  }
}

function safeSummary(notice: Notice): string {
  try {
    return summary(notice);
  } catch {
    return `${String(notice.app)}: ${String(notice.kind)}`;
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new NotifyError('NOTIFY_BAD_OPTION', `${name} must be a positive integer, got ${v}`, { field: name });
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new NotifyError('NOTIFY_BAD_OPTION', `${name} must be a non-negative number, got ${v}`, { field: name });
  return v;
}
