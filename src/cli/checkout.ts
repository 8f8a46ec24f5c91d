// The user's checkout as the commands use it: opened as theirs (their identity and signing,
// the CLI named in a trailer), locked against other runs, and its config.
import os from 'node:os';
import path from 'node:path';
import type { AppConfig, Config } from '../config/index.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { readCheckoutConfig } from '../git/config-snapshot.ts';
import { gitIdentity } from '../git/identity.ts';
import { acquireLock, type HeldLock } from '../git/lock.ts';
import type { EarlyCheckout, EarlyStatus } from '../git/early-status.ts';
import { BOT_AUTHOR, Workspace } from '../git/workspace.ts';
import { packageVersion } from '../version.ts';
import { checkoutDir, type Values } from './args.ts';

export interface Out {
  log(s: string): void;
  err(s: string): void;
  /** Standard output is a terminal: `status --watch` redraws the screen. */
  tty?: boolean;
}

export interface Checkout {
  ws: Workspace;
  /** Who asked, for the trailers that name a person (Promoted-By, Requested-By). */
  user: string;
  /** The clean check begun as the checkout was opened (see Workspace.checkCleanSoon). */
  early?: EarlyStatus;
}

export function lockTimeoutMs(v: Values): number {
  const raw = String(v['lock-timeout'] ?? process.env.GITOPS_CANARY_LOCK_TIMEOUT ?? '60');
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new UsageError('USAGE', `--lock-timeout must be a number of seconds, 0 or more, got "${raw}"`);
  return Math.round(seconds * 1000);
}

/** Opens the checkout at --repo. `commits`: the run is going to commit, so it must know
 *  who by: the person's git identity, or (with a warning) the bot's. `begun`: its clean
 *  check and first questions, begun already (cli/early.ts), for this very directory. */
export async function openCheckout(v: Values, out: Out, commits: boolean, begun?: EarlyCheckout): Promise<Checkout> {
  const dir = checkoutDir(v);
  const trailers = { 'Committed-By': `gitops-canary CLI ${packageVersion()}` };
  if (!commits) return { ws: await Workspace.local(dir, { userConfig: true, trailers }), user: loginName() };
  const asked = begun?.dir === path.resolve(dir) ? begun : undefined;
  // git compares the files while the checkout is opened and locked and the code compiles
  const early = asked?.status ?? Workspace.beginCleanCheck(dir);
  // who commits and the branch's upstream, in one git process; where git cannot even run
  // (no such directory), Workspace.local below says so clearly
  const config = await readCheckoutConfig(dir, asked?.config).catch(() => undefined);
  const who = config && (await gitIdentity(dir, process.env, config));
  const ws = await Workspace.local(dir, { author: who?.user ?? BOT_AUTHOR, userConfig: true, trailers, config, opened: asked?.opened });
  if (who === null) {
    out.err(`gitops-canary: warning: no git identity (git config user.name and user.email, or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL); committing as ${BOT_AUTHOR.name}`);
  }
  return { ws, user: who ? `${who.author.name} <${who.author.email}>` : loginName(), ...(early ? { early } : {}) };
}

function loginName(): string {
  try {
    return os.userInfo().username;
  } catch {
    // a container run as a uid without a passwd entry (`docker run -u 1234`)
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
}

/** One run at a time per checkout: runs share the index, the work tree and the branch,
 *  so a second run waits for the first (or takes over from one that died). */
export async function lockCheckout(ws: Workspace, argv: readonly string[], timeoutMs: number, out: Out): Promise<HeldLock> {
  const file = path.join(await ws.gitDir(), 'gitops-canary.lock');
  const lock = await acquireLock(file, {
    what: `gitops-canary ${argv.join(' ')}`,
    timeoutMs,
    onWait: (h) => out.err(`gitops-canary: waiting up to ${timeoutMs / 1000}s for ${h ? `pid ${h.pid} on ${h.host} (${h.what})` : file} to finish`),
  });
  if (lock.tookOver) out.err(`gitops-canary: took over ${file} from pid ${lock.tookOver.pid} on ${lock.tookOver.host}, which is no longer running`);
  return lock;
}

export async function requireConfig(dir: string): Promise<Config> {
  // loaded by the commands that need a config: set-image works without one
  const { loadConfig } = await import('../config/index.ts');
  const loaded = loadConfig(dir);
  if (!loaded) throw new ConfigError('CONFIG_MISSING', 'no .github/gitops-canary.yml in the config repo', { file: '.github/gitops-canary.yml' });
  return loaded.config;
}

export function appConfig(config: Config, app: string): AppConfig {
  const c = config.apps[app];
  if (!c) throw new ConfigError('CONFIG_UNKNOWN_APP', `unknown app "${app}" (known: ${Object.keys(config.apps).join(', ')})`, { file: '.github/gitops-canary.yml', field: `apps.${app}` });
  return c;
}
