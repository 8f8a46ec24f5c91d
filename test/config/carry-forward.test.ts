// A tree the bot's own commit made gets the config loaded for its parent's tree once the
// paths the commit may have changed are checked again (src/config/touched.ts): each step
// of a tick makes one. What is carried must be what a fresh load of the new tree gives:
// a commit that writes the config is loaded afresh, and one that turns a named path into
// a symlink out of the repo is refused as a fresh load refuses it.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configWarnings, issueFinding } from '../../src/analysis/config-findings.ts';
import { checkConfigAgainstRepo, loadConfig } from '../../src/config/index.ts';
import { loadConfigAt, parseConfig } from '../../src/config/load.ts';
import { configPathsToCheck } from '../../src/config/touched.ts';
import { ConfigError } from '../../src/errors.ts';
import { Workspace } from '../../src/git/workspace.ts';
import { workspaceFiles } from '../../src/jobs/run.ts';
import { createRemote, type TestRemote } from '../helpers/git-remote.ts';

const CONFIG = `apps:
  web:
    image: ghcr.io/acme/web
    source: acme/web
    tracks:
      stable: { filter: "semver:1.*", paths: ["deploy/web/stable.yaml"] }
      canary: { filter: "semver:2.*", paths: ["deploy/web/canary/*.yaml"] }
    traffic:
      file: deploy/web/vs.yaml
      stable: { subset: ga }
      canary: { subset: canary }
      steps: [10, 50, 100]
`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
    - route:
        - destination: { host: web, subset: ga }
          weight: 100
        - destination: { host: web, subset: canary }
          weight: 0
`;

const dep = (tag: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:${tag}
`;

let remote: TestRemote;
let work: string;

