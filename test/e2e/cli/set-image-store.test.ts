// set-image in a cold process keeps the Flux image policies it derived on disk (per tree,
// and per policy file content: src/manifests/tree-store.ts), as status does, and the files
// its searches found (src/manifests/kept-screens.ts). Kept or
// derived afresh, the answer must be the same: each run below happens in two identical
// checkouts, one keeping its store and one whose store is removed before every run, and
// both must push the same files; so must the `git grep` results it keeps (a commit adding
// a reference the kept search never saw). A marker naming a policy whose id shares nothing with
// the image moves only when the policies are right. The last test counts the git
// processes one run spawns, through a `git` on PATH that logs each call.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRepo, remoteSnapshot, replaceExactly, type ConfigRepo } from '../../helpers/cli.ts';
import { git, gitEnv } from '../../helpers/git-remote.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CHILD = path.join(ROOT, 'test/helpers/cli-child.mjs');

const POLICIES = 'clusters/prod/image-automation.yaml';
const VALUES = 'apps/shop/values.yaml';
const DEPLOY = 'apps/shop/deploy.yaml';
const IMAGE = 'ghcr.io/acme/storefront';

const automation = (image: string) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: shop
  namespace: apps
spec:
  image: ${image}
  interval: 5m0s
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: shop-prod
  namespace: apps
spec:
  imageRepositoryRef:
    name: shop
  policy:
    semver:
      range: 1.x
`;

const FILES: Record<string, string> = {
  [POLICIES]: automation(IMAGE),
  // only the policy says which image this tag is of: the file never names it
  [VALUES]: `replicaCount: 2
image:
  tag: 1.0.0 # {"$imagepolicy": "apps:shop-prod:tag"}
`,
  [DEPLOY]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: storefront
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${IMAGE}:1.0.0
`,
};

interface ChildRun {
  code: number;
  out: string;
  err: string;
  store: { hits: number; misses: number };
}

function child(args: string[], env: NodeJS.ProcessEnv = gitEnv()): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, ...args], { cwd: ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as ChildRun);
    });
  });
}

const storeOf = (r: ConfigRepo) => path.join(r.dir, '.git/gitops-canary');

let kept: ConfigRepo;
let fresh: ConfigRepo;

/** The same set-image in both checkouts; `fresh` never finds a store. */
async function both(...args: string[]): Promise<{ kept: ChildRun; fresh: ChildRun }> {
  const k = await child([...args, '--repo', kept.dir]);
  await rm(storeOf(fresh), { recursive: true, force: true });
  const f = await child([...args, '--repo', fresh.dir]);
  return { kept: k, fresh: f };
}

beforeAll(async () => {
  [kept, fresh] = await Promise.all([configRepo(FILES), configRepo(FILES)]);
});

afterAll(async () => {
  await Promise.all([kept?.cleanup(), fresh?.cleanup()]);
});

