// The Flux image policies of a new tree are carried from the tree searched before: only
// the files the policy screen re-checked between the two are read again (scan.ts). The
// carried answer must be what a fresh search of the tree finds, after commits that add,
// change, delete and rename policy files, break and mend them, and mention the kinds only
// in comments: in the bot (its own commits, known without git), in a checkout committed
// to by hand (`git diff-tree` names the changes) and in the CLI (a cold process per step,
// starting from what the last one kept on disk).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { forgetScreens } from '../../src/git/screen-cache.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { workspaceFiles } from '../../src/jobs/run.ts';
import type { RepoFiles } from '../../src/manifests/files.ts';
import { forgetFluxTrees, loadFluxPolicies } from '../../src/manifests/scan.ts';
import { closeTreeStores, flushStores, persistentRepo } from '../../src/manifests/tree-store.ts';
import { createRemote, git, type TestRemote } from '../helpers/git-remote.ts';

const API = 'image.toolkit.fluxcd.io/v1beta2';

function repository(name: string, image: string, ns?: string): string {
  return `apiVersion: ${API}\nkind: ImageRepository\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  image: ${image}\n`;
}

function policy(name: string, repo: string, range: string, ns?: string): string {
  return `apiVersion: ${API}\nkind: ImagePolicy\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  imageRepositoryRef:\n    name: ${repo}\n  policy:\n    semver:\n      range: "${range}"\n`;
}

const INITIAL: Record<string, string> = {
  // the same policy id twice: the first file in path order wins
  'clusters/a/flux.yaml': `${repository('podinfo', 'ghcr.io/acme/podinfo')}---\n${policy('podinfo', 'podinfo', '>=1.0.0')}`,
  'clusters/z/flux.yaml': `${repository('podinfo', 'ghcr.io/acme/podinfo-z')}---\n${policy('podinfo', 'podinfo', '>=9.0.0')}`,
  'clusters/b/policy.yaml': policy('other', 'other', '~2.1', 'apps'),
  'clusters/b/repos.yaml': repository('other', 'ghcr.io/acme/other', 'apps'),
  'clusters/broken.yaml': 'kind: ImagePolicy\nspec: [unclosed\n',
  'apps/commented.yaml': '# the ImagePolicy for this lives in clusters/\nimage: ghcr.io/acme/podinfo:1.0.0 # {"$imagepolicy": "flux-system:podinfo"}\n',
  'apps/plain.yaml': 'image: ghcr.io/acme/other:2.1.0\n',
  'README.md': 'ImagePolicy objects live in clusters/\n',
};

type Edit = Record<string, string | null>;

/** Each step: the files it writes (null removes). */
const STEPS: Edit[] = [
  { 'clusters/a/flux.yaml': `${repository('podinfo', 'ghcr.io/acme/podinfo')}---\n${policy('podinfo', 'podinfo', '>=1.2.0')}` },
  { 'clusters/c/new.yaml': `${repository('web', 'ghcr.io/acme/web', 'web')}---\n${policy('web', 'web', '^3', 'web')}` },
  { 'clusters/b/policy.yaml': null },
  // renamed: the duplicate in clusters/z now comes first
  { 'clusters/a/flux.yaml': null, 'clusters/zz/flux.yaml': `${repository('podinfo', 'ghcr.io/acme/podinfo')}---\n${policy('podinfo', 'podinfo', '>=1.2.0')}` },
  // the kinds only in comments, gained and lost
  { 'apps/plain.yaml': '# see the ImageRepository in clusters/b\nimage: ghcr.io/acme/other:2.1.0\n', 'apps/commented.yaml': 'image: ghcr.io/acme/podinfo:1.0.0\n' },
  // mended, and another broken
  { 'clusters/broken.yaml': policy('mended', 'other', '>=0', 'apps'), 'clusters/b/repos.yaml': `${repository('other', 'ghcr.io/acme/other', 'apps')}---\nkind: ImageRepository\n  bad: [\n` },
  // renamed with its content, and a policy file written with the bytes it had
  { 'clusters/c/new.yaml': null, 'clusters/d/moved.yaml': `${repository('web', 'ghcr.io/acme/web', 'web')}---\n${policy('web', 'web', '^3', 'web')}`, 'clusters/z/flux.yaml': INITIAL['clusters/z/flux.yaml'] },
  // no longer a policy file, and a policy file that no longer names the kinds
  { 'clusters/zz/flux.yaml': 'kind: ConfigMap\n', 'clusters/d/moved.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' },
];

const dirs: string[] = [];
const remotes: TestRemote[] = [];

