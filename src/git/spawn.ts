// How git is started: the `-c` settings and the environment every command gets (see
// exec.ts), and a process run with them outside simple-git, for what simple-git cannot do
// (input on stdin) and for the clean check the bin begins before the CLI's code is loaded
// (early-status.ts). It imports no library, which keeps that small bundle (cli/early.ts)
// small.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseHttpUrl } from './remote-url.ts';

export interface Author {
  name: string;
  email: string;
}

export const BOT_AUTHOR: Author = {
  name: 'gitops-canary[bot]',
  email: 'gitops-canary[bot]@users.noreply.github.com',
};

export interface RunnerOptions {
  cwd: string;
  author?: Author;
  /** Token for HTTP(S) remotes, sent as a Basic auth header scoped to `remoteUrl`'s origin. */
  token?: string;
  remoteUrl?: string;
  /** Ignore system/global git config and use a minimal environment (the app's own
   *  clones). Off for the user's checkout, whose credential helpers we rely on. */
  hermetic?: boolean;
  /** Kill a git process that produced no output for this long. */
  timeoutMs?: number;
  /** A person's own checkout (the CLI): their signing configuration applies, and their
   *  identity unless `author` is given. The bot's own clones force both. */
  userConfig?: boolean;
}

// Environment passed to hermetic runs; everything else (notably GIT_*) is dropped.
const ENV_PASSTHROUGH = [
  'PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'TZ', 'USER', 'SYSTEMROOT', 'COMSPEC',
  'SSH_AUTH_SOCK', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
];

export function buildEnv(options: RunnerOptions): Record<string, string> | undefined {
  if (!options.hermetic && !options.token) return undefined;
  const env: Record<string, string> = {};
  if (options.hermetic) {
    for (const key of ENV_PASSTHROUGH) {
      const v = process.env[key];
      if (v !== undefined) env[key] = v;
    }
    // English, parseable messages regardless of the host's locale
    env.LC_ALL = 'C';
    env.GIT_CONFIG_NOSYSTEM = '1';
    env.GIT_CONFIG_GLOBAL = process.platform === 'win32' ? 'NUL' : '/dev/null';
  } else {
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !isGuardedEnv(k)) env[k] = v;
    }
  }
  env.GIT_TERMINAL_PROMPT = '0';
  const header = authHeader(options);
  if (header) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = header.key;
    env.GIT_CONFIG_VALUE_0 = header.value;
  }
  return env;
}

/** The `-c` settings every command runs with. */
export function commandConfig(options: RunnerOptions): string[] {
  const author = options.author ?? (options.userConfig ? undefined : BOT_AUTHOR);
  return [
    ...(author ? [`user.name=${author.name}`, `user.email=${author.email}`] : []),
    ...(options.userConfig ? [] : ['commit.gpgsign=false', 'tag.gpgsign=false']),
    'core.autocrlf=false',
    'core.safecrlf=false',
    'core.quotepath=false',
    'color.ui=false',
    'advice.detachedHead=false',
    'gc.auto=0',
    // nor the `git maintenance run --auto` that `git commit` and `git fetch` would each
    // start afterwards: a process more per call, for housekeeping left to the repo's owner
    'maintenance.auto=false',
  ];
}

/** The GIT_* variables simple-git lets through from the environment. */
export function allowedEnvironment(options: RunnerOptions): string[] {
  const allowed = ['GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL', 'GIT_TERMINAL_PROMPT', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0'];
  // a person's identity as git reads it (simple-git strips GIT_* from the environment otherwise)
  if (options.userConfig) allowed.push('GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL');
  return allowed;
}

/** The environment simple-git gives git when it is given none of its own. */
function inheritedEnv(options: RunnerOptions): NodeJS.ProcessEnv {
  const allowed = new Set(allowedEnvironment(options));
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => allowed.has(k) || !isGuardedEnv(k)));
}

// simple-git rejects an explicit environment holding keys it guards (GIT_*, editors,
// pagers); those would only make git behave differently from what we ask anyway.
function isGuardedEnv(key: string): boolean {
  const k = key.toLowerCase();
  return k.startsWith('git_') || ['editor', 'visual', 'pager', 'prefix', 'ssh_askpass'].includes(k);
}

function authHeader(options: RunnerOptions): { key: string; value: string } | undefined {
  if (!options.token || !options.remoteUrl) return undefined;
  const url = parseHttpUrl(options.remoteUrl);
  if (!url) return undefined;
  const basic = Buffer.from(`x-access-token:${options.token}`).toString('base64');
  // scoped to the remote's origin so a redirect elsewhere never receives it
  return { key: `http.${url.origin}/.extraHeader`, value: `Authorization: Basic ${basic}` };
}

export interface SpawnResult {
  stdout: string;
  stderr: string;
  /** The exit code; -1 when git was killed. */
  code: number;
  pid?: number;
}

/** Runs `git <args>` in `options.cwd` with the settings and environment of a runner made
 *  with `options`, `input` on its stdin, and collects both streams; rejects only when git
 *  cannot be started. `fromFile`: git reads the input from a file of its own instead of a
 *  pipe this process feeds. */
export function spawnGit(options: RunnerOptions, args: string[], input?: Uint8Array, opts: { env?: Record<string, string>; fromFile?: boolean } = {}): Promise<SpawnResult> {
  const config = commandConfig(options).flatMap((c) => ['-c', c]);
  return spawnWith('git', [...config, ...args], options, input, opts);
}

/** Runs `script` with POSIX `sh -c`, in `options.cwd` with the environment of a runner
 *  made with `options`: `params` are its $1, $2, …, and after them come the `-c` settings
 *  every git command runs with, for the script to pass on as `git "$@" <command>` once it
 *  has shifted its own away. For a chain of git commands that would otherwise each be
 *  started from this (large) process: each start blocks its thread for milliseconds. */
export function spawnGitScript(options: RunnerOptions, script: string, params: string[], input?: Uint8Array): Promise<SpawnResult> {
  const config = commandConfig(options).flatMap((c) => ['-c', c]);
  return spawnWith('sh', ['-c', script, 'sh', ...params, ...config], options, input, {});
}

function spawnWith(command: string, argv: string[], options: RunnerOptions, input: Uint8Array | undefined, opts: { env?: Record<string, string>; fromFile?: boolean }): Promise<SpawnResult> {
  const env = { ...(buildEnv(options) ?? inheritedEnv(options)), ...opts.env };
  return new Promise((resolve, reject) => {
    // (thrown here, a failure to write it rejects)
    const file = opts.fromFile && input ? inputFile(input) : undefined;
    const done = () => {
      if (file) rmSync(file.path, { force: true });
    };
    let child;
    try {
      child = spawn(command, argv, { cwd: options.cwd, env, stdio: [file ? file.fd : input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    } catch (e) {
      done();
      throw e;
    } finally {
      // the child holds its own copy
      if (file) closeSync(file.fd);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    // a git that exits early (bad input) closes its stdin: its exit code tells why
    child.stdin?.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      done();
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done();
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1, pid: child.pid });
    });
    if (input && !file) child.stdin?.end(input);
  });
}

/** `input` in a new file only this user can read, open for reading from its start. */
function inputFile(input: Uint8Array): { path: string; fd: number } {
  const file = path.join(os.tmpdir(), `gitops-canary-input-${process.pid}-${randomBytes(6).toString('hex')}`);
  writeFileSync(file, input, { flag: 'wx', mode: 0o600 });
  try {
    return { path: file, fd: openSync(file, 'r') };
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  }
}
