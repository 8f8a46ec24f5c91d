// Another actor pushes to the config repo while the CLI works. The CLI never forces:
// it fast-forwards the user's clean checkout first, and when its push is rejected it
// re-plans on the fresh tree and pushes again.
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configRepo, exampleFiles, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { git } from '../../helpers/git-remote.ts';

const VS = 'apps/podinfo/virtual-service.yaml';
const GA = 'apps/podinfo/ga-dep.yaml';

let repo: ConfigRepo;
let seed: Record<string, string>;

beforeEach(async () => {
  repo = await configRepo();
  seed = await exampleFiles();
});

afterEach(async () => {
  await repo.cleanup();
});

const withTimeout = (text: string) => replaceExactly(text, 'timeout: 30s', 'timeout: 10s');
const withWeights = (text: string, stable: number, canary: number) =>
  replaceExactly(replaceExactly(text, 'weight: 100\n', `weight: ${stable}\n`), 'weight: 0\n', `weight: ${canary}\n`);

/** Makes the user's checkout lose exactly one push race: right after the CLI's first
 *  commit (and before its push), another actor pushes `file` with `text`. */
async function loseOneRace(file: string, text: string): Promise<void> {
  const hook = path.join(repo.dir, '.git', 'hooks', 'post-commit');
  const other = path.join(repo.remote.root, 'other-actor');
  await writeFile(path.join(repo.remote.root, 'race.txt'), text);
  // git runs hooks with GIT_DIR/GIT_INDEX_FILE pointing at the user's clone; the other
  // actor works in its own clone
  await writeFile(
    hook,
    `#!/bin/sh
marker="${repo.remote.root}/raced"
[ -f "$marker" ] && exit 0
touch "$marker"
unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE GIT_PREFIX GIT_EDITOR
set -e
git clone -q "${repo.remote.bare}" "${other}"
cd "${other}"
cp "${repo.remote.root}/race.txt" "${file}"
git -c user.name=Other -c user.email=other@example.com -c core.autocrlf=false commit -q -am 'Other actor'
git push -q origin HEAD:main
`,
  );
  await chmod(hook, 0o755);
}

describe('pushing when the remote moves', { timeout: 90_000 }, () => {
  it('the remote moved before the CLI ran: it fast-forwards, commits on top, both changes present', async () => {
    const theirs = await repo.remote.commitOnRemote({ [VS]: withTimeout(seed[VS]) }, 'Shorter timeout');
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const log = await repo.remoteLog();
    expect(log.map((c) => c.subject)).toEqual(['podinfo: canary weight 0% → 10%', 'Shorter timeout', 'Initial config']);
    expect(log[0].parents).toEqual([theirs]);
    expect((await remoteSnapshot(repo.remote))[VS]).toBe(withWeights(withTimeout(seed[VS]), 90, 10));
    expect((await git(repo.dir, 'rev-parse', 'HEAD')).trim()).toBe(log[0].sha);
  });

  it('a push lost between commit and push is re-planned on the fresh tree and pushed again, never forced', async () => {
    await loseOneRace(VS, withTimeout(seed[VS]));
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const log = await repo.remoteLog();
    expect(log.map((c) => c.subject)).toEqual(['podinfo: canary weight 0% → 10%', 'Other actor', 'Initial config']);
    for (let i = 0; i + 1 < log.length; i++) expect(log[i].parents).toEqual([log[i + 1].sha]);
    // re-planned, not replayed: the bot's commit holds the other actor's bytes too
    expect((await remoteSnapshot(repo.remote))[VS]).toBe(withWeights(withTimeout(seed[VS]), 90, 10));
    // the user's checkout ends on the pushed commit, clean
    expect((await git(repo.dir, 'rev-parse', 'HEAD')).trim()).toBe(log[0].sha);
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
  });

  it('a rollback that loses the race reverts again on the fresh tree', async () => {
    expect((await repo.run('release', 'ghcr.io/example/podinfo:0.1.1')).code).toBe(0);
    await loseOneRace(VS, withTimeout(seed[VS]));
    const r = await repo.run('rollback', 'podinfo');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const log = await repo.remoteLog();
    expect(log.map((c) => c.subject)).toEqual([
      'podinfo: roll back "podinfo: stable 0.1.0 → 0.1.1"',
      'Other actor',
      'podinfo: stable 0.1.0 → 0.1.1',
      'Initial config',
    ]);
    for (let i = 0; i + 1 < log.length; i++) expect(log[i].parents).toEqual([log[i + 1].sha]);
    expect(await remoteSnapshot(repo.remote)).toEqual({ ...seed, [VS]: withTimeout(seed[VS]) });
    expect((await git(repo.dir, 'rev-parse', 'HEAD')).trim()).toBe(log[0].sha);
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
  });

  it('a commit refused by the user\'s pre-commit hook leaves the checkout as it was (exit 1)', async () => {
    const hook = path.join(repo.dir, '.git', 'hooks', 'pre-commit');
    await writeFile(hook, '#!/bin/sh\necho "yamllint: no" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const r = await repo.run('release', 'ghcr.io/example/podinfo:v0.2.1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^gitops-canary: .*commit/);
    expect(await git(repo.dir, 'status', '--porcelain')).toBe('');
    expect(await repo.read('apps/podinfo/canary-dep.yaml')).toBe(seed['apps/podinfo/canary-dep.yaml']);
    expect((await repo.remoteLog()).length).toBe(1);
  });

  it('a checkout without an upstream gets local commits, and rollback works there too', async () => {
    await git(repo.dir, 'remote', 'remove', 'origin');
    const set = await repo.run('set-weight', 'podinfo', '10');
    expect(set.err).toBe('');
    expect(set.code).toBe(0);
    expect(await repo.read(VS)).toBe(withWeights(seed[VS], 90, 10));
    const back = await repo.run('rollback', 'podinfo');
    expect(back.err).toBe('');
    expect(back.code).toBe(0);
    expect(await repo.read(VS)).toBe(seed[VS]);
    expect((await git(repo.dir, 'log', '--format=%s')).split('\n').filter(Boolean)).toEqual([
      'podinfo: roll back "podinfo: canary weight 0% → 10%"',
      'podinfo: canary weight 0% → 10%',
      'Initial config',
    ]);
    expect((await repo.remoteLog()).length).toBe(1);
  });

  it('unpushed commits of the user are refused (exit 1), not pushed and not discarded', async () => {
    await writeFile(path.join(repo.dir, GA), seed[GA].replace('replicas: 2', 'replicas: 3'));
    await git(repo.dir, 'commit', '-q', '-am', 'My local change');
    const mine = (await git(repo.dir, 'rev-parse', 'HEAD')).trim();
    const r = await repo.run('set-weight', 'podinfo', '10');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^gitops-canary: branch main has 1 commit\(s\) not on origin\/main/);
    expect((await git(repo.dir, 'rev-parse', 'HEAD')).trim()).toBe(mine);
    expect((await repo.remoteLog()).length).toBe(1);
  });
});
