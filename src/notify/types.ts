// What the bot tells people about, and the one interface every delivery target implements.
// Modelled on Flagger's pkg/notifier: a notifier only knows how to deliver; retries,
// timeouts-as-a-guard and fire-and-forget scheduling live in dispatch.ts.

import type { Plan } from '../plan.ts';

export const NOTICE_KINDS = [
  'pr-opened',
  'pr-updated',
  'merged',
  'committed',
  'weight-changed',
  'promoted',
  'rolled-back',
  'held',
  'paused',
  'resumed',
  'gate-failed',
  'failed',
] as const;

export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface Weights {
  stable: number;
  canary: number;
}

/** One metric or gate check; `value: null` / `ok: null` mean "no data". */
export interface Check {
  name: string;
  value: number | null;
  min?: number;
  max?: number;
  ok: boolean | null;
}

export interface Notice {
  kind: NoticeKind;
  app: string;
  track?: string;
  tag?: string;
  oldTag?: string;
  weights?: Weights;
  oldWeights?: Weights;
  /** What the change routes besides weights, or the rollout step it takes, for people:
   *  `step 1/5: A/B header user-agent ~ .*Firefox.*`, `mirror 50%`. */
  traffic?: string;
  link?: { url: string; label: string };
  /** The config repo, `owner/name`. */
  repo?: string;
  plan?: Plan;
  error?: string;
  checks?: Check[];
  actor?: string;
}

export interface Notifier {
  /** Used in logs only; never contains the target URL. */
  readonly name: string;
  /** Delivers once. Throws a NotifyError (see delivery.ts) whose `transient` flag and
   *  `status` tell the dispatcher whether another attempt may help. */
  send(notice: Notice): Promise<void>;
}

/** The subset of pino's API we use, so Probot's `app.log` can be passed straight in. */
export interface NotifyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
