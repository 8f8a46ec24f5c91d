// Exit codes and error messages: 2 for usage, 1 for errors with one line naming the
// file and field, and nothing half-written on the remote or in the checkout.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, configRepo, exampleFiles, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';

const CONFIG = '.github/gitops-canary.yml';
const VS = 'apps/podinfo/virtual-service.yaml';

let repo: ConfigRepo | undefined;

afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

async function untouched(r: ConfigRepo, seed: Record<string, string>): Promise<void> {
  expect(await remoteSnapshot(r.remote)).toEqual(seed);
  expect((await r.remoteLog()).length).toBe(1);
  expect(await git(r.dir, 'status', '--porcelain')).toBe('');
}

function oneLine(err: string): string {
  expect(err.split('\n')).toHaveLength(1);
  expect(err).toMatch(/^gitops-canary: /);
  return err;
}

describe('CLI exit codes and errors', { timeout: 60_000 }, () => {
  it('usage errors exit 2 with the usage text and change nothing', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    const cases: string[][] = [
      [],
      ['frobnicate'],
      ['status', '--bogus'],
      ['set-weight'],
      ['set-weight', 'podinfo'],
      ['set-weight', 'podinfo', 'ten'],
      ['set-weight', 'podinfo', '101'],
      ['release'],
      ['set-image', 'ghcr.io/example/podinfo'],
      ['rollback'],
    ];
    for (const argv of cases) {
      const r = await repo.run(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      // the command's own usage line when the command is known, else the general one
      const known = argv[0] !== undefined && argv[0] !== 'frobnicate';
      expect(r.err).toContain(known ? `usage: gitops-canary ${argv[0]} ` : 'usage: gitops-canary <command>');
      expect(r.out).toBe('');
    }
    // a flag missing its value is a usage error too (no --repo appended here)
    expect((await cli(['status', '--repo'])).code).toBe(2);
    expect((await cli(['--help'])).code).toBe(0);
    await untouched(repo, seed);
  });

  it('an unknown app exits 1 with one line naming the config file and field', async () => {
    repo = await configRepo();
    const r = await repo.run('set-weight', 'nope', '10');
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toContain(`${CONFIG} apps.nope: unknown app "nope" (known: podinfo)`);
    await untouched(repo, await exampleFiles());
  });

  it('malformed config YAML exits 1 naming file:line, for every command that reads it', async () => {
    const seed = await exampleFiles();
    const broken = replaceExactly(seed[CONFIG], '    delivery: commit\n', '    delivery: [commit\n');
    repo = await configRepo({ ...seed, [CONFIG]: broken });
    const line = broken.split('\n').findIndex((l) => l.includes('[commit')) + 1;
    for (const argv of [['status'], ['set-weight', 'podinfo', '10'], ['release', 'ghcr.io/example/podinfo:0.2.1']]) {
      const r = await repo.run(...argv);
      expect(r.code).toBe(1);
      expect(oneLine(r.err)).toMatch(new RegExp(`^gitops-canary: ${CONFIG.replace(/\./g, '\\.')}:(${line}|${line + 1}): `));
    }
    await untouched(repo, { ...seed, [CONFIG]: broken });
  });

  it('a config naming a traffic file that does not parse exits 1 naming file:line and writes nothing', async () => {
    const seed = await exampleFiles();
    const broken = replaceExactly(seed[VS], '      timeout: 30s\n', '      timeout: [30s\n');
    repo = await configRepo({ ...seed, [VS]: broken });
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toMatch(/^gitops-canary: apps\/podinfo\/virtual-service\.yaml:\d+: invalid YAML/);
    await untouched(repo, { ...seed, [VS]: broken });
  });

  it('a manifest that does not parse is reported in skipped and left byte-identical; other files still change', async () => {
    const seed = await exampleFiles();
    const broken = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  image: ghcr.io/example/podinfo:0.2.0\n    oops: [\n';
    repo = await configRepo({ ...seed, 'apps/podinfo/broken.yaml': broken });
    const r = await repo.run('set-image', 'ghcr.io/example/podinfo:0.3.0', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('committed');
    expect(result.plan.skipped).toEqual([expect.objectContaining({ file: 'apps/podinfo/broken.yaml', code: 'PARSE_YAML', reason: expect.stringMatching(/^apps\/podinfo\/broken\.yaml:\d+: invalid YAML/) })]);
    const after = await remoteSnapshot(repo.remote);
    expect(after['apps/podinfo/broken.yaml']).toBe(broken);
    expect(after['apps/podinfo/ga-dep.yaml']).toBe(replaceExactly(seed['apps/podinfo/ga-dep.yaml'], 'podinfo:0.1.0 ', 'podinfo:0.3.0 '));
    expect(after['apps/podinfo/canary-dep.yaml']).toBe(replaceExactly(seed['apps/podinfo/canary-dep.yaml'], 'podinfo:0.2.0 ', 'podinfo:0.3.0 '));
    // the commit message lists the skipped file too, for whoever reads the history
    expect((await repo.remoteLog())[0].message).toMatch(/Skipped:\n- apps\/podinfo\/broken\.yaml:\d+: invalid YAML/);
    expect(await repo.changed((await repo.remoteLog())[0].sha)).toEqual(['apps/podinfo/canary-dep.yaml', 'apps/podinfo/ga-dep.yaml']);
  });

  it('a bad tag is an error naming the reference, and changes nothing', async () => {
    repo = await configRepo();
    const seed = await exampleFiles();
    for (const argv of [
      ['release', 'podinfo:bad tag!'],
      ['release', 'ghcr.io/example/podinfo:bad tag!'],
      ['set-image', 'ghcr.io/example/podinfo:-bad'],
      ['release', 'ghcr.io/example/podinfo:.hidden'],
    ]) {
      const r = await repo.run(...argv);
      expect({ argv, failed: r.code !== 0 }).toEqual({ argv, failed: true });
      expect(r.err.split('\n')[0]).toMatch(/^gitops-canary: .*(tag|image reference)/);
      expect(r.out).toBe('');
    }
    await untouched(repo, seed);
  });

  it('an image no app uses, or a source that is not the app\'s, exits 1 naming the config file', async () => {
    repo = await configRepo();
    const other = await repo.run('release', 'ghcr.io/example/other:1.0.0');
    expect(other.code).toBe(1);
    expect(oneLine(other.err)).toContain(`${CONFIG}: no app uses image ghcr.io/example/other`);
    const source = await repo.run('release', 'ghcr.io/example/podinfo:0.2.1', '--source', 'mallory/podinfo');
    expect(source.code).toBe(1);
    expect(oneLine(source.err)).toContain(`${CONFIG}: mallory/podinfo is not the source of any app`);
    await untouched(repo, await exampleFiles());
  });

  it('uncommitted work in the checkout is refused (exit 1 naming the file) and kept as it is', async () => {
    repo = await configRepo();
    const mine = 'apiVersion: v1\nkind: Service\nmetadata: {name: podinfo, namespace: test}\n';
    await writeFile(path.join(repo.dir, 'apps/podinfo/service.yaml'), mine);
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toContain('apps/podinfo/service.yaml: working tree has uncommitted changes');
    expect(await repo.read('apps/podinfo/service.yaml')).toBe(mine);
    expect(await repo.read(VS)).toBe((await exampleFiles())[VS]);
    expect((await repo.remoteLog()).length).toBe(1);
  });

  it('a directory that is not a git repository exits 1', async () => {
    const r = await cli(['status', '--repo', os.tmpdir()]);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toContain('is not inside a git repository');
  });

  it('rollback with nothing to roll back exits 1 and says so', async () => {
    repo = await configRepo();
    const r = await repo.run('rollback', 'podinfo');
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toContain('no change by the bot for app "podinfo" is left to roll back');
  });
});
