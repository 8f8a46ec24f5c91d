// The one place that spawns git (through simple-git). Every command gets the same
// per-command config so the host's git setup cannot change what the bot writes: fixed
// identity, no signing, no EOL conversion (a person's checkout keeps its own identity and
// signing). Credentials travel in the environment (GIT_CONFIG_KEY_n), never in argv, URLs
// or .git/config, and every message that leaves here is redacted.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitError as SimpleGitError, simpleGit, type SimpleGit } from 'simple-git';
import { GitError } from '../errors.ts';
import { redactSecrets } from './redact.ts';
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

export interface RunOptions {
  /** Exit codes that resolve (default [0]). */
  ok?: number[];
  /** The GitError code and the words naming the command, when it fails. */
  code?: string;
  what?: string;
  /** A command that writes neither the index nor refs: it need not wait in the queue. */
  readOnly?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
  /** The git process's id (runInput only). */
  pid?: number;
}

/** Raised from simple-git's error hook so that we keep exit code and both streams.
 *  It extends simple-git's own error class, which simple-git passes through unwrapped. */
class RawFailure extends SimpleGitError {
  constructor(
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(undefined, stderr || stdout || `exit code ${code}`);
  }
}

// Environment passed to hermetic runs; everything else (notably GIT_*) is dropped.
const ENV_PASSTHROUGH = [
  'PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'TZ', 'USER', 'SYSTEMROOT', 'COMSPEC',
  'SSH_AUTH_SOCK', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
];

const TRANSIENT_RE =
  /could not resolve host|failed to connect|connection (timed out|refused|reset)|operation timed out|early eof|rpc failed|the remote end hung up|returned error: 5\d\d|http\/2 stream|gnutls_handshake|ssl_connect|temporary failure|block timeout reached/i;

export class GitRunner {
  readonly cwd: string;
  private instance?: SimpleGit;
  private readers?: SimpleGit;
  private readonly secrets: string[];

  constructor(readonly options: RunnerOptions) {
    this.cwd = options.cwd;
    this.secrets = options.token ? [options.token] : [];
  }

  // simple-git checks the directory at construction; a clone target may not exist yet
  private get git(): SimpleGit {
    return (this.instance ??= this.make(1));
  }

  // Commands that only read the tree and the index (grep, ls-files) run beside the queue:
  // a search of the whole tree need not wait for, nor hold up, the small questions asked
  // meanwhile (which commit, whether the checkout is clean).
  private get reader(): SimpleGit {
    return (this.readers ??= this.make(4));
  }

