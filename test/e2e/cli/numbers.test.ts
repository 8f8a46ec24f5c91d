// Numbers on the command line: a negative number is a value the command judges, not an
// unknown option, and a number out of range says what range it must be in. Exit 2, nothing
// changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, type ConfigRepo } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';

let repo: ConfigRepo;

beforeAll(async () => {
  repo = await configRepo();
});

afterAll(async () => {
  await repo.cleanup();
});

async function firstLine(...argv: string[]): Promise<string> {
  const r = await repo.run(...argv);
  expect({ argv, code: r.code, out: r.out }).toEqual({ argv, code: 2, out: '' });
  return r.err.split('\n')[0];
}

describe('numbers on the command line', { timeout: 60_000 }, () => {
  it('set-weight judges its weight, negative or not', async () => {
    for (const w of ['-5', '101', 'ten', '10.5', '-0']) {
      expect(await firstLine('set-weight', 'podinfo', w)).toBe(`gitops-canary: canary weight must be an integer from 0 to 100, got ${w}`);
    }
  });

  it('options with numbers say what they take', async () => {
    expect(await firstLine('status', '--lock-timeout', '-5')).toBe('gitops-canary: --lock-timeout must be a number of seconds, 0 or more, got "-5"');
    expect(await firstLine('status', '--watch', '--interval', '0')).toBe('gitops-canary: --interval must be a duration such as 5s, 500ms or 1m (a bare number is seconds), more than 0, got "0"');
    expect(await firstLine('status', '--watch', '--interval', '-1s')).toMatch(/--interval must be a duration .* got "-1s"$/);
    expect(await firstLine('status', '--watch', '--interval', '5 min')).toMatch(/--interval must be a duration .* got "5 min"$/);
    expect(await firstLine('status', '--watch', '--count', '0')).toBe('gitops-canary: --count must be a whole number, 1 or more, got "0"');
    expect(await firstLine('status', '--count', '2')).toBe('gitops-canary: --interval and --count go with --watch');
  });

  it('changed nothing', async () => {
    expect(await remoteSnapshot(repo.remote)).toEqual(await exampleFiles());
    expect((await repo.remoteLog()).length).toBe(1);
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
  });
});
