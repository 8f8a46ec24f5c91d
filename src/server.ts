// The HTTP side: Probot for contexts and handlers, and the intake (src/intake/) in front
// of it, which checks size, signature and shape before any handler runs. /healthz, the
// webhook path and the pages (/readyz, /metrics, /) are the same in both modes.
import { generateKeyPairSync } from 'node:crypto';
import { Probot } from 'probot';
import { handlerFailed } from './handlers/guard.ts';
import type { Listener } from './intake/http.ts';
import type { IntakeConfig } from './intake/messages.ts';
import type { Pages } from './intake/pages.ts';
import { intakeConfig, startInline, startThread, type IntakeHooks, type OnRegistryPush, type Receive } from './intake/start.ts';
import type { DeliveryCount } from './intake/webhook.ts';
import { createLog } from './log.ts';
import { countDelivery, countRegistryNotification, withDelivery } from './metrics/record.ts';
import type { Settings } from './settings.ts';

export { WEBHOOKS_PATH, type Listener } from './intake/http.ts';
export type { PageAnswer, Pages } from './intake/pages.ts';

type ProbotLog = NonNullable<ConstructorParameters<typeof Probot>[0]>['log'];

type ProbotOctokitClass = NonNullable<ConstructorParameters<typeof Probot>[0]>['Octokit'];

/** `log` replaces Probot's own logger (tests capture what the bot says); `Octokit`
 *  replaces Probot's client class (tests against the GitHub double turn off the pacing
 *  GitHub asks of real traffic). Resolves once Probot has initialized: before that,
 *  `probot.log` is null. */
export async function createProbot(
  settings: Pick<Settings, 'appId' | 'privateKey' | 'webhookSecret' | 'logLevel' | 'baseUrl'> & { logFormat?: Settings['logFormat'] },
  opts: { log?: ProbotLog; Octokit?: ProbotOctokitClass } = {},
): Promise<Probot> {
  // Local mode never calls GitHub, but Probot wants an app identity to build contexts.
  const privateKey = settings.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const probot = new Probot({
    appId: settings.appId ?? '1',
    privateKey,
    secret: settings.webhookSecret,
    logLevel: settings.logLevel as 'info',
    log: opts.log ?? (await createLog({ level: settings.logLevel, format: settings.logFormat })),
    ...(opts.Octokit ? { Octokit: opts.Octokit } : {}),
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
  });
  // auth() without an installation waits for initialization and makes no request.
  await probot.auth();
  return probot;
}

/** Deliveries that passed the intake go to the app's handlers, timed from their receipt
 *  to the pushes they make. */
function receiver(probot: Probot): Receive {
  return async (d, payload) => {
    await withDelivery(d.name, d.receivedAt, () => probot.receive({ id: d.id, name: d.name, payload } as Parameters<Probot['receive']>[0]));
    return { status: handlerFailed(payload as object) ? 'failed' : 'done' };
  };
}

export interface ServerOptions {
  /** Run the HTTP side in its own thread (npm start); tests keep it in theirs. */
  thread?: boolean;
  intake?: Partial<IntakeConfig>;
  /** A verified registry push notification: reconcile the apps using those images. */
  onRegistryPush?: OnRegistryPush;
  /** GET /, /readyz, /metrics and /api/status, rendered in this thread (src/pages.ts);
   *  without it they answer 404. */
  pages?: Pages;
}

function countOf(c: DeliveryCount): void {
  if (c.registry !== undefined) countRegistryNotification(c.registry, c.outcome, c.reason);
  else countDelivery(c.event, c.outcome, c.reason);
}

export async function startServer(
  probot: Probot,
  appFn: (app: Probot) => void,
  settings: Pick<Settings, 'port' | 'host' | 'mode' | 'webhookSecret'> & { registryWebhookToken?: string },
  opts: ServerOptions = {},
): Promise<Listener> {
  await probot.load(appFn);
  const cfg = intakeConfig(settings, opts.intake);
  const log = probot.log;
  const hooks: IntakeHooks = { onPush: opts.onRegistryPush, pages: opts.pages, count: countOf };
  return opts.thread ? startThread(cfg, receiver(probot), log, hooks) : startInline(cfg, receiver(probot), log, hooks);
}
