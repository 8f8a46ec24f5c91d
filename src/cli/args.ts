// Reads argv against the command table. Hand-written rather than node:util parseArgs, which
// reads `-5` as an unknown option and cannot say which option was meant: here a negative
// number is a value, and every unknown name comes with the nearest known one.
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { suggestTypo } from '../config/suggest-typo.ts';
import { ALIASES, COMMANDS, OPTIONS, optionsOf, type OptionName } from './table.ts';

/** A usage error (exit 2); `command` is the command it concerns, for the usage line. */
export class CliUsageError extends UsageError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super('USAGE', message);
  }
}

export type Values = Partial<Record<Exclude<OptionName, 'path'>, string | boolean>> & { path?: string[] };

export interface Parsed {
  command?: string;
  args: string[];
  values: Values;
}

/** Whether argv asks for the version: `--version` anywhere before a `--`, whatever else
 *  it holds (main() answers it before parsing the rest). */
export function asksVersion(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--version');
}

/** The checkout a command works in: --repo, else the current directory. */
export function checkoutDir(v: Values): string {
  return path.resolve(String(v.repo ?? '.'));
}

/** Whether `command` commits to the checkout: a change, and not a --dry-run of one. */
export function commitsChange(command: string, v: Values): boolean {
  return Object.hasOwn(COMMANDS, command) && COMMANDS[command].changes && !v['dry-run'];
}

const NUMBER = /^-(\d|\.\d)/;

function spec(name: string): (typeof OPTIONS)[OptionName] | undefined {
  return Object.hasOwn(OPTIONS, name) ? OPTIONS[name as OptionName] : undefined;
}

function longName(token: string): string {
  if (token.startsWith('--')) return token.slice(2).split('=')[0];
  const short = token.slice(1);
  const found = (Object.keys(OPTIONS) as OptionName[]).find((n) => (OPTIONS[n] as { short?: string }).short === short);
  return found ?? '';
}

/** The unknown command's error, with the command meant when one is near. */
export function unknownCommand(name: string): CliUsageError {
  const hint = ALIASES[name] ?? suggestTypo(name, Object.keys(COMMANDS));
  return new CliUsageError(`unknown command "${name}"${hint ? `; did you mean "${hint}"?` : ''}`);
}

function unknownOption(token: string, command: string | undefined): CliUsageError {
  const name = token.startsWith('--') ? token.slice(2).split('=')[0] : token.slice(1);
  const hint = suggestTypo(name, optionsOf(command));
  return new CliUsageError(`unknown option ${token.split('=')[0]}${hint ? `; did you mean --${hint}?` : ''}`, command);
}

/** Splits argv into the command, its arguments and option values, and checks them against
 *  the command table. Throws CliUsageError. */
export function parseArgv(argv: readonly string[]): Parsed {
  const values: Values = {};
  const args: string[] = [];
  let command: string | undefined;
  const seen: Array<{ name: OptionName; token: string }> = [];
  const unknown: Array<{ token: string; at: number }> = [];
  let commandAt = -1;
  const positional = (t: string, at: number) => {
    if (command !== undefined) args.push(t);
    else [command, commandAt] = [t, at];
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      argv.slice(i + 1).forEach((t, j) => positional(t, i + 1 + j));
      break;
    }
    if (!token.startsWith('-') || token === '-' || NUMBER.test(token)) {
      positional(token, i);
      continue;
    }
    const name = longName(token);
    const opt = spec(name);
    if (!opt || (!token.startsWith('--') && token.length !== 2)) {
      // reported once the command is known, with the nearest of its own options
      unknown.push({ token, at: i });
      continue;
    }
    const key = name as OptionName;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    if (!('value' in opt)) {
      if (eq >= 0) throw new CliUsageError(`option --${name} takes no value`, command);
      (values as Record<string, boolean>)[key] = true;
    } else {
      let value: string | undefined;
      if (eq >= 0) value = token.slice(eq + 1);
      else {
        const next = argv[i + 1];
        // `--repo --json` is a forgotten value, not a directory named "--json"
        if (next === undefined || (next.startsWith('-') && next !== '-' && !NUMBER.test(next))) {
          throw new CliUsageError(`option --${name} needs a value (${opt.value})`, command);
        }
        value = next;
        i++;
      }
      if (key === 'path') (values.path ??= []).push(value);
      else (values as Record<string, string>)[key] = value;
    }
    seen.push({ name: key, token });
  }
  if (command !== undefined && !Object.hasOwn(COMMANDS, command)) {
    // `--repoo DIR status`: DIR was the misspelt option's value, not a command
    if (unknown.length > 0 && unknown[0].at < commandAt) throw unknownOption(unknown[0].token, undefined);
    throw unknownCommand(command);
  }
  if (unknown.length > 0) throw unknownOption(unknown[0].token, command);
  // options are read before the command is known (`--repo X status`): check them now
  const allowed = optionsOf(command);
  for (const { name, token } of seen) {
    if (allowed.includes(name)) continue;
    const owners = Object.entries(COMMANDS).filter(([, c]) => c.options.includes(name)).map(([n]) => n);
    const hint = suggestTypo(name, allowed);
    throw new CliUsageError(
      command
        ? `option ${token.split('=')[0]} does not apply to ${command}${hint ? `; did you mean --${hint}?` : owners.length ? ` (it is an option of ${owners.join(', ')})` : ''}`
        : `option ${token.split('=')[0]} needs a command (it is an option of ${owners.join(', ')})`,
      command,
    );
  }
  return { command, args, values };
}

/** Checks the number of arguments of `command` (not `help`, whose argument is checked by name). */
export function checkArity(command: string, args: readonly string[]): void {
  const c = COMMANDS[command];
  if (args.length < c.min) {
    const names = c.args.split(' | ')[0].split(' ').filter((a) => a.startsWith('<'));
    throw new CliUsageError(`${command}: missing ${names.slice(args.length).join(' ') || 'arguments'}`, command);
  }
  if (args.length > c.max) {
    const extra = args.slice(c.max).map((a) => JSON.stringify(a)).join(' ');
    throw new CliUsageError(c.max === 0 ? `${command} takes no arguments, got ${extra}` : `${command}: unexpected argument${args.length - c.max > 1 ? 's' : ''} ${extra} (usage: ${command} ${c.args})`, command);
  }
}