describe('set-image with the policies kept on disk', { timeout: 180_000 }, () => {
  it('plans and commits what a run without the store does, on the same tree and after a commit', async () => {
    // a dry run on the first tree: derived afresh and kept
    const first = await both('set-image', `${IMAGE}:1.0.1`, '--dry-run', '--json');
    expect(first.kept.code).toBe(0);
    expect(first.kept.store.misses).toBeGreaterThan(0);
    expect(first.kept.out).toBe(first.fresh.out);
    expect(JSON.parse(first.kept.out).plan.edits.map((e: { file: string }) => e.file).sort()).toEqual([DEPLOY, VALUES]);

    // the commit on the same tree takes the policies from the store, and nothing else
    const commit = await both('set-image', `${IMAGE}:1.0.1`);
    expect(commit.kept).toMatchObject({ code: 0, err: '', store: { hits: 1, misses: 0 } });
    expect(commit.kept.out.replace(/committed \w+/, '')).toBe(commit.fresh.out.replace(/committed \w+/, ''));
    const after = await remoteSnapshot(kept.remote);
    expect(after).toEqual(await remoteSnapshot(fresh.remote));
    expect(after[VALUES]).toBe(replaceExactly(FILES[VALUES], 'tag: 1.0.0', 'tag: 1.0.1'));
    expect(after[DEPLOY]).toBe(replaceExactly(FILES[DEPLOY], ':1.0.0', ':1.0.1'));

    // a new tree: the policy file's answer is kept by its content, so nothing is parsed again
    const next = await both('set-image', `${IMAGE}:1.0.2`);
    expect(next.kept.code).toBe(0);
    expect(next.kept.store.hits).toBeGreaterThan(0);
    expect(await remoteSnapshot(kept.remote)).toEqual(await remoteSnapshot(fresh.remote));
    expect((await remoteSnapshot(kept.remote))[VALUES]).toContain('tag: 1.0.2 #');
  });

  it('reads a policy changed by a commit again instead of believing the store', async () => {
    // the policy now follows another image: the marker is no longer this image's
    for (const r of [kept, fresh]) await r.remote.commitOnRemote({ [POLICIES]: automation('ghcr.io/acme/other') }, 'shop follows another image');
    const before = await remoteSnapshot(kept.remote);
    const run = await both('set-image', `${IMAGE}:1.0.3`);
    expect(run.kept.code).toBe(0);
    expect(run.kept.out.replace(/committed \w+/, '')).toBe(run.fresh.out.replace(/committed \w+/, ''));
    const after = await remoteSnapshot(kept.remote);
    expect(after).toEqual(await remoteSnapshot(fresh.remote));
    expect(after[DEPLOY]).toContain(`${IMAGE}:1.0.3`);
    expect(after[VALUES]).toBe(before[VALUES]);
  });

  it('finds a reference a commit added, and leaves one a commit removed, though the search was kept', async () => {
    // the kept checkout searched its tree in the runs above; this commit lands after them
    const added = 'apps/shop/worker.yaml';
    const worker = replaceExactly(replaceExactly(FILES[DEPLOY], 'name: storefront', 'name: storefront-worker'), `${IMAGE}:1.0.0`, `${IMAGE}:1.0.3`);
    const gone = replaceExactly(FILES[DEPLOY], `${IMAGE}:1.0.0`, 'ghcr.io/acme/elsewhere:1.0.0');
    for (const r of [kept, fresh]) await r.remote.commitOnRemote({ [added]: worker, [DEPLOY]: gone }, 'a worker; the web moves to another image');
    const run = await both('set-image', `${IMAGE}:1.0.4`);
    expect(run.kept.code, run.kept.err).toBe(0);
    expect(run.kept.out.replace(/committed \w+/, '')).toBe(run.fresh.out.replace(/committed \w+/, ''));
    const after = await remoteSnapshot(kept.remote);
    expect(after).toEqual(await remoteSnapshot(fresh.remote));
    expect(after[added]).toBe(replaceExactly(worker, ':1.0.3', ':1.0.4'));
    expect(after[DEPLOY]).toBe(gone);
  });
});

/** The first `git` on PATH that is not `skip`. */
function realGit(skip: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || path.resolve(dir) === skip) continue;
    const candidate = path.join(dir, 'git');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error('no git on PATH');
}

