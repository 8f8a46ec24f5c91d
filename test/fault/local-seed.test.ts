// The local config repo is bare. Processes starting together on a missing one seed it
// once; a repo made by older versions (a checkout taking pushes with updateInstead,
// possibly wedged by a lost push race) becomes bare with all of its history, and its old
// checkout stays beside it as a clone, its files untouched.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bareCopyOf } from '../../src/git/init.ts';
import { ensureLocalConfigRepo, EXAMPLE_DIR } from '../../src/local/seed.ts';
import type { SeedLog } from '../../src/local/migrate.ts';
import { releasePayload } from '../github-double/index.ts';
import { postWebhook } from '../helpers/app.ts';
import { startBotProcess } from '../helpers/bot-process.ts';
import { git } from '../helpers/git-remote.ts';

const execFileP = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(ROOT, 'test/helpers/seed-child.mjs');
const GA = 'apps/podinfo/ga-dep.yaml';
let dir: string;
let repo: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gcb-seed-'));
  repo = path.join(dir, 'config-repo');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (p: string) => stat(p).then(() => true, () => false);

function capture(): SeedLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (_o, m) => void lines.push(`info: ${m}`), warn: (_o, m) => void lines.push(`warn: ${m}`) };
}

/** A config repo as versions before the bare layout made it, with history the bot made
 *  (pushes into the checked-out branch), a tag and a side branch. */
async function oldStyleRepo(): Promise<void> {
  await cp(EXAMPLE_DIR, repo, { recursive: true });
  await git(repo, 'init', '-q', '--initial-branch=main');
  await git(repo, 'config', 'receive.denyCurrentBranch', 'updateInstead');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'Seed the podinfo example config repo');
  const bot = path.join(dir, 'bot-clone');
  await git(dir, 'clone', '-q', repo, bot);
  for (const tag of ['0.1.1', '0.1.2']) {
    const text = (await readFile(path.join(bot, GA), 'utf8')).replace(/podinfo:0\.1\.\d/, `podinfo:${tag}`);
    await writeFile(path.join(bot, GA), text);
    await git(bot, 'commit', '-q', '-am', `podinfo: stable → ${tag}`, '-m', `Gitops-Canary-Tag: ${tag}`);
    await git(bot, 'push', '-q', 'origin', 'HEAD:main');
  }
  await git(repo, 'tag', 'before-bare');
  await git(repo, 'branch', 'side', 'HEAD~1');
  await rm(bot, { recursive: true, force: true });
}

/** What a lost push race left in older versions: index and files of another commit
 *  than HEAD (here: the stable tag back at 0.1.1, staged). */
async function wedge(): Promise<void> {
  const text = (await readFile(path.join(repo, GA), 'utf8')).replace('podinfo:0.1.2', 'podinfo:0.1.1');
  await writeFile(path.join(repo, GA), text);
  await git(repo, 'add', GA);
}

