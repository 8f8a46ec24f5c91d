// The explicit list of notifier kinds and how targets are chosen from the environment.
// Webhook URLs are credentials, so config files name environment variables, never URLs.

import { NotifyError } from '../errors.ts';
import { DiscordNotifier } from './discord.ts';
import { NoopNotifier } from './noop.ts';
import { SlackNotifier } from './slack.ts';
import { TeamsNotifier } from './teams.ts';
import type { Notifier } from './types.ts';
import { WebhookNotifier } from './webhook.ts';

export type NotifierKind = 'slack' | 'teams' | 'discord' | 'webhook' | 'noop';
type TargetKind = Exclude<NotifierKind, 'noop'>;

export interface NotifierOptions {
  timeoutMs?: number;
}

const FACTORIES: Record<NotifierKind, (url: string | undefined, opts: NotifierOptions) => Notifier> = {
  slack: (url, opts) => new SlackNotifier(requireUrl('slack', url), { timeoutMs: opts.timeoutMs }),
  teams: (url, opts) => new TeamsNotifier(requireUrl('teams', url), { timeoutMs: opts.timeoutMs }),
  discord: (url, opts) => new DiscordNotifier(requireUrl('discord', url), { timeoutMs: opts.timeoutMs }),
  webhook: (url, opts) => new WebhookNotifier(requireUrl('webhook', url), { timeoutMs: opts.timeoutMs }),
  noop: () => new NoopNotifier(),
};

export const NOTIFIER_KINDS = Object.keys(FACTORIES) as NotifierKind[];

/** `kind` is typed loosely on purpose: it may come from untyped config, and an unknown
 *  kind must fail loudly rather than silently dropping notifications. */
export function createNotifier(kind: NotifierKind | string, url?: string, opts: NotifierOptions = {}): Notifier {
  if (!Object.hasOwn(FACTORIES, kind)) {
    throw new NotifyError('NOTIFY_UNKNOWN_KIND', `unknown notifier kind "${kind}"; expected one of ${NOTIFIER_KINDS.join(', ')}`, { field: 'kind' });
  }
  return FACTORIES[kind as NotifierKind](url, opts);
}

/** Per-app override: each value is the NAME of an environment variable holding the URL. */
export interface AppNotify {
  slack?: string;
  teams?: string;
  discord?: string;
  webhook?: string;
}

export interface NotifiersFromEnv {
  notifiers: Notifier[];
  /** Misconfigurations found. Returned, not thrown: a missing Slack URL must not stop a
   *  rollout, but the caller should log these at startup / per event. */
  problems: NotifyError[];
}

const GLOBAL_VARS: Record<TargetKind, string> = {
  slack: 'SLACK_WEBHOOK_URL',
  teams: 'TEAMS_WEBHOOK_URL',
  discord: 'DISCORD_WEBHOOK_URL',
  webhook: 'NOTIFY_WEBHOOK_URL',
};

/** For each target, the app's `notify.<target>` variable if the app names one, otherwise
 *  the global variable. No targets → an empty list (the dispatcher then does nothing). */
export function notifiersFromEnv(
  env: Record<string, string | undefined>,
  appNotify?: AppNotify,
  opts: NotifierOptions & { app?: string; file?: string } = {},
): NotifiersFromEnv {
  const notifiers: Notifier[] = [];
  const problems: NotifyError[] = [];
  for (const kind of ['slack', 'teams', 'discord', 'webhook'] as const) {
    const perApp = appNotify?.[kind];
    const varName = perApp ?? GLOBAL_VARS[kind];
    const loc = { file: opts.file, object: opts.app ? `app ${opts.app}` : undefined, field: perApp !== undefined ? `notify.${kind}` : undefined };
    if (perApp !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(perApp)) {
      problems.push(new NotifyError('NOTIFY_BAD_ENV_NAME', `"${perApp}" is not an environment variable name; put the URL in an environment variable and name it here`, loc));
      continue;
    }
    const url = env[varName]?.trim();
    if (!url) {
      // An unset global variable just means "not configured"; a per-app one was asked for.
      if (perApp !== undefined) {
        problems.push(new NotifyError('NOTIFY_ENV_MISSING', `environment variable ${varName} is not set; ${kind} notifications for this app are disabled`, loc));
      }
      continue;
    }
    if (!isHttpUrl(url)) {
      // Never echo the value: it is a credential even when malformed.
      problems.push(new NotifyError('NOTIFY_BAD_URL', `environment variable ${varName} does not hold an http(s) URL; ${kind} notifications are disabled`, loc));
      continue;
    }
    notifiers.push(createNotifier(kind, url, opts));
  }
  return { notifiers, problems };
}

function requireUrl(kind: string, url: string | undefined): string {
  if (!url) throw new NotifyError('NOTIFY_URL_REQUIRED', `a ${kind} notifier needs a URL`, { field: 'url' });
  if (!isHttpUrl(url)) throw new NotifyError('NOTIFY_BAD_URL', `the ${kind} notifier URL is not an http(s) URL`, { field: 'url' });
  return url;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
