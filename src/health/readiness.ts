// Readiness: checks run at start, are retried with backoff until they pass, then re-run
// now and then. /readyz answers 503 naming each failing check and why, until all pass.
// Liveness (/healthz, in the intake thread) is a different question: a process that is
// alive but cannot reach GitHub must not be restarted in a loop, only kept out of traffic.
import { setReady } from '../metrics/record.ts';

export type CheckResult =
  | { ok: true; detail?: string; warning?: string }
  /** `transient`: a failure worth riding out (network, 5xx) once the check has passed;
   *  before that, every failure means not ready. */
  | { ok: false; reason: string; transient?: boolean };

export interface Check {
  name: string;
  run(): Promise<CheckResult>;
}

export interface CheckState {
  ok: boolean;
  reason?: string;
  detail?: string;
  warning?: string;
  /** ISO time of the last run; absent until the first one finished. */
  checkedAt?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckState>;
}

export interface Readiness {
  report(): ReadinessReport;
  /** Runs every check now (tests; the loop runs them on its own). */
  recheck(): Promise<ReadinessReport>;
  stop(): void;
}

export interface ReadinessLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ReadinessOptions {
  log: ReadinessLog;
  /** First retry delay after a failure; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Re-check interval once everything passes. */
  periodMs?: number;
  /** A check still running after this long counts as failed (a hung connection). */
  checkTimeoutMs?: number;
}

export function startReadiness(checks: readonly Check[], opts: ReadinessOptions): Readiness {
  const retryMs = opts.retryMs ?? 1000;
  const maxRetryMs = opts.maxRetryMs ?? 30_000;
  const periodMs = opts.periodMs ?? 60_000;
  const checkTimeoutMs = opts.checkTimeoutMs ?? 20_000;
  const states = new Map<string, CheckState>(checks.map((c) => [c.name, { ok: false, reason: 'not checked yet' }]));
  const passedOnce = new Set<string>();
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<ReadinessReport> | undefined;
  let lastLogged: string | undefined;

  const report = (): ReadinessReport => {
    const all = Object.fromEntries(states);
    return { ready: [...states.values()].every((s) => s.ok), checks: all };
  };

  async function runOne(c: Check): Promise<void> {
    let r: CheckResult;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${checkTimeoutMs / 1000} s`, transient: true }), checkTimeoutMs);
    });
    try {
      r = await Promise.race([c.run(), late]);
    } catch (err) {
      r = { ok: false, reason: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
    const checkedAt = new Date().toISOString();
    if (r.ok) {
      passedOnce.add(c.name);
      states.set(c.name, { ok: true, ...(r.detail ? { detail: r.detail } : {}), ...(r.warning ? { warning: r.warning } : {}), checkedAt });
    } else if (r.transient && passedOnce.has(c.name)) {
      // Every replica would fail together on a GitHub blip and leave the Service with no
      // endpoints at all; stay ready and say what went wrong.
      states.set(c.name, { ok: true, warning: `last re-check failed: ${r.reason}`, checkedAt });
    } else {
      states.set(c.name, { ok: false, reason: r.reason, checkedAt });
    }
    setReady(c.name, states.get(c.name)!.ok);
  }

  function logChange(r: ReadinessReport): void {
    const failing = Object.entries(r.checks).filter(([, s]) => !s.ok).map(([name, s]) => `${name}: ${s.reason}`);
    const key = failing.join('\n');
    if (key === lastLogged) return;
    lastLogged = key;
    if (failing.length === 0) opts.log.info({ checks: Object.keys(r.checks) }, 'ready');
    else opts.log.warn({ failing }, `not ready: ${failing.join('; ')}`);
  }

  function schedule(r: ReadinessReport): void {
    if (stopped) return;
    failures = r.ready ? 0 : failures + 1;
    const delay = r.ready ? periodMs : Math.min(maxRetryMs, retryMs * 2 ** (failures - 1));
    clearTimeout(timer);
    timer = setTimeout(() => void recheck(), delay);
    timer.unref();
  }

  function recheck(): Promise<ReadinessReport> {
    running ??= Promise.all(checks.map(runOne)).then(() => {
      running = undefined;
      const r = report();
      logChange(r);
      schedule(r);
      return r;
    });
    return running;
  }

  void recheck();
  return {
    report,
    recheck,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
