// The HTTP server: GitHub webhooks (signature-verified by Probot) on
// /api/github/webhooks, and /healthz. The same in both modes.
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { createNodeMiddleware, Probot } from 'probot';
import type { Settings } from './settings.ts';

export const WEBHOOKS_PATH = '/api/github/webhooks';

type ProbotLog = NonNullable<ConstructorParameters<typeof Probot>[0]>['log'];

type ProbotOctokitClass = NonNullable<ConstructorParameters<typeof Probot>[0]>['Octokit'];

/** `log` replaces Probot's own logger (tests capture what the bot says); `Octokit`
 *  replaces Probot's client class (tests against the GitHub double turn off the pacing
 *  GitHub asks of real traffic). Resolves once Probot has initialized: before that,
 *  `probot.log` is null. */
export async function createProbot(
  settings: Pick<Settings, 'appId' | 'privateKey' | 'webhookSecret' | 'logLevel' | 'baseUrl'>,
  opts: { log?: ProbotLog; Octokit?: ProbotOctokitClass } = {},
): Promise<Probot> {
  // Local mode never calls GitHub, but Probot wants an app identity to build contexts.
  const privateKey = settings.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const probot = new Probot({
    appId: settings.appId ?? '1',
    privateKey,
    secret: settings.webhookSecret,
    logLevel: settings.logLevel as 'info',
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.Octokit ? { Octokit: opts.Octokit } : {}),
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
  });
  // auth() without an installation waits for initialization and makes no request.
  await probot.auth();
  return probot;
}

export async function startServer(probot: Probot, appFn: (app: Probot) => void, settings: Pick<Settings, 'port' | 'host' | 'mode'>): Promise<Server> {
  const webhooks = await createNodeMiddleware(appFn, { probot, webhooksPath: WEBHOOKS_PATH });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', mode: settings.mode }));
      return;
    }
    void webhooks(req, res, () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Not Found' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  return server;
}
