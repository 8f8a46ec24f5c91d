// Commits the CLI makes are the person's: their git identity (as git itself picks it), their
// repository's signing configuration, and a trailer naming the CLI. The bot's own clones
// keep their fixed identity and never sign, whatever a clone's config says.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Workspace } from '../../../src/git/workspace.ts';
import { packageVersion } from '../../../src/version.ts';
import { configRepo, type ConfigRepo } from '../../helpers/cli.ts';
import { git, gitEnv } from '../../helpers/git-remote.ts';

const VS = 'apps/podinfo/virtual-service.yaml';

let repo: ConfigRepo | undefined;
let keys: string | undefined;

afterEach(async () => {
  vi.unstubAllEnvs();
  await repo?.cleanup();
  repo = undefined;
  if (keys) await rm(keys, { recursive: true, force: true });
  keys = undefined;
});

async function who(dir: string, ref = 'HEAD'): Promise<string> {
  return (await git(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', ref)).trim();
}

/** A signing key and the allowed-signers file that trusts it. */
async function sshKey(email: string): Promise<{ key: string; allowed: string }> {
  keys = await mkdtemp(path.join(os.tmpdir(), 'gcb-sshkey-'));
  const key = path.join(keys, 'id_ed25519');
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', email, '-f', key]);
  const allowed = path.join(keys, 'allowed_signers');
  await writeFile(allowed, `${email} ${(await readFile(`${key}.pub`, 'utf8')).trim()}\n`);
  return { key, allowed };
}

/** git as a person runs it in their checkout: their config, no test overrides. */
async function plainGit(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, { cwd: dir, env: { ...gitEnv(), GIT_CONFIG_GLOBAL: '/dev/null' } });
  return stdout;
}

describe('who the CLI commits as', { timeout: 60_000 }, () => {
  it('the person running it, from their git config, with the CLI named in a trailer', async () => {
    repo = await configRepo();
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(await who(repo.remote.bare, 'main')).toBe('Test User <user@example.com>|Test User <user@example.com>');
    const [head] = await repo.remoteLog();
    expect(head.trailers['Committed-By']).toBe(`gitops-canary CLI ${packageVersion()}`);
    // the trailer joins the bot's trailers in the last paragraph, where git itself reads them
    expect((await git(repo.remote.bare, 'log', '-1', '--format=%(trailers:key=Gitops-Canary-Committed-By,valueonly)', 'main')).trim()).toBe(`gitops-canary CLI ${packageVersion()}`);
    expect((await git(repo.remote.bare, 'log', '-1', '--format=%(trailers:key=Gitops-Canary-App,valueonly)', 'main')).trim()).toBe('podinfo');
  });

  it('GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL name the author as they do for git; the committer stays the configured user', async () => {
    repo = await configRepo();
    vi.stubEnv('GIT_AUTHOR_NAME', 'Env Author');
    vi.stubEnv('GIT_AUTHOR_EMAIL', 'env@example.com');
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(await who(repo.remote.bare, 'main')).toBe('Env Author <env@example.com>|Test User <user@example.com>');
  });

  it('/canary-style commands name the person in their own trailer too', async () => {
    repo = await configRepo();
    expect((await repo.run('pause', 'podinfo')).code).toBe(0);
    const [head] = await repo.remoteLog();
    expect(head.trailers).toMatchObject({ Action: 'pause', 'Requested-By': 'Test User <user@example.com>', 'Committed-By': `gitops-canary CLI ${packageVersion()}` });
    expect(await who(repo.remote.bare, 'main')).toBe('Test User <user@example.com>|Test User <user@example.com>');
  });

  it('without any identity: the bot\'s, with a warning saying how to set one', async () => {
    repo = await configRepo();
    await git(repo.dir, 'config', '--unset', 'user.name');
    await git(repo.dir, 'config', '--unset', 'user.email');
    for (const k of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL']) vi.stubEnv(k, undefined);
    vi.stubEnv('GIT_CONFIG_GLOBAL', '/dev/null');
    vi.stubEnv('GIT_CONFIG_NOSYSTEM', '1');
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.code).toBe(0);
    expect(r.err).toBe('gitops-canary: warning: no git identity (git config user.name and user.email, or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL); committing as gitops-canary[bot]');
    expect(await who(repo.remote.bare, 'main')).toBe('gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>|gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>');
    expect((await repo.remoteLog())[0].trailers['Committed-By']).toMatch(/^gitops-canary CLI /);
    // reading needs nobody: no warning
    expect((await repo.run('status')).err).toBe('');
    expect((await repo.run('set-weight', 'podinfo', '60', '--dry-run')).err).toBe('');
  });
});

describe('signing', { timeout: 60_000 }, () => {
  it('CLI commits are signed as the repository says (ssh), changes, markers and reverts alike', async () => {
    repo = await configRepo();
    const { key, allowed } = await sshKey('user@example.com');
    for (const [k, v] of [['gpg.format', 'ssh'], ['user.signingkey', key], ['commit.gpgsign', 'true'], ['gpg.ssh.allowedSignersFile', allowed]]) await git(repo.dir, 'config', k, v);
    for (const argv of [['set-weight', 'podinfo', '10'], ['pause', 'podinfo'], ['rollback', 'podinfo']]) {
      const r = await repo.run(...argv);
      expect({ argv, code: r.code, err: r.err }).toEqual({ argv, code: 0, err: '' });
      // verified in the person's checkout, with their allowed signers
      await plainGit(repo.dir, 'verify-commit', 'HEAD');
      expect(await plainGit(repo.dir, 'log', '-1', '--show-signature', '--format=%s')).toContain('Good "git" signature for user@example.com');
      expect((await plainGit(repo.dir, 'rev-parse', 'HEAD')).trim()).toBe((await git(repo.remote.bare, 'rev-parse', 'main')).trim());
    }
    expect((await repo.remoteLog()).map((c) => c.trailers.Action)).toEqual(['rollback', 'pause', 'set-weight', undefined]);
  });

  it('a signing failure fails the run and leaves the checkout and the remote as they were', async () => {
    repo = await configRepo();
    for (const [k, v] of [['gpg.format', 'ssh'], ['user.signingkey', path.join(repo.dir, 'no-such-key')], ['commit.gpgsign', 'true']]) await git(repo.dir, 'config', k, v);
    const before = await repo.read(VS);
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^gitops-canary: git commit .*failed/);
    expect(await repo.read(VS)).toBe(before);
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
    expect((await repo.remoteLog()).length).toBe(1);
  });

  it('the bot\'s own clones never sign and keep the bot\'s identity, whatever the clone\'s config says', async () => {
    repo = await configRepo();
    const work = await mkdtemp(path.join(os.tmpdir(), 'gcb-botclone-'));
    try {
      const ws = await Workspace.open({ dir: path.join(work, 'clone'), remoteUrl: repo.remote.url });
      await ws.sync();
      // a signing setup that would fail if it were used
      for (const [k, v] of [['gpg.format', 'ssh'], ['user.signingkey', '/no/such/key'], ['commit.gpgsign', 'true'], ['user.name', 'Someone']]) await git(ws.dir, 'config', k, v);
      await ws.writeFile('extra.txt', 'x\n');
      const sha = await ws.commit({ subject: 'bot change', trailers: { App: 'podinfo' }, files: ['extra.txt'] });
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      expect(await who(ws.dir)).toBe('gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>|gitops-canary[bot] <gitops-canary[bot]@users.noreply.github.com>');
      expect((await git(ws.dir, 'log', '-1', '--format=%G?')).trim()).toBe('N');
      // and no CLI trailer: the bot commits as itself
      expect(await git(ws.dir, 'log', '-1', '--format=%B')).not.toContain('Committed-By');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
