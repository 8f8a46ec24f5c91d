// A config repo with many apps, each in a rollout situation of its own (baking, due,
// paused, held, promoted, a merged PR step, a proposal waiting for its merge, gates, a
// branch of its own), their commits interleaved in a given order: what a repo-level
// scheduler tick reads at once. Commits carry the trailers the bot writes, dated by
// GIT_COMMITTER_DATE so bakes are exact.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatMessage } from '../../../src/git/trailers.ts';
import { createRemote, gitEnv, type TestRemote } from '../../helpers/git-remote.ts';
import { exampleFiles } from './fixture.ts';

const execFileP = promisify(execFile);

export const SCENARIOS = ['none', 'baking', 'due', 'paused', 'held', 'promoted', 'skip-bake', 'merged', 'pending', 'gates-pass', 'gates-fail', 'branch'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The tick's clock: ten minutes after the apps that are baking were released. */
export const NOW = new Date('2030-01-01T00:10:00Z');
const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;
const OTHER_BRANCH = 'env/prod';

export interface Fleet {
  remote: TestRemote;
  apps: Array<{ app: string; scenario: Scenario }>;
}

const appName = (scenario: Scenario, i: number) => `${scenario}-${i}`;
/** Where an app's VirtualService is. */
export const vsFile = (app: string) => `apps/${app}/virtual-service.yaml`;

/** The example's VirtualService, named for `app`, with these weights. */
export function virtualService(app: string, stable: number, canary: number): string {
  return exampleFiles()['apps/podinfo/virtual-service.yaml']
    .replace('name: podinfo\n', `name: ${app}\n`)
    .replace(/subset: ga\n(\s+)weight: \d+/, `subset: ga\n$1weight: ${stable}`)
    .replace(/subset: canary\n(\s+)weight: \d+/, `subset: canary\n$1weight: ${canary}`);
}

/** One app's lines of the config: podinfo's tracks, its VirtualService, a bake of an hour,
 *  no approval; `gateFailures`: a Prometheus gate that rolls back after that many. */
export function appConfigLines(
  app: string,
  opts: { delivery?: 'commit' | 'pull-request'; branch?: string; steps?: ReadonlyArray<number | string>; gateFailures?: number } = {},
): string[] {
  return [
    `  ${app}:`,
    '    image: ghcr.io/example/podinfo',
    `    source: example/${app}`,
    '    tracks:',
    '      stable: { filter: "semver:0.1.*", paths: ["apps/podinfo/ga-dep.yaml"] }',
    '      canary: { filter: "semver:0.2.*", paths: ["apps/podinfo/canary-dep.yaml"] }',
    '    traffic:',
    `      file: ${vsFile(app)}`,
    '      stable: { subset: ga }',
    '      canary: { subset: canary }',
    `    delivery: ${opts.delivery ?? 'commit'}`,
    ...(opts.branch !== undefined ? [`    branch: ${opts.branch}`] : []),
    '    rollout:',
    `      steps: [${(opts.steps ?? [10, 50, 100]).join(', ')}]`,
    '      bake: 1h',
    '      approval: none',
    '      promote: true',
    ...(opts.gateFailures !== undefined
      ? ['      gates:', '        prometheus: { url: "http://127.0.0.1:9" }', `        failures: ${opts.gateFailures}`, '        checks:', '          - { name: success-rate, query: "sum(ok)", min: 0.99 }']
      : []),
  ];
}

function appConfig(app: string, scenario: Scenario): string[] {
  return appConfigLines(app, {
    delivery: scenario === 'pending' ? 'pull-request' : 'commit',
    ...(scenario === 'branch' ? { branch: OTHER_BRANCH } : {}),
    ...(scenario.startsWith('gates-') ? { gateFailures: 3 } : {}),
  });
}

interface Step {
  trailers: Record<string, string>;
  at: number;
  /** A PR branch merged into main: this commit on the side line, merged at `mergedAt`. */
  mergedAt?: number;
  files?: Record<string, string>;
}

const release = (app: string, at: number): Step => ({ at, trailers: { App: app, Action: 'release', Track: 'canary', Tag: '0.2.1', Step: '1/3', At: new Date(at).toISOString() } });

function history(app: string, scenario: Scenario): Step[] {
  const marker = (action: string, at: number, extra: Record<string, string> = {}): Step => ({ at, trailers: { App: app, Action: action, ...extra } });
  switch (scenario) {
    case 'none':
    case 'branch':
      return [];
    case 'baking':
      return [release(app, T0)];
    case 'due':
    case 'pending':
    case 'gates-pass':
    case 'gates-fail':
      return [release(app, T0 - 2 * HOUR)];
    case 'paused':
      return [release(app, T0 - 2 * HOUR), marker('pause', T0 - HOUR, { Paused: 'alice' })];
    case 'held':
      return [release(app, T0 - 2 * HOUR), marker('hold', T0 - HOUR, { Hold: '0.2.1' })];
    case 'promoted':
      return [release(app, T0 - 3 * HOUR), { ...marker('promote', T0 - HOUR, { Tag: '0.2.1' }), files: { [vsFile(app)]: virtualService(app, 100, 0) } }];
    case 'skip-bake':
      return [release(app, T0), marker('skip-bake', T0 + 60_000)];
    case 'merged':
      return [
        release(app, T0 - 3 * HOUR),
        { ...marker('set-weight', T0 - 2 * HOUR, { Tag: '0.2.1', Step: '2/3' }), mergedAt: T0 - 30 * 60_000, files: { [vsFile(app)]: virtualService(app, 50, 50) } },
      ];
  }
}

async function git(dir: string, args: string[], at?: number, input?: string): Promise<string> {
  const date = at === undefined ? {} : { GIT_COMMITTER_DATE: new Date(at).toISOString(), GIT_AUTHOR_DATE: new Date(at).toISOString() };
  const child = execFileP('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: { ...gitEnv(), ...date } });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
}

/** `n` commits of other apps' steps on `branch` of the repository at `dir`, each a
 *  second after `at`, changing no file: made at once with `git fast-import`, so a
 *  history longer than the depth the tick reads costs little to build. */
export async function otherAppsCommit(dir: string, n: number, at: number, branch = 'main'): Promise<void> {
  const chunks: string[] = [];
  for (let i = 0; i < n; i++) {
    const when = at + (i + 1) * 1000;
    const message = formatMessage({
      subject: `other-${i % 97}: step 2/3`,
      trailers: { App: `other-${i % 97}`, Action: 'set-weight', Track: 'canary', Tag: '1.0.0', Step: '2/3', At: new Date(when).toISOString() },
    });
    chunks.push(`commit refs/heads/${branch}\ncommitter Other Actor <other@example.com> ${Math.floor(when / 1000)} +0000\n`);
    chunks.push(`data ${Buffer.byteLength(message)}\n${message}\n`);
    if (i === 0) chunks.push(`from refs/heads/${branch}^0\n`);
    chunks.push('\n');
  }
  const child = execFileP('git', ['fast-import', '--quiet'], { cwd: dir, env: gitEnv() });
  child.child.stdin?.end(chunks.join(''));
  await child;
}

/** `scenarios[i]` is the situation of app i; `order` picks, one commit at a time, whose
 *  history goes on next (indexes wrap; what is left goes on at the end, app by app).
 *  `othersAfter`: that many commits of other apps follow on main. */
export async function buildFleet(scenarios: readonly Scenario[], order: readonly number[], opts: { othersAfter?: number } = {}): Promise<Fleet> {
  const apps = scenarios.map((scenario, i) => ({ app: appName(scenario, i), scenario }));
  const base = exampleFiles();
  const files: Record<string, string> = { ...base, '.github/gitops-canary.yml': ['apps:', ...apps.flatMap((a) => appConfig(a.app, a.scenario)), ''].join('\n') };
  for (const a of apps) files[vsFile(a.app)] = virtualService(a.app, a.scenario === 'none' ? 100 : 90, a.scenario === 'none' ? 0 : 10);
  const remote = await createRemote({ files });
  const dir = await remote.clone();
  const commit = async (s: Step, extra: string[] = []) => {
    if (s.files) await writeFiles(dir, s.files);
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-q', '--allow-empty', ...extra, '-F', '-'], s.at, formatMessage({ subject: `${s.trailers.App}: ${s.trailers.Action}`, trailers: s.trailers }));
  };

  const pending = apps.map((a) => history(a.app, a.scenario));
  const next = async (i: number) => {
    const s = pending[i].shift();
    if (!s) return;
    if (s.mergedAt === undefined) return commit(s);
    await git(dir, ['checkout', '-q', '-b', `pr-${i}`]);
    await commit(s);
    await git(dir, ['checkout', '-q', 'main']);
    await git(dir, ['merge', '-q', '--no-ff', '-m', `Merge pull request: ${s.trailers.App} ${s.trailers.Step}`, `pr-${i}`], s.mergedAt);
  };
  for (const i of order) if (apps.length > 0) await next(i % apps.length);
  for (let i = 0; i < apps.length; i++) while (pending[i].length > 0) await next(i);
  if (opts.othersAfter) await otherAppsCommit(dir, opts.othersAfter, T0 + 5 * 60_000);
  await git(dir, ['push', '-q', 'origin', 'main']);

  for (const a of apps) {
    if (a.scenario === 'pending') {
      // the next step proposed on the app's traffic branch, not merged
      await git(dir, ['checkout', '-q', '-b', `gitops-canary/${a.app}/traffic`, 'main']);
      await commit({ at: T0 - HOUR, files: { [vsFile(a.app)]: virtualService(a.app, 50, 50) }, trailers: { App: a.app, Action: 'set-weight', Track: 'canary', Tag: '0.2.1', Step: '2/3' } });
      await git(dir, ['push', '-q', 'origin', `gitops-canary/${a.app}/traffic`]);
      await git(dir, ['checkout', '-q', 'main']);
    }
  }
  if (apps.some((a) => a.scenario === 'branch')) {
    await git(dir, ['checkout', '-q', '-b', OTHER_BRANCH, 'main']);
    for (const a of apps) if (a.scenario === 'branch') await commit(release(a.app, T0));
    await git(dir, ['push', '-q', 'origin', OTHER_BRANCH]);
  }
  return { remote, apps };
}

/** `app`'s canary weight on the remote's main. */
export async function canaryOnMain(fleet: Fleet, app: string): Promise<number> {
  const text = await fleet.remote.readOnRemote(vsFile(app));
  if (text === null) throw new Error(`${vsFile(app)} is not on main`);
  return Number(/subset: canary\n\s+weight: (\d+)/.exec(text)?.[1]);
}