describe('the git processes of one set-image', { timeout: 120_000 }, () => {
  it('in a checkout without an upstream, on a tree seen before: no screen of the tree, seven short processes', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'gcb-git-count-'));
    try {
      const dir = path.join(scratch, 'config');
      await git(scratch, 'init', '-q', '--initial-branch=main', dir);
      for (const [rel, text] of Object.entries(FILES)) {
        await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
        await writeFile(path.join(dir, rel), text);
      }
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '-q', '-m', 'config');
      const logged = await loggingGit(scratch);
      const planned = await child(['set-image', `${IMAGE}:1.0.1`, '--dry-run', '--repo', dir], logged.env);
      expect(planned.code).toBe(0);
      await logged.clear();
      const run = await child(['set-image', `${IMAGE}:1.0.1`, '--repo', dir], logged.env);
      expect(run).toMatchObject({ code: 0, err: '' });
      expect(run.out).toContain('committed');
      expect(await readFile(path.join(dir, VALUES), 'utf8')).toContain('tag: 1.0.1 #');

      const calls = await logged.calls();
      const named = (sub: string) => calls.filter((argv) => subcommand(argv) === sub);
      // the Flux policies and the image's screen came from the store: no search at all
      expect(named('grep')).toHaveLength(0);
      // nothing starts `git maintenance` behind the run's back
      for (const argv of calls) expect(argv).toContain('maintenance.auto=false');
      // 19 before a screen was kept, 12 before HEAD, its tree and the branch came with the
      // open and the clean check, and the config with one call: config, rev-parse,
      // status, update-index, then the commit: with no hook, signing or operation in
      // progress for `git commit` to honour, written by plumbing (plain-commit.ts) instead
      // of `git commit` comparing every file with the index; and with the index file as
      // the clean check left it, no diff-index asks what else is staged (index-stamp.ts).
      // The first three run at once: the clean check begins as the checkout is opened,
      // before its lock is taken (early-status.ts), and no second one follows.
      const subs = calls.map(subcommand);
      expect([...subs.slice(0, 3)].sort()).toEqual(['config', 'rev-parse', 'status']);
      expect(subs.slice(3)).toEqual(['update-index', 'write-tree', 'commit-tree', 'update-ref']);
      expect(named('status')[0]).toContain('--no-optional-locks');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('in a checkout whose upstream the fetch finds where HEAD is: no count of commits, no reset', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'gcb-git-count-'));
    const repo = await configRepo(FILES);
    try {
      const logged = await loggingGit(scratch);
      const run = await child(['set-image', `${IMAGE}:1.0.1`, '--repo', repo.dir], logged.env);
      expect(run).toMatchObject({ code: 0, err: '' });
      expect(run.out).toContain('committed');
      expect(await repo.remote.readOnRemote(VALUES, 'main')).toContain('tag: 1.0.1 #');
      expect((await git(repo.dir, 'status', '--porcelain')).trim()).toBe('');
      const subs = (await logged.calls()).map(subcommand);
      // the remote branch is where the clean check found HEAD: a reset to it would compare
      // every file with the index again (a person who pushed meanwhile, or unpushed
      // commits of their own, take the reset or the refusal: push-race.test.ts)
      expect(subs.filter((s) => s === 'fetch')).toHaveLength(1);
      expect(subs.filter((s) => s === 'push')).toHaveLength(1);
      expect(subs.filter((s) => s === 'reset' || s === 'rev-list')).toEqual([]);
    } finally {
      await repo.cleanup();
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

/** A `git` in `scratch`/bin, first on the PATH of `env`, that logs each call (its arguments
 *  split by \x1f, one call a line) in front of the real one. */
async function loggingGit(scratch: string): Promise<{ env: NodeJS.ProcessEnv; clear(): Promise<void>; calls(): Promise<string[][]> }> {
  const bin = path.join(scratch, 'bin');
  const log = path.join(scratch, 'git-calls.log');
  await mkdir(bin);
  const real = realGit(bin);
  await writeFile(path.join(bin, 'git'), `#!/bin/sh\n{ printf '%s\\037' "$@"; printf '\\n'; } >> '${log}'\nexec '${real}' "$@"\n`);
  await chmod(path.join(bin, 'git'), 0o755);
  return {
    env: { ...gitEnv(), PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    clear: () => rm(log, { force: true }),
    calls: async () =>
      (await readFile(log, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\x1f').slice(0, -1)),
  };
}

/** The subcommand of a logged call, after the `-c key=value` settings every call carries
 *  (and git's own options: the clean check's --no-optional-locks). */
function subcommand(argv: string[]): string | undefined {
  return argv.find((a, i) => a !== '-c' && argv[i - 1] !== '-c' && !a.startsWith('--'));
}
