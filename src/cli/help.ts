// What `gitops-canary help`, `help <command>` and `<command> --help` print, from the table.
import { COMMANDS, GLOBAL_OPTIONS, OPTIONS, type OptionName } from './table.ts';

const CHANGING = 'Changes (commit in the checkout and push to its upstream):';
const READING = 'Reading:';

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

function optionLabel(name: OptionName): string {
  const o = OPTIONS[name] as { value?: string; short?: string };
  return `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`;
}

/** `usage: gitops-canary set-weight <app> <canary-percent> [options]`. */
export function usageLine(command: string): string {
  const c = COMMANDS[command];
  return `usage: gitops-canary ${command}${c.args ? ` ${c.args}` : ''}${command === 'help' ? '' : ' [options]'}`;
}

/** The command list. */
export function overview(): string {
  const rows = (changes: boolean) =>
    Object.entries(COMMANDS)
      .filter(([, c]) => c.changes === changes)
      .map(([name, c]) => {
        const args = c.brief ?? c.args;
        return `${`  ${name}${args ? ` ${args}` : ''}`.padEnd(36)}${c.summary}`;
      });
  return [
    'usage: gitops-canary <command> [options]',
    '',
    CHANGING,
    ...rows(true),
    READING,
    ...rows(false),
    '',
    `Every command takes ${GLOBAL_OPTIONS.map((o) => `--${o}`).join(', ')}; changes take --json, and all but pause and resume --dry-run.`,
    'Exit codes: 0 done (also "nothing to change"), 1 failed, 2 usage error.',
    'Run "gitops-canary help <command>" (or "gitops-canary <command> --help") for its options and an example.',
  ].join('\n');
}

/** One command's usage, what it does, its options and examples. */
export function commandHelp(command: string): string {
  const c = COMMANDS[command];
  const names = [...c.options, ...GLOBAL_OPTIONS.filter((o) => command !== 'help' || o === 'help')];
  const width = Math.max(...names.map((n) => optionLabel(n).length)) + 4;
  const options = names.flatMap((n) => {
    const [first, ...rest] = wrap(OPTIONS[n].help, 92 - width, '');
    return [`  ${optionLabel(n).padEnd(width - 2)}${first}`, ...rest.map((l) => `${' '.repeat(width)}${l}`)];
  });
  return [usageLine(command), '', ...wrap(c.about, 92, ''), '', 'options:', ...options, '', c.examples.length > 1 ? 'examples:' : 'example:', ...c.examples.map((e) => `  ${e}`)].join('\n');
}
