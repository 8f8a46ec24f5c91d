// Process entry: read settings, wire the services, start the server. No logic here.
import { createApp } from './app.ts';
import { BotError } from './errors.ts';
import { createRuntime } from './handlers/runtime.ts';
import { scheduledScopes } from './handlers/schedule.ts';
import { startReconciler } from './bot/reconcile/loop.ts';
import { startScheduler } from './bot/tick/scheduler.ts';
import { ensureLocalConfigRepo } from './local/seed.ts';
import { ensureLocalSources } from './local/sources.ts';
import { keepSecret } from './local/secret.ts';
import { githubAppCheck, localRepoCheck, writableDirCheck } from './health/checks.ts';
import { startReadiness } from './health/readiness.ts';
import { useMetrics } from './metrics/record.ts';
import { createMetrics } from './metrics/registry.ts';
import { createPages } from './pages.ts';
import { statusSource } from './bot/status-report.ts';
import { createProbot, startServer, WEBHOOKS_PATH } from './server.ts';
import { setMaxFileSize } from './repo-io/read.ts';
import { loadDotEnv, readSettings, type Settings } from './settings.ts';
import { drain } from './shutdown.ts';

let settings: Settings;
let secretCreated = false;
try {
  loadDotEnv();
  settings = readSettings();
  if (settings.secretFile) {
    const kept = keepSecret(settings.secretFile);
    settings = { ...settings, webhookSecret: kept.secret };
    secretCreated = kept.created;
  }
} catch (err) {
  // A misconfigured start is the operator's to fix: say what, not a stack trace.
  if (!(err instanceof BotError)) throw err;
  const line = process.env.LOG_FORMAT === 'json' ? JSON.stringify({ level: 60, time: Date.now(), code: err.code, msg: err.message }) : `gitops-canary: ${err.message}`;
  process.stderr.write(`${line}\n`);
  process.exit(2);
}
const metrics = createMetrics();
useMetrics(metrics);
setMaxFileSize(settings.maxFileSize);
const probot = await createProbot(settings);
const log = probot.log;

if (settings.mode === 'local') {
  const { created } = await ensureLocalConfigRepo(settings.localConfigRepo, { log });
  log.info({ repo: settings.localConfigRepo, created }, created ? 'created the local config repo from the podinfo example' : 'using the local config repo');
  const source = await ensureLocalSources(settings.localSources);
  if (source.created) log.info({ repo: source.repo }, 'created a local stand-in for example/podinfo: tag it and the next reconcile pass rolls the tag out');
}

const { runtime, notifier } = createRuntime({
  mode: settings.mode,
  workDir: settings.workDir,
  configRepos: settings.configRepos,
  localConfigRepo: settings.localConfigRepo,
  env: process.env,
  log,
});

const scopes = scheduledScopes(probot, settings);
const reconciler = startReconciler({ deps: runtime.deps, scopes, intervalMs: settings.reconcileIntervalMs, memo: runtime.deps.reconciled! });
const workDirCheck = writableDirCheck('work-dir', settings.workDir, 'WORK_DIR');
const readiness = startReadiness(settings.mode === 'github' ? [githubAppCheck(probot), workDirCheck] : [localRepoCheck(settings.localConfigRepo), workDirCheck], { log });
const server = await startServer(probot, createApp(runtime), settings, {
  thread: true,
  onRegistryPush: (_kind, pushes) => void reconciler.run(pushes.map((p) => p.image)),
  pages: createPages({ mode: settings.mode, readiness, metrics, webhooksPath: WEBHOOKS_PATH, status: statusSource(runtime.deps, scopes, { mode: settings.mode }) }),
});
const scheduler = startScheduler({ deps: runtime.deps, scopes });
const port = server.port;
log.info({ mode: settings.mode, port, webhooks: WEBHOOKS_PATH }, `gitops-canary listening on http://${settings.host}:${port}`);
if (settings.secretFile) {
  const how = secretCreated ? 'made one and kept it in' : 'using the one kept in';
  log.info({ file: settings.secretFile }, `no WEBHOOK_SECRET set; ${how} ${settings.secretFile}; webhooks must be signed with this secret: ${settings.webhookSecret}`);
}

async function shutdown(signal: string): Promise<void> {
  log.info({ signal, graceMs: settings.shutdownGraceMs }, 'shutting down: finishing the changes in flight');
  const stopTimers = { stop: () => (scheduler.stop(), reconciler.stop(), readiness.stop()) };
  const outcome = await drain({ server, scheduler: stopTimers, idle: () => runtime.deps.workspaces.idle(), flush: () => notifier.flush() }, settings.shutdownGraceMs);
  if (outcome === 'timed-out') log.warn({ graceMs: settings.shutdownGraceMs }, 'shutdown grace period over with changes still in flight; git keeps what was pushed');
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
