// The argument parser on its own: negative numbers are values, every unknown name comes
// with the nearest known one, and options are checked against the command they go with.
import { describe, expect, it } from 'vitest';
import { CliUsageError, checkArity, parseArgv } from '../../src/cli/args.ts';
import { COMMANDS, OPTIONS } from '../../src/cli/table.ts';

function usageError(argv: string[]): string {
  try {
    parseArgv(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliUsageError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe('parseArgv', () => {
  it('reads the command, its arguments and options in any order', () => {
    expect(parseArgv(['--repo', '/r', 'set-weight', 'podinfo', '10', '--dry-run'])).toEqual({
      command: 'set-weight',
      args: ['podinfo', '10'],
      values: { repo: '/r', 'dry-run': true },
    });
    expect(parseArgv(['set-image', 'x:1', '--path=a/*', '--path', 'b/*']).values.path).toEqual(['a/*', 'b/*']);
    expect(parseArgv(['status', '-h']).values.help).toBe(true);
  });

  it('reads a negative number as a value, never as an option', () => {
    expect(parseArgv(['set-weight', 'podinfo', '-5'])).toMatchObject({ command: 'set-weight', args: ['podinfo', '-5'] });
    expect(parseArgv(['set-weight', 'podinfo', '-0.5']).args).toEqual(['podinfo', '-0.5']);
    expect(parseArgv(['status', '--lock-timeout', '-5']).values['lock-timeout']).toBe('-5');
    // `--` ends the options: whatever follows is an argument
    expect(parseArgv(['ab', 'podinfo', 'query', 'q', '=', '--', '--x']).args).toEqual(['podinfo', 'query', 'q', '=', '--x']);
  });

  it('names the option or command meant when one is near', () => {
    expect(usageError(['set-weight', 'podinfo', '10', '--dryrun'])).toBe('unknown option --dryrun; did you mean --dry-run?');
    expect(usageError(['promte', 'podinfo'])).toBe('unknown command "promte"; did you mean "promote"?');
    expect(usageError(['weight', 'podinfo', '10'])).toBe('unknown command "weight"; did you mean "set-weight"?');
    expect(usageError(['frobnicate'])).toBe('unknown command "frobnicate"');
    expect(usageError(['status', '--jsn'])).toBe('unknown option --jsn; did you mean --json?');
    expect(usageError(['status', '--jsno'])).toBe('unknown option --jsno; did you mean --json?');
    expect(usageError(['status', '-x'])).toBe('unknown option -x');
    // a misspelt option before the command took the command's place as its value
    expect(usageError(['--repoo', '/r', 'status'])).toBe('unknown option --repoo; did you mean --repo?');
  });

  it('refuses an option of another command, naming the commands it belongs to', () => {
    expect(usageError(['status', '--dry-run'])).toMatch(/^option --dry-run does not apply to status \(it is an option of set-image, release, set-weight, /);
    expect(usageError(['set-weight', 'podinfo', '10', '--format', 'github'])).toBe('option --format does not apply to set-weight (it is an option of validate)');
  });

  it('says when a value is missing or not wanted', () => {
    expect(usageError(['status', '--repo'])).toBe('option --repo needs a value (DIR)');
    expect(usageError(['status', '--repo', '--json'])).toBe('option --repo needs a value (DIR)');
    expect(usageError(['status', '--json=yes'])).toBe('option --json takes no value');
  });
});

describe('checkArity', () => {
  it('names the missing arguments and the extra ones', () => {
    const message = (cmd: string, args: string[]) => {
      try {
        checkArity(cmd, args);
        return 'ok';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(message('set-weight', ['podinfo'])).toBe('set-weight: missing <canary-percent>');
    expect(message('set-weight', [])).toBe('set-weight: missing <app> <canary-percent>');
    expect(message('status', ['x'])).toBe('status takes no arguments, got "x"');
    expect(message('pause', ['a', 'b'])).toBe('pause: unexpected argument "b" (usage: pause <app>)');
    expect(message('promote', [])).toBe('ok');
    expect(message('ab', ['podinfo', 'off'])).toBe('ok');
  });
});

describe('the command table', () => {
  it('gives every command a summary, a description and an example that parses', () => {
    for (const [name, c] of Object.entries(COMMANDS)) {
      expect(c.summary, name).not.toBe('');
      expect(c.about, name).not.toBe('');
      expect(c.examples.length, name).toBeGreaterThan(0);
      for (const example of c.examples) {
        // the shell's quoting, as a person would type it
        const argv = [...example.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1);
        const parsed = parseArgv(argv);
        expect(parsed.command, example).toBe(name);
        checkArity(name, parsed.args);
      }
      for (const o of c.options) expect(OPTIONS, `${name} --${o}`).toHaveProperty(o);
    }
  });
});
