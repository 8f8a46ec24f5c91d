// The only importer of node-cron. Schedules are validated at config load, so a typo in
// `schedule:` is reported against the config file rather than when the scheduler starts.
import { schedule, validate, validateDetailed } from 'node-cron';

export interface CronHandle {
  stop(): void;
}

export interface CronOptions {
  /** IANA zone the expression is evaluated in; the process zone when omitted. */
  timezone?: string;
  /** Name shown in node-cron's own log lines. */
  name?: string;
}

/** True when node-cron accepts the expression (5 fields, or 6 with seconds). */
export function validateCron(expr: string): boolean {
  return typeof expr === 'string' && expr.trim() !== '' && validate(expr);
}

/** Why node-cron rejects the expression, or undefined when it is valid. */
export function explainCron(expr: string): string | undefined {
  if (typeof expr !== 'string' || expr.trim() === '') return 'empty cron expression';
  const detail = validateDetailed(expr);
  if (detail.valid) return undefined;
  const first = detail.errors[0];
  if (!first) return 'invalid cron expression';
  return first.field === 'expression' ? first.message : `${first.field}: ${first.message}`;
}

/** Runs `fn` on the schedule. A run that is still busy when the next tick comes is
 *  skipped rather than overlapped: two concurrent advances of one canary would race on
 *  the same branch. */
export function scheduleCron(expr: string, fn: () => unknown, opts: CronOptions = {}): CronHandle {
  const reason = explainCron(expr);
  if (reason !== undefined) throw new RangeError(`invalid cron expression ${JSON.stringify(expr)}: ${reason}`);
  const task = schedule(expr, () => fn(), {
    noOverlap: true,
    ...(opts.timezone ? { timezone: opts.timezone } : {}),
    ...(opts.name ? { name: opts.name } : {}),
  });
  return {
    // destroy, not stop: a stopped task stays in node-cron's global registry forever.
    stop() {
      void task.destroy();
    },
  };
}
