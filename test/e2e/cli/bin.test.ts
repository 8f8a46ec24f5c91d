// The installed entry point: bin/gitops-canary.mjs runs the TypeScript CLI through tsx
// and turns main()'s return value into the process exit code.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRepo, type ConfigRepo } from '../../helpers/cli.ts';
import { gitEnv } from '../../helpers/git-remote.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/gitops-canary.mjs');

function runBin(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: gitEnv(), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

let repo: ConfigRepo;

beforeAll(async () => {
  repo = await configRepo();
});

afterAll(async () => {
  await repo.cleanup();
});

describe('bin/gitops-canary.mjs', { timeout: 120_000 }, () => {
  it('runs in the checkout (--repo defaults to cwd), commits, and exits with main()\'s code', async () => {
    const status = await runBin(['status'], repo.dir);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toContain('stable 100% / canary 0%');

    // From a subdirectory: the config is found at the top of the checkout.
    const set = await runBin(['set-weight', 'podinfo', '10'], path.join(repo.dir, 'apps'));
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect((await repo.remoteLog())[0].trailers).toMatchObject({ Action: 'set-weight', Weights: 'stable=90,canary=10' });

    const usage = await runBin(['frobnicate'], repo.dir);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown command "frobnicate"');

    const unknown = await runBin(['set-weight', 'nope', '10'], repo.dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toEqual(['gitops-canary: .github/gitops-canary.yml apps.nope: unknown app "nope" (known: podinfo)']);
  });

  it('refuses a change in a dirty checkout, whose clean check it began before loading the CLI', async () => {
    const rel = '.github/gitops-canary.yml';
    const file = path.join(repo.dir, rel);
    const text = await readFile(file, 'utf8');
    const before = (await repo.remoteLog())[0].sha;
    await writeFile(file, `${text}# mine\n`);
    try {
      const set = await runBin(['set-weight', 'podinfo', '20'], repo.dir);
      expect(set.code).toBe(1);
      expect(set.stderr.trim()).toBe(`gitops-canary: ${rel}: working tree has uncommitted changes in ${rel}; commit or stash them first`);
      expect(await readFile(file, 'utf8')).toBe(`${text}# mine\n`);
      expect((await repo.remoteLog())[0].sha).toBe(before);
    } finally {
      await writeFile(file, text);
    }
  });
});
