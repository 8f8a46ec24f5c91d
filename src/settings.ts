// Settings from the environment, read once at start. Two modes: GitHub App (APP_ID,
// PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET) and local (none of them).
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError } from './errors.ts';
import { parseMaxFileSize } from './repo-io/read.ts';
import { checkRegistrySettings } from './registry/env.ts';
import { parseDuration } from './rollout/duration.ts';

export interface Settings {
  mode: 'github' | 'local';
  port: number;
  host: string;
  appId?: string;
  privateKey?: string;
  webhookSecret: string;
  /** True when WEBHOOK_SECRET was not set and a random one was made (local mode). */
  generatedSecret: boolean;
  /** Local mode without WEBHOOK_SECRET: the file the generated secret is kept in, so the
   *  next start reuses it (`webhook-secret` beside the local config repo, so
   *  `.gitops-canary/webhook-secret` by default). src/local/secret.ts reads or makes it. */
  secretFile?: string;
  baseUrl?: string;
  configRepos: string[];
  localConfigRepo: string;
  /** Local mode: app source repos as `<owner>/<name>` under this directory (LOCAL_SOURCES). */
  localSources: string;
  /** REGISTRY_WEBHOOK_TOKEN: the token registry push notifications must carry (their
   *  hooks are off without it). */
  registryWebhookToken?: string;
  /** How often every app is reconciled from its sources (RECONCILE_INTERVAL, default
   *  5m; `0` turns the loop off). */
  reconcileIntervalMs: number;
  workDir: string;
  logLevel: string;
  /** LOG_FORMAT: `json` for one pino JSON object a line, else Probot's pretty output. */
  logFormat: 'json' | 'pretty';
  /** How long SIGTERM waits for changes in flight (SHUTDOWN_GRACE_SECONDS, default 25). */
  shutdownGraceMs: number;
  /** Largest repo file read, in bytes (MAX_FILE_SIZE, default 4 MB); pass to setMaxFileSize. */
  maxFileSize: number;
  /** REGISTRY_INSECURE_HOSTS, checked (REGISTRY_CREDENTIALS is checked here too, so a
   *  malformed value stops the start with its reason; the runtime reads both from env). */
  registryInsecureHosts: string[];
}

function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('SETTINGS_PRIVATE_KEY_UNREADABLE', `cannot read PRIVATE_KEY_PATH: ${(err as Error).message}`, { file, field: 'PRIVATE_KEY_PATH' }, { cause: err });
  }
}

function baseUrlOf(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GITHUB_API_URL) return env.GITHUB_API_URL.replace(/\/$/, '');
  if (env.GHE_HOST) return `${env.GHE_PROTOCOL ?? 'https'}://${env.GHE_HOST}/api/v3`;
  return undefined;
}

function reconcileInterval(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 5 * 60_000;
  if (raw.trim() === '0') return 0;
  try {
    return parseDuration(raw.trim(), { field: 'RECONCILE_INTERVAL' });
  } catch {
    throw new ConfigError('SETTINGS_BAD_RECONCILE_INTERVAL', `RECONCILE_INTERVAL must be a duration such as 30s, 5m or 1h (or 0 to turn reconciling off), got "${raw}"`, { field: 'RECONCILE_INTERVAL' });
  }
}

/** `.env` in `cwd`, as Probot apps load theirs (`probot run` uses dotenv): into
 *  process.env, never overriding a variable the environment already sets. */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return;
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new ConfigError('SETTINGS_DOTENV_UNREADABLE', `cannot read .env: ${(err as Error).message}`, { file }, { cause: err });
  }
}

export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const privateKey = env.PRIVATE_KEY || (env.PRIVATE_KEY_PATH ? readKey(env.PRIVATE_KEY_PATH) : undefined);
  // Any GitHub credential means GitHub mode; half a set is a mistake, never a silent fall
  // back to local mode (which would accept webhooks and commit nowhere useful).
  const github = Boolean(env.APP_ID || privateKey);
  if (github && !env.APP_ID) throw new ConfigError('SETTINGS_NO_APP_ID', 'APP_ID must be set when PRIVATE_KEY or PRIVATE_KEY_PATH is', { field: 'APP_ID' });
  if (github && !privateKey) throw new ConfigError('SETTINGS_NO_PRIVATE_KEY', 'PRIVATE_KEY or PRIVATE_KEY_PATH must be set when APP_ID is', { field: 'PRIVATE_KEY' });
  if (github && !env.WEBHOOK_SECRET) {
    throw new ConfigError('SETTINGS_NO_SECRET', 'WEBHOOK_SECRET must be set when APP_ID and PRIVATE_KEY are: unsigned webhooks are never accepted', { field: 'WEBHOOK_SECRET' });
  }
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!/^\d+$/.test(String(port)) || !Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('SETTINGS_BAD_PORT', `PORT must be a port number, got "${env.PORT}"`, { field: 'PORT' });
  const grace = env.SHUTDOWN_GRACE_SECONDS === undefined || env.SHUTDOWN_GRACE_SECONDS === '' ? 25 : Number(env.SHUTDOWN_GRACE_SECONDS);
  if (!Number.isFinite(grace) || grace < 0) {
    throw new ConfigError('SETTINGS_BAD_SHUTDOWN_GRACE', `SHUTDOWN_GRACE_SECONDS must be a number of seconds, got "${env.SHUTDOWN_GRACE_SECONDS}"`, { field: 'SHUTDOWN_GRACE_SECONDS' });
  }
  const localConfigRepo = path.resolve(cwd, env.LOCAL_CONFIG_REPO ?? '.gitops-canary/config-repo');
  return {
    mode: github ? 'github' : 'local',
    port,
    host: env.HOST ?? (github ? '0.0.0.0' : '127.0.0.1'),
    appId: env.APP_ID,
    privateKey: privateKey?.replace(/\\n/g, '\n'),
    webhookSecret: env.WEBHOOK_SECRET || randomBytes(20).toString('hex'),
    generatedSecret: !env.WEBHOOK_SECRET,
    ...(!github && !env.WEBHOOK_SECRET ? { secretFile: path.join(path.dirname(localConfigRepo), 'webhook-secret') } : {}),
    baseUrl: baseUrlOf(env),
    configRepos: (env.CONFIG_REPOS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    localConfigRepo,
    // beside the config repo by default, so one LOCAL_CONFIG_REPO keeps a run's files together
    localSources: env.LOCAL_SOURCES ? path.resolve(cwd, env.LOCAL_SOURCES) : path.join(path.dirname(localConfigRepo), 'sources'),
    reconcileIntervalMs: reconcileInterval(env.RECONCILE_INTERVAL),
    registryWebhookToken: env.REGISTRY_WEBHOOK_TOKEN || undefined,
    workDir: path.resolve(cwd, env.WORK_DIR ?? '.gitops-canary/work'),
    logLevel: env.LOG_LEVEL ?? 'info',
    logFormat: env.LOG_FORMAT === 'json' ? 'json' : 'pretty',
    shutdownGraceMs: Math.round(grace * 1000),
    maxFileSize: parseMaxFileSize(env.MAX_FILE_SIZE),
    registryInsecureHosts: checkRegistrySettings(env),
  };
}
