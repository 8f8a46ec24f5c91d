// Process entry: read settings, wire the services, start the server. No logic here.
import { createApp } from './app.ts';
import { githubScope, localScope } from './bot/scopes.ts';
import { WorkspacePool } from './bot/workspaces.ts';
import { Dispatcher, notifiersFromEnv } from './notify/index.ts';
import { systemClock } from './rollout/clock.ts';
import { ensureLocalConfigRepo } from './local/seed.ts';
import { createProbot, startServer, WEBHOOKS_PATH } from './server.ts';
import { readSettings } from './settings.ts';

const settings = readSettings();
const probot = createProbot(settings);
const log = probot.log;

const { notifiers, problems } = notifiersFromEnv(process.env);
for (const p of problems) log.warn({ code: p.code }, p.message);
const dispatcher = new Dispatcher(notifiers, { log });

if (settings.mode === 'local') {
  const { created } = await ensureLocalConfigRepo(settings.localConfigRepo);
  log.info({ repo: settings.localConfigRepo, created }, created ? 'created the local config repo from the podinfo example' : 'using the local config repo');
}

const deps = { workspaces: new WorkspacePool(settings.workDir), notify: (n: Parameters<Dispatcher['notify']>[0]) => dispatcher.notify(n), clock: systemClock, log };
const scopeFor =
  settings.mode === 'github'
    ? (context: Parameters<typeof githubScope>[0]) => githubScope(context, { configRepos: settings.configRepos })
    : (context: Parameters<typeof localScope>[0]) => localScope(context, settings.localConfigRepo);

const server = await startServer(probot, createApp({ deps, scopeFor }), settings);
const address = server.address();
const port = typeof address === 'object' && address ? address.port : settings.port;
log.info({ mode: settings.mode, port, webhooks: WEBHOOKS_PATH }, `gitops-canary listening on http://${settings.host}:${port}`);
if (settings.generatedSecret) log.info(`no WEBHOOK_SECRET set; webhooks must be signed with this generated secret: ${settings.webhookSecret}`);

async function shutdown(signal: string): Promise<void> {
  log.info({ signal }, 'shutting down');
  server.close();
  await dispatcher.flush();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