afterAll(async () => {
  for (const r of remotes) await r.cleanup();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function writeFiles(dir: string, files: Edit): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    if (text === null) await rm(path.join(dir, rel));
    else {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
  }
}

async function localRepo(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flux-carry-'));
  dirs.push(dir);
  await git(dir, 'init', '-q', '-b', 'main');
  await writeFiles(dir, INITIAL);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

async function commitByHand(dir: string, edit: Edit): Promise<void> {
  await writeFiles(dir, edit);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '--allow-empty', '-m', 'change');
}

/** A reader of `ws` that records which files it reads. */
function counted(ws: Workspace, reads: string[]): RepoFiles {
  const files = workspaceFiles(ws);
  return { ...files, read: (rel) => (reads.push(rel), files.read(rel)) };
}

/** What a search of the files as they are finds, with nothing carried: no tree to carry to. */
async function fresh(ws: Workspace): Promise<Awaited<ReturnType<typeof loadFluxPolicies>>> {
  return loadFluxPolicies({ root: ws.dir, list: () => ws.listFiles(), read: (rel) => ws.readFile(rel), grep: (tokens) => ws.grep(tokens) });
}

/** The files a step can have changed that the policy search still has to look at. */
const written = (edit: Edit) => Object.keys(edit);

async function agreeAfterEachStep(ws: Workspace, commit: (edit: Edit) => Promise<void>, load: (reads: string[]) => Promise<Awaited<ReturnType<typeof loadFluxPolicies>>>): Promise<void> {
  const first = await load([]);
  expect(first).toEqual(await fresh(ws));
  expect(first.policies.size).toBeGreaterThan(0);
  expect(first.skipped.map((s) => s.file)).toEqual(['clusters/broken.yaml']);
  for (const edit of STEPS) {
    await commit(edit);
    const reads: string[] = [];
    const carried = await load(reads);
    expect(carried).toEqual(await fresh(ws));
    // carried, not searched afresh: only files the step wrote were read again
    expect(written(edit)).toEqual(expect.arrayContaining(reads));
  }
}

describe('Flux policies carried from tree to tree', { timeout: 60_000 }, () => {
  it("agree with a fresh search after the bot's own commits", async () => {
    forgetScreens();
    forgetFluxTrees();
    const remote = await createRemote({ files: INITIAL });
    remotes.push(remote);
    const work = await mkdtemp(path.join(os.tmpdir(), 'flux-carry-bot-'));
    dirs.push(work);
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const commit = async (edit: Edit) => {
      await ws.commitAndPush({
        branch: 'main',
        fetch: false,
        apply: async (w) => {
          for (const [rel, text] of Object.entries(edit)) {
            if (text === null) await w.removeFile(rel);
            else await w.writeFile(rel, text);
          }
          return { subject: 'edit', trailers: { App: 'a' }, files: Object.keys(edit) };
        },
      });
    };
    await agreeAfterEachStep(ws, commit, (reads) => loadFluxPolicies(counted(ws, reads)));
  });

  it('agree with a fresh search after commits made by hand', async () => {
    forgetScreens();
    forgetFluxTrees();
    const dir = await localRepo();
    const ws = await Workspace.local(dir);
    await agreeAfterEachStep(ws, (edit) => commitByHand(dir, edit), (reads) => loadFluxPolicies(counted(ws, reads)));
  });

  it('agree with a fresh search in the CLI, each run a new process starting from what the last one kept', async () => {
    const dir = await localRepo();
    const ws = await Workspace.local(dir);
    const cold = async (reads: string[]) => {
      closeTreeStores();
      forgetScreens();
      forgetFluxTrees();
      const repo = persistentRepo(counted(await Workspace.local(dir), reads));
      const found = await loadFluxPolicies(repo);
      await flushStores(repo);
      return found;
    };
    await agreeAfterEachStep(ws, (edit) => commitByHand(dir, edit), cold);
  });

  it('never takes a kept record pointing one file at the objects of another', async () => {
    const dir = await localRepo();
    const ws = await Workspace.local(dir);
    const cold = async () => {
      closeTreeStores();
      forgetScreens();
      forgetFluxTrees();
      const repo = persistentRepo(workspaceFiles(await Workspace.local(dir)));
      const found = await loadFluxPolicies(repo);
      await flushStores(repo);
      return found;
    };
    await cold();
    const file = path.join(dir, '.git/gitops-canary/content.v8');
    const stored = deserialize(await readFile(file)) as { sections: { fluxTree: Record<string, { files: Array<[string, string]> }> } };
    const record = stored.sections.fluxTree[''];
    const key = (rel: string) => record.files.find(([r]) => r === rel)![1];
    // clusters/b/policy.yaml said to hold what clusters/b/repos.yaml holds
    record.files = record.files.map(([rel, k]) => [rel, rel === 'clusters/b/policy.yaml' ? key('clusters/b/repos.yaml') : k]);
    await writeFile(file, serialize(stored));
    await commitByHand(dir, STEPS[0]);
    expect(await cold()).toEqual(await fresh(ws));
  });
});
