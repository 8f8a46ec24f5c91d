// The command-line front: parses arguments against the command table (src/cli/table.ts)
// and calls the same jobs the app runs. Exit codes: 0 success (also "nothing to change"),
// 1 error, 2 usage error. A command's code is loaded only when it runs.
import { AnalysisError } from './analysis/error.ts';
import { BotError, UsageError } from './errors.ts';
import type { Result } from './plan.ts';
import { parseMaxFileSize, setMaxFileSize } from './repo-io/read.ts';
import { versionLine } from './version.ts';
import { asksVersion, CliUsageError, checkArity, checkoutDir, commitsChange, parseArgv, unknownCommand, type Parsed } from './cli/args.ts';
import { lockCheckout, lockTimeoutMs, openCheckout, type Out } from './cli/checkout.ts';
import { commandHelp, overview, usageLine } from './cli/help.ts';
import type { WatchDeps } from './cli/status.ts';
import type { EarlyCheckout } from './git/early-status.ts';
import { COMMANDS } from './cli/table.ts';

export type { Out } from './cli/checkout.ts';

const consoleOut: Out = { log: (s) => console.log(s), err: (s) => console.error(s), tty: process.stdout.isTTY === true };

function usage(err: UsageError, command: string | undefined, out: Out): number {
  const cmd = err instanceof CliUsageError ? err.command : command;
  const known = cmd !== undefined && Object.hasOwn(COMMANDS, cmd);
  out.err(
    [
      `gitops-canary: ${err.message}`,
      known ? usageLine(cmd) : 'usage: gitops-canary <command> [options]',
      known ? `run "gitops-canary help ${cmd}" for its options and an example` : 'run "gitops-canary help" for the commands',
    ].join('\n'),
  );
  return 2;
}

/** `help`, `help <command>`, `<command> --help` and `--help`. */
function help(p: Parsed, out: Out): number {
  if (p.command !== 'help') {
    out.log(p.command ? commandHelp(p.command) : overview());
    return 0;
  }
  if (p.values.help) {
    out.log(commandHelp('help'));
    return 0;
  }
  checkArity('help', p.args);
  const [name] = p.args;
  if (name !== undefined && !Object.hasOwn(COMMANDS, name)) throw unknownCommand(name);
  out.log(name === undefined ? overview() : commandHelp(name));
  return 0;
}

function printResult(result: Result | Result[], json: boolean, out: Out): void {
  const list = Array.isArray(result) ? result : [result];
  out.log(json ? JSON.stringify(Array.isArray(result) && result.length !== 1 ? list : list[0], null, 2) : list.map((r) => r.message).join('\n\n'));
}

/** Starts loading the code `command` runs on: it compiles while git answers the checkout's
 *  questions in processes of its own, instead of after. */
function loadCommand(command: string): Promise<unknown> {
  const modules: Promise<unknown>[] = [command === 'status' ? import('./cli/status.ts') : command === 'images' ? import('./cli/images.ts') : import('./cli/changes.ts')];
  if (command === 'set-image') modules.push(import('./jobs/set-image-plan.ts'), import('./jobs/digests.ts'));
  // an image change is analyzed against its workloads' schemas: the models most of them
  // use (a Deployment's bring the shared Kubernetes definitions, ~650 KB of validators)
  if (command === 'set-image' || command === 'release') modules.push(import('./analysis/schemas.ts').then((m) => m.preloadSchemas(['apps/v1 Deployment'])));
  // a module that fails to load fails where it is imported for use
  return Promise.all(modules).catch(() => undefined);
}

async function execute(p: Parsed & { command: string }, argv: string[], out: Out, deps: MainDeps): Promise<number> {
  const { command, args, values: v } = p;
  // the app takes the same limit from its settings
  setMaxFileSize(parseMaxFileSize(process.env.MAX_FILE_SIZE));
  if (command === 'validate') {
    // read-only and meant for CI checkouts: no lock, no git needed
    const dir = checkoutDir(v);
    const [{ validateCommand }, { directoryFiles }] = await Promise.all([import('./analysis/validate-cli.ts'), import('./manifests/files.ts')]);
    return validateCommand(dir, directoryFiles(dir), { json: Boolean(v.json), format: v.format as string | undefined }, out);
  }
  const timeoutMs = lockTimeoutMs(v);
  const code = loadCommand(command);
  const co = await openCheckout(v, out, commitsChange(command, v), deps.early);
  if (command === 'status') return (await import('./cli/status.ts')).statusCommand(co.ws, v, out, argv, deps);
  if (command === 'images') return (await import('./cli/images.ts')).imagesCommand(co.ws, v, out, argv);
  const lock = await lockCheckout(co.ws, argv, timeoutMs, out);
  // a change begins with git comparing every tracked file: it does so while the code compiles
  if (!v['dry-run']) co.ws.checkCleanSoon({ status: co.early, lockedAtOnce: lock.atOnce });
  let result: Result | Result[];
  try {
    await code;
    const { runChange } = await import('./cli/changes.ts');
    result = await runChange(command, co, args, v, out);
  } finally {
    await lock.release();
  }
  printResult(result, Boolean(v.json), out);
  return 0;
}

// The config module is asked only about an error that may be its own: it brings the
// config schema, which most commands and errors never need.
async function isConfigValidationError(err: BotError): Promise<boolean> {
  if (err.code !== 'CONFIG_INVALID') return false;
  const { ConfigValidationError } = await import('./config/index.ts');
  return err instanceof ConfigValidationError;
}

async function report(err: unknown, p: Parsed, out: Out): Promise<number> {
  if (err instanceof UsageError) return usage(err, p.command, out);
  if (err instanceof AnalysisError) {
    // every finding, one a line: the first names what to fix, the rest what else to
    if (p.values.json) out.log(JSON.stringify({ error: err.code, findings: err.findings }, null, 2));
    const [first, ...rest] = err.message.split('\n');
    out.err([`gitops-canary: ${first}`, ...rest.map((l) => `  ${l}`)].join('\n'));
    return 1;
  }
  // Every config problem at once, one a line: fixing them one run at a time is slow.
  if (err instanceof BotError && (await isConfigValidationError(err))) {
    const [first, ...rest] = err.message.split('\n');
    out.err([`gitops-canary: ${first}`, ...rest.map((l) => `  ${l}`)].join('\n'));
    return 1;
  }
  if (err instanceof BotError) {
    out.err(`gitops-canary: ${err.message.split('\n')[0]}`);
    return 1;
  }
  out.err(`gitops-canary: unexpected error: ${(err as Error).stack ?? String(err)}`);
  return 1;
}

/** What main() is given beside argv: `early`, the clean check and first questions the bin
 *  began for this argv before it loaded the CLI (cli/early.ts); the rest is for tests of
 *  --watch. */
export type MainDeps = WatchDeps & { early?: EarlyCheckout };

/** Runs `gitops-canary <argv>`; resolves to the exit code. */
export async function main(argv: string[], out: Out = consoleOut, deps: MainDeps = {}): Promise<number> {
  if (asksVersion(argv)) {
    out.log(versionLine());
    return 0;
  }
  let parsed: Parsed = { args: [], values: {} };
  try {
    parsed = parseArgv(argv);
    if (parsed.values.help || parsed.command === 'help') return help(parsed, out);
    if (!parsed.command) {
      out.err(overview());
      return 2;
    }
    checkArity(parsed.command, parsed.args);
    return await execute(parsed as Parsed & { command: string }, argv, out, deps);
  } catch (err) {
    return await report(err, parsed, out);
  }
}