describe('the local config repo', { timeout: 60_000 }, () => {
  it('is seeded once, bare, when three processes start on a missing one together', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => execFileP(process.execPath, [CHILD, repo], { cwd: ROOT })));
    const results = runs.map((r) => JSON.parse(r.stdout) as { created: boolean });
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await git(repo, 'rev-parse', '--is-bare-repository')).trim()).toBe('true');
    expect(await git(repo, 'log', '--format=%s')).toBe('Seed the podinfo example config repo\n');
    expect(await git(repo, 'show', `HEAD:${GA}`)).toBe(await readFile(path.join(EXAMPLE_DIR, GA), 'utf8'));
    await git(repo, 'fsck', '--no-progress');
    // nothing staged beside it is left over
    expect(await Promise.all(['.lock', '.new', '.seed'].map((s) => exists(`${repo}${s}`)))).toEqual([false, false, false]);
  });

  it('made by an older version and wedged: becomes bare with its whole history; the old checkout is a clone beside it', async () => {
    await oldStyleRepo();
    const head = (await git(repo, 'rev-parse', 'HEAD')).trim();
    const refs = await git(repo, 'for-each-ref', '--format=%(refname) %(objectname)');
    await wedge();

    const log = capture();
    const result = await ensureLocalConfigRepo(repo, { log });
    const workTree = `${repo}-checkout`;
    expect(result).toEqual({ created: false, migrated: { workTree, dirty: [GA] } });
    expect(log.lines[0]).toBe(`info: the local config repo ${repo} is now a bare repository with all of its history; the old checkout moved to ${workTree} and is a clone of it (git -C ${workTree} pull)`);
    expect(log.lines[1]).toMatch(new RegExp(`^warn: ${workTree} has uncommitted changes in ${GA} .*git -C ${workTree} reset --hard @\\{upstream\\}$`));

    // every ref, at the same commit; HEAD on main
    expect((await git(repo, 'rev-parse', '--is-bare-repository')).trim()).toBe('true');
    expect(await git(repo, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(refs);
    expect((await git(repo, 'rev-parse', 'HEAD')).trim()).toBe(head);
    expect((await git(repo, 'symbolic-ref', 'HEAD')).trim()).toBe('refs/heads/main');
    await git(repo, 'fsck', '--no-progress');
    // the old checkout keeps its files and index (never thrown away), tracks the bare repo
    // and takes no pushes any more
    expect(await git(workTree, 'diff', '--cached', '--name-only')).toBe(`${GA}\n`);
    expect((await git(workTree, 'rev-parse', '@{upstream}')).trim()).toBe(head);
    expect(await git(workTree, 'config', '--get', 'receive.denyCurrentBranch').catch(() => 'unset')).toBe('unset');

    // a second start finds a bare repo and has nothing to say
    const again = capture();
    expect(await ensureLocalConfigRepo(repo, { log: again })).toEqual({ created: false });
    expect(again.lines).toEqual([]);
  });

  it('made by an older version: the bot works on it after migrating, and the old checkout can pull what it committed', async () => {
    await oldStyleRepo();
    const secret = 'seed-secret';
    const bot = await startBotProcess({ LOCAL_CONFIG_REPO: repo, WORK_DIR: path.join(dir, 'work'), LOCAL_SOURCES: path.join(dir, 'sources'), WEBHOOK_SECRET: secret, RECONCILE_INTERVAL: '0' });
    try {
      await bot.healthy();
      expect(bot.output()).toContain(`the local config repo ${repo} is now a bare repository with all of its history`);
      const r = await postWebhook(bot.base, 'release', releasePayload({ owner: 'example', repo: 'podinfo', installationId: 1, tag: 'v0.2.1' }), { secret });
      expect(r.status).toBe(200);
    } finally {
      await bot.stop();
    }
    expect(await git(repo, 'log', '--format=%s')).toMatch(/^podinfo: canary 0\.2\.0 → 0\.2\.1.*\npodinfo: stable → 0\.1\.2\npodinfo: stable → 0\.1\.1\nSeed the podinfo example config repo\n$/s);
    const workTree = `${repo}-checkout`;
    await git(workTree, 'pull', '-q', '--ff-only');
    expect(await readFile(path.join(workTree, 'apps/podinfo/canary-dep.yaml'), 'utf8')).toContain('podinfo:0.2.1');
    expect(await git(workTree, 'status', '--porcelain')).toBe('');
  });

  it('resumes a migration that stopped between moving the checkout away and the bare repo into place', async () => {
    await oldStyleRepo();
    const head = (await git(repo, 'rev-parse', 'HEAD')).trim();
    // the state a stop at that moment leaves: the bare copy staged, the checkout moved
    await bareCopyOf(repo, `${repo}.new`);
    await git(`${repo}.new`, 'config', 'gitops-canary.oldWorkTree', `${repo}-checkout`);
    await rename(repo, `${repo}-checkout`);

    const result = await ensureLocalConfigRepo(repo, { log: capture() });
    expect(result).toEqual({ created: false, migrated: { workTree: `${repo}-checkout`, dirty: [] } });
    expect((await git(repo, 'rev-parse', 'HEAD')).trim()).toBe(head);
    expect((await git(`${repo}-checkout`, 'rev-parse', '@{upstream}')).trim()).toBe(head);
    expect(await exists(`${repo}.new`)).toBe(false);
  });

  it('refuses a directory that holds files but no repository', async () => {
    await mkdir(repo);
    await writeFile(path.join(repo, 'notes.txt'), 'mine\n');
    await expect(ensureLocalConfigRepo(repo, { log: capture() })).rejects.toMatchObject({ code: 'LOCAL_CONFIG_REPO_NOT_GIT' });
    expect(await readFile(path.join(repo, 'notes.txt'), 'utf8')).toBe('mine\n');
  });
});