  private make(concurrency: number): SimpleGit {
    const options = this.options;
    const allowEnvironment = allowedEnvironment(options);
    const git = simpleGit({
      baseDir: options.cwd,
      maxConcurrentProcesses: concurrency,
      allowEnvironment,
      unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeConfigPaths: true },
      timeout: { block: options.timeoutMs ?? 300_000 },
      config: commandConfig(options),
      errors: (error, result) => {
        if (error instanceof RawFailure) return error;
        if (result.exitCode === 0 && !error) return undefined;
        const stdout = Buffer.concat(result.stdOut).toString('utf8');
        const stderr = Buffer.concat(result.stdErr).toString('utf8');
        // no stderr but an Error: git never ran or was killed (guard, spawn failure, timeout)
        if (!stderr && error instanceof Error) return new RawFailure(-1, stdout, error.message);
        return new RawFailure(typeof result.exitCode === 'number' && result.exitCode > 0 ? result.exitCode : -1, stdout, stderr);
      },
    });
    const env = buildEnv(options);
    if (env) git.env(env);
    git.outputHandler((_command, stdout) => markDrained(stdout));
    return git;
  }

  /** Runs `git <args>`; exit codes in `ok` (default [0]) resolve, anything else throws a
   *  GitError whose message names the command and quotes git's stderr, redacted. With
   *  `readOnly` (a command that writes neither the index nor refs) it need not wait for
   *  the commands queued before it. */
  async run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const ok = opts.ok ?? [0];
    try {
      const stdout = await (opts.readOnly ? this.reader : this.git).raw(args);
      return { stdout, stderr: '', code: 0 };
    } catch (err) {
      if (err instanceof RawFailure && ok.includes(err.code)) {
        return { stdout: err.stdout, stderr: err.stderr, code: err.code };
      }
      throw this.toError(err, args, opts);
    }
  }

  /** Runs `git <args>` with `input` on its stdin (simple-git writes none), outside the
   *  queue of run(): only for commands that write objects alone, which git lets run beside
   *  anything (nor does WatchedRunner count them: they move no ref, index entry or file).
   *  Same settings, environment, timeout and errors as run(). */
  runInput(args: string[], input: Uint8Array, opts: RunOptions & { env?: Record<string, string>; fromFile?: boolean } = {}): Promise<RunResult> {
    const ok = opts.ok ?? [0];
    const config = commandConfig(this.options).flatMap((c) => ['-c', c]);
    const env = { ...(buildEnv(this.options) ?? inheritedEnv(this.options)), ...opts.env };
    // `fromFile`: git reads the input from a file of its own instead of a pipe this process
    // feeds, which it can only do between its own tasks: a pack begun beside a plan's
    // analysis (prewrite.ts) waited on the analysis for its input (140 ms of 280)
    return new Promise((resolve, reject) => {
      // (thrown here, a failure to write it rejects)
      const file = opts.fromFile ? inputFile(input) : undefined;
      const done = () => {
        if (file) rmSync(file.path, { force: true });
      };
      let child;
      try {
        child = spawn('git', [...config, ...args], { cwd: this.cwd, env, stdio: [file ? file.fd : 'pipe', 'pipe', 'pipe'] });
      } catch (e) {
        done();
        throw e;
      } finally {
        // the child holds its own copy
        if (file) closeSync(file.fd);
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.timeoutMs ?? 300_000);
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      // a git that exits early (bad input) closes its stdin: its exit code tells why
      child.stdin?.on('error', () => undefined);
      child.on('error', (e) => {
        clearTimeout(timer);
        done();
        reject(this.toError(e, args, opts));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        done();
        const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1, pid: child.pid };
        if (ok.includes(result.code)) resolve(result);
        else reject(this.toError(new RawFailure(result.code, result.stdout, result.stderr), args, opts));
      });
      child.stdin?.end(input);
    });
  }

  /** Like run() but never throws for a non-zero exit; for commands whose failure the
   *  caller interprets (push --porcelain, revert). Spawn failures still throw. */
  async tryRun(args: string[]): Promise<RunResult> {
    try {
      return { stdout: await this.git.raw(args), stderr: '', code: 0 };
    } catch (err) {
      if (err instanceof RawFailure && err.code > 0) return { stdout: err.stdout, stderr: err.stderr, code: err.code };
      throw this.toError(err, args, {});
    }
  }

  redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  toError(err: unknown, args: string[], opts: { code?: string; what?: string }): GitError {
    const detail = err instanceof RawFailure ? err.stderr.trim() || err.stdout.trim() || `exit code ${err.code}` : err instanceof Error ? err.message : String(err);
    const what = opts.what ?? `git ${describeArgs(args)}`;
    const message = this.redact(`${what} failed: ${lastLines(detail)}`);
    const transient = TRANSIENT_RE.test(detail);
    // the cause is redacted too: loggers print causes
    return new GitError(opts.code ?? 'GIT_COMMAND_FAILED', message, {}, { transient, cause: new Error(this.redact(detail)) });
  }
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

// simple-git waits a fixed 50 ms after a git process that printed nothing (add, commit -q,
// fetch -q, reset -q), in case output is still in flight. Once stdout has ended nothing
// more can arrive, so an empty chunk at that point tells its completion check the
// streams are drained. Without this, a delivery spends ~200 ms of its ~350 ms asleep.
function markDrained(stdout: NodeJS.ReadableStream): void {
  stdout.once('end', () => stdout.emit('data', Buffer.alloc(0)));
}

function buildEnv(options: RunnerOptions): Record<string, string> | undefined {
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
function commandConfig(options: RunnerOptions): string[] {
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
function allowedEnvironment(options: RunnerOptions): string[] {
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

function describeArgs(args: string[]): string {
  return args
    .filter((a) => !a.startsWith('--format=') && !a.startsWith('--pretty='))
    .map((a) => (a.length > 80 ? `${a.slice(0, 77)}...` : a))
    .join(' ');
}

// git's stderr mixes progress ("Cloning into '.'...") with the actual complaint; keep
// the fatal/error lines when there are any.
function lastLines(text: string, max = 6): string {
  const lines = text.split('\n').map((l) => l.trimEnd()).filter(Boolean);
  const serious = lines.filter((l) => /^(fatal|error):/i.test(l));
  return (serious.length ? serious : lines).slice(-max).join('; ');
}