beforeEach(async () => {
  remote = await createRemote({
    files: {
      '.github/gitops-canary.yml': CONFIG,
      'deploy/web/stable.yaml': dep('1.0.0'),
      'deploy/web/canary/dep.yaml': dep('2.0.0'),
      'deploy/web/vs.yaml': VS,
      'deploy/other/notes.yaml': 'x: 1\n',
    },
  });
  work = await mkdtemp(path.join(os.tmpdir(), 'gcb-config-carry-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function commit(ws: Workspace, write: Record<string, string>, link: Record<string, string> = {}): Promise<string> {
  await ws.commitAndPush({
    branch: 'main',
    fetch: false,
    apply: async (w) => {
      for (const [rel, text] of Object.entries(write)) await w.writeFile(rel, text);
      for (const [rel, to] of Object.entries(link)) {
        await rm(path.join(w.dir, rel), { recursive: true, force: true });
        await symlink(to, path.join(w.dir, rel));
      }
      return { subject: 'edit', trailers: { App: 'web' }, files: [...Object.keys(write), ...Object.keys(link)] };
    },
  });
  return (await ws.cleanTree())!;
}

/** loadConfigAt of the tree, beside a fresh load of the same checkout. */
function both(ws: Workspace, tree: string) {
  const carried = loadConfigAt(ws.dir, tree);
  const fresh = loadConfig(ws.dir);
  expect(carried?.config).toEqual(fresh?.config);
  expect(carried?.file).toBe(fresh?.file);
  return carried;
}

async function freshWarnings(ws: Workspace) {
  const loaded = loadConfig(ws.dir)!;
  const issues = await checkConfigAgainstRepo(workspaceFiles(ws), loaded.config, { apps: ['web'], file: loaded.file, lineOf: loaded.lineOf });
  return issues.map((i) => issueFinding(i, 'warning'));
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.code;
    throw err;
  }
  return undefined;
}

describe('a config carried from tree to tree by the bot’s own commits', { timeout: 60_000 }, () => {
  it('is carried past commits that leave the config text as it was, and equals a fresh load', async () => {
    const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
    await ws.sync('main');
    const first = loadConfigAt(ws.dir, await ws.cleanTree());
    expect(first?.config.apps.web.image).toBe('ghcr.io/acme/web');

    // elsewhere in the repo: the same answer, not loaded again
    const t1 = await commit(ws, { 'deploy/other/notes.yaml': 'x: 2\n', 'deploy/other/new.yaml': 'y: 1\n' });
    expect(both(ws, t1)).toBe(first);
    expect(await configWarnings(workspaceFiles(ws), 'web')).toEqual(await freshWarnings(ws));

    // the traffic file the config names, still a file in the repo: checked again, carried
    const t2 = await commit(ws, { 'deploy/web/vs.yaml': VS.replace('weight: 100', 'weight: 90').replace('weight: 0', 'weight: 10') });
    expect(both(ws, t2)).toBe(first);

    // a track file and a file below a glob's directory: the same; the warnings then find
    // the app's image in none of its track files
    const t3 = await commit(ws, { 'deploy/web/stable.yaml': dep('1.0.0').replace('acme/web', 'acme/shop'), 'deploy/web/canary/dep.yaml': dep('2.0.0').replace('acme/web', 'acme/shop') });
    expect(both(ws, t3)).toBe(first);
    const warnings = await configWarnings(workspaceFiles(ws), 'web');
    expect(warnings).toEqual(await freshWarnings(ws));
    expect(warnings.map((w) => w.code)).toContain('CONFIG_IMAGE_NOT_IN_TRACKS');

    // the config itself: its new text
    const t4 = await commit(ws, { '.github/gitops-canary.yml': CONFIG.replace('ghcr.io/acme/web', 'ghcr.io/acme/shop') });
    expect(both(ws, t4)?.config.apps.web.image).toBe('ghcr.io/acme/shop');
  });

  it('is checked afresh when a commit turns a named path into a symlink out of the repo', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'gcb-outside-'));
    try {
      const ws = await Workspace.open({ dir: path.join(work, 'c'), remoteUrl: remote.url });
      await ws.sync('main');
      expect(loadConfigAt(ws.dir, await ws.cleanTree())).not.toBeNull();
      const tree = await commit(ws, {}, { 'deploy/web/stable.yaml': path.join(outside, 'stable.yaml') });
      expect(code(() => loadConfig(ws.dir))).toBe('CONFIG_PATH_OUTSIDE');
      expect(code(() => loadConfigAt(ws.dir, tree))).toBe('CONFIG_PATH_OUTSIDE');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('which config paths a change may answer differently', () => {
  const config = parseConfig(CONFIG);
  const rels = (changed: string[]) => configPathsToCheck(config, changed)?.map(([rel]) => rel).sort();
  it.each([
    [['deploy/web/vs.yaml'], ['deploy/web/vs.yaml'], 'a named file'],
    [['deploy/web/stable.yaml'], ['deploy/web/stable.yaml'], 'a track path'],
    [['deploy'], ['deploy/web/canary/*.yaml', 'deploy/web/stable.yaml', 'deploy/web/vs.yaml'], 'a directory above named paths, now a file or a link'],
    [['deploy/web/canary/x.yaml'], ['deploy/web/canary/*.yaml'], 'a file below a glob’s directory'],
    [['deploy/web/canary'], ['deploy/web/canary/*.yaml'], 'a glob’s directory itself'],
    [['deploy/web/vs.yaml.bak', 'deploy/webx', 'deploy/other/notes.yaml', 'README.md'], [], 'names that only start alike, and elsewhere'],
    [['deploy/web/other.yaml'], [], 'a sibling of named files'],
    [[], [], 'nothing'],
  ])('%j: %j (%s)', (changed, expected) => {
    expect(rels(changed)).toEqual(expected);
  });

  it.each([['.github/gitops-canary.yml'], ['.github/gitops-canary.yaml'], ['.github']])('%s: the config is loaded afresh', (changed) => {
    expect(configPathsToCheck(config, [changed])).toBeNull();
    expect(configPathsToCheck(null, [changed])).toBeNull();
  });

  it('without a config, only the config names count', () => {
    expect(configPathsToCheck(null, ['deploy/web/vs.yaml'])).toEqual([]);
  });

  it('a path spelt so it cannot be compared, or a glob at the root, is checked after any change', () => {
    const odd = parseConfig(CONFIG.replace('deploy/web/stable.yaml', './deploy/web/stable.yaml'));
    expect(configPathsToCheck(odd, ['README.md'])?.map(([rel]) => rel)).toEqual(['./deploy/web/stable.yaml']);
    const root = parseConfig(CONFIG.replace('deploy/web/canary/*.yaml', '*.yaml'));
    expect(configPathsToCheck(root, ['README.md'])?.map(([rel]) => rel)).toEqual(['*.yaml']);
    expect(configPathsToCheck(root, [])).toEqual([]);
  });
});
