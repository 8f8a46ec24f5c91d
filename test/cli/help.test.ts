// `help`, `help <command>`, `<command> --help` and usage errors, through main(): what a
// person sees, on the right stream, with the right exit code.
import { describe, expect, it } from 'vitest';
import { COMMANDS, OPTIONS, type OptionName } from '../../src/cli/table.ts';
import { cli } from '../helpers/cli.ts';

describe('gitops-canary help', () => {
  it('lists every command with its summary, on stdout, exit 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const r = await cli(argv);
      expect(r).toMatchObject({ code: 0, err: '' });
      for (const [name, c] of Object.entries(COMMANDS)) expect(r.out).toMatch(new RegExp(`^  ${name}\\b.*${c.summary.replace(/[()[\]|.^$*+?]/g, '\\$&')}$`, 'm'));
    }
  });

  it('prints a command\'s usage, description, options and example for help <command> and <command> --help alike', async () => {
    for (const [name, c] of Object.entries(COMMANDS)) {
      const viaHelp = await cli(['help', name]);
      expect(viaHelp).toMatchObject({ code: 0, err: '' });
      expect((await cli([name, '--help'])).out).toBe(viaHelp.out);
      const lines = viaHelp.out.split('\n');
      expect(lines[0]).toBe(`usage: gitops-canary ${name}${c.args ? ` ${c.args}` : ''}${name === 'help' ? '' : ' [options]'}`);
      expect(viaHelp.out).toContain('\noptions:\n');
      expect(viaHelp.out).toMatch(/\nexamples?:\n {2}gitops-canary /);
      for (const o of c.options as OptionName[]) expect(viaHelp.out).toContain(`--${o}${'value' in OPTIONS[o] ? ` ${OPTIONS[o].value}` : ''}`);
    }
    const sw = (await cli(['set-weight', '--help'])).out;
    expect(sw).toContain('--dry-run');
    expect(sw).toContain('gitops-canary set-weight podinfo 10');
    const status = (await cli(['help', 'status'])).out;
    for (const o of ['--watch', '--interval DURATION', '--count N', '--json']) expect(status).toContain(o);
  });

  it('suggests the command meant, exit 2, stdout empty', async () => {
    expect(await cli(['help', 'promte'])).toEqual({
      code: 2,
      out: '',
      err: 'gitops-canary: unknown command "promte"; did you mean "promote"?\nusage: gitops-canary <command> [options]\nrun "gitops-canary help" for the commands',
    });
    const r = await cli(['promte', 'podinfo']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('gitops-canary: unknown command "promte"; did you mean "promote"?');
  });

  it('answers a usage error with the command\'s own usage line and where to read more', async () => {
    const r = await cli(['set-weight', 'podinfo', '10', '--dryrun']);
    expect(r).toEqual({
      code: 2,
      out: '',
      err: 'gitops-canary: unknown option --dryrun; did you mean --dry-run?\nusage: gitops-canary set-weight <app> <canary-percent> [options]\nrun "gitops-canary help set-weight" for its options and an example',
    });
  });

  it('without a command prints the command list on stderr, exit 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('usage: gitops-canary <command> [options]');
    expect(r.err).toContain('  promote [app]');
  });

  it('--version wins over everything before `--`', async () => {
    expect((await cli(['promte', '--version'])).code).toBe(0);
    expect((await cli(['help', '--version'])).out).toMatch(/^gitops-canary \d+\.\d+\.\d+/);
  });
});
