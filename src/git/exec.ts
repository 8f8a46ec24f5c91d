// Runs git: through simple-git, or spawn.ts's own spawn for input on stdin (which, with
// none, also starts the clean check the bin begins before the CLI loads, early-status.ts).
// Every command gets the same per-command config (spawn.ts) so the host's git setup cannot
// change what the bot writes: fixed identity, no signing, no EOL conversion (a person's
// checkout keeps its own identity and signing). Credentials travel in the environment
// (GIT_CONFIG_KEY_n), never in argv, URLs or .git/config, and every message that leaves
// here is redacted.
import { GitError as SimpleGitError, simpleGit, type SimpleGit } from 'simple-git';
import { GitError } from '../errors.ts';
import { redactSecrets } from './redact.ts';
import { allowedEnvironment, buildEnv, commandConfig, spawnGit, spawnGitScript, type RunnerOptions } from './spawn.ts';

export { BOT_AUTHOR, type Author, type RunnerOptions } from './spawn.ts';

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
  async runInput(args: string[], input: Uint8Array, opts: RunOptions & { env?: Record<string, string>; fromFile?: boolean } = {}): Promise<RunResult> {
    const ok = opts.ok ?? [0];
    // `fromFile`: git reads the input from a file of its own instead of a pipe this process
    // feeds, which it can only do between its own tasks: a pack begun beside a plan's
    // analysis (prewrite.ts) waited on the analysis for its input (140 ms of 280)
    let result;
    try {
      result = await spawnGit(this.options, args, input, opts);
    } catch (e) {
      throw this.toError(e, args, opts);
    }
    if (ok.includes(result.code)) return result;
    throw this.toError(new RawFailure(result.code, result.stdout, result.stderr), args, opts);
  }

  /** Runs a chain of git commands as one `sh` script (spawnGitScript), `input` on its
   *  stdin, and resolves with its output once it exits 0. Otherwise the exit code picks
   *  the command that failed from `steps` (exit code 90 + its index, which the script
   *  gives), and the GitError names it and quotes git's stderr as run() does. Awaited in
   *  turn like run(), it holds the clone as long as the commands would one by one. */
  async runScript(script: string, params: string[], input: Uint8Array | undefined, steps: readonly string[][], opts: RunOptions = {}): Promise<RunResult> {
    // sh itself failed, or was killed: no one command to name
    const whole = { ...opts, what: `sh running git ${steps.map((s) => s[0]).join(', ')}` };
    let result;
    try {
      result = await spawnGitScript(this.options, script, params, input);
    } catch (e) {
      throw this.toError(e, [], whole);
    }
    if (result.code === 0) return result;
    const failed = steps[result.code - 90];
    const raw = new RawFailure(result.code, result.stdout, result.stderr);
    throw failed ? this.toError(raw, failed, opts) : this.toError(raw, [], whole);
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

// simple-git waits a fixed 50 ms after a git process that printed nothing (add, commit -q,
// fetch -q, reset -q), in case output is still in flight. Once stdout has ended nothing
// more can arrive, so an empty chunk at that point tells its completion check the
// streams are drained. Without this, a delivery spends ~200 ms of its ~350 ms asleep.
function markDrained(stdout: NodeJS.ReadableStream): void {
  stdout.once('end', () => stdout.emit('data', Buffer.alloc(0)));
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
