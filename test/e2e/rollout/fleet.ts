// A config repo with many apps, each in a rollout situation of its own (baking, due,
// paused, held, promoted, a merged PR step, a proposal waiting for its merge, gates, a
// branch of its own), their commits interleaved in a given order: what a repo-level
// scheduler tick reads at once. Commits carry the trailers the bot writes, dated by
// GIT_COMMITTER_DATE so bakes are exact.
import { execFile } from 'node:child_process';
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

/** A commit of the stream: on `ref`, dated `at` (author and committer, as
 *  GIT_COMMITTER_DATE dated them), with `files` written; `mark` names it for a merge. */
function streamCommit(ref: string, at: number, message: string, opts: { files?: Record<string, string>; from?: string; merge?: string; mark?: number } = {}): string {
  // as `git commit` leaves a message: no trailing blank space, one final newline
  const text = `${message.replace(/\s+$/, '')}\n`;
  const when = `${Math.floor(at / 1000)} +0000`;
  const out = [`commit ${ref}\n`, opts.mark ? `mark :${opts.mark}\n` : '', `author Other Actor <other@example.com> ${when}\n`, `committer Other Actor <other@example.com> ${when}\n`, `data ${Buffer.byteLength(text)}\n${text}\n`];
  if (opts.from) out.push(`from ${opts.from}\n`);
  if (opts.merge) out.push(`merge ${opts.merge}\n`);
  for (const [rel, body] of Object.entries(opts.files ?? {})) out.push(`M 100644 inline ${rel}\ndata ${Buffer.byteLength(body)}\n${body}\n`);
  out.push('\n');
  return out.join('');
}

const stepMessage = (s: Step) => formatMessage({ subject: `${s.trailers.App}: ${s.trailers.Action}`, trailers: s.trailers });

/** Feeds `stream` to `git fast-import` in the repository at `dir`. */
async function fastImport(dir: string, stream: string): Promise<void> {
  const child = execFileP('git', ['fast-import', '--quiet'], { cwd: dir, env: gitEnv() });
  child.child.stdin?.end(stream);
  await child;
}

/** `fromRepo`: the first commit starts from the branch as the repository has it (else the
 *  stream goes on from its own last commit on the branch). */
function otherAppsStream(n: number, at: number, branch: string, fromRepo = true): string {
  const chunks: string[] = [];
  for (let i = 0; i < n; i++) {
    const when = at + (i + 1) * 1000;
    const message = formatMessage({
      subject: `other-${i % 97}: step 2/3`,
      trailers: { App: `other-${i % 97}`, Action: 'set-weight', Track: 'canary', Tag: '1.0.0', Step: '2/3', At: new Date(when).toISOString() },
    });
    chunks.push(`commit refs/heads/${branch}\ncommitter Other Actor <other@example.com> ${Math.floor(when / 1000)} +0000\n`);
    chunks.push(`data ${Buffer.byteLength(message)}\n${message}\n`);
    if (i === 0 && fromRepo) chunks.push(`from refs/heads/${branch}^0\n`);
    chunks.push('\n');
  }
  return chunks.join('');
}

/** `n` commits of other apps' steps on `branch` of the repository at `dir`, each a
 *  second after `at`, changing no file: made at once with `git fast-import`, so a
 *  history longer than the depth the tick reads costs little to build. */
export async function otherAppsCommit(dir: string, n: number, at: number, branch = 'main'): Promise<void> {
  await fastImport(dir, otherAppsStream(n, at, branch));
}

/** `scenarios[i]` is the situation of app i; `order` picks, one commit at a time, whose
 *  history goes on next (indexes wrap; what is left goes on at the end, app by app).
 *  `othersAfter`: that many commits of other apps follow on main. The whole history is
 *  one `git fast-import` stream into the remote (a clone, add and commit per step were
 *  some 180 git processes for a fleet of every scenario). */
export async function buildFleet(scenarios: readonly Scenario[], order: readonly number[], opts: { othersAfter?: number } = {}): Promise<Fleet> {
  const apps = scenarios.map((scenario, i) => ({ app: appName(scenario, i), scenario }));
  const base = exampleFiles();
  const files: Record<string, string> = { ...base, '.github/gitops-canary.yml': ['apps:', ...apps.flatMap((a) => appConfig(a.app, a.scenario)), ''].join('\n') };
  for (const a of apps) files[vsFile(a.app)] = virtualService(a.app, a.scenario === 'none' ? 100 : 90, a.scenario === 'none' ? 0 : 10);
  const remote = await createRemote({ files });
  const stream: string[] = [];
  // the first commit on main names where it starts; fast-import follows the branch after
  let onMain = false;
  const fromMain = () => (onMain ? undefined : ((onMain = true), 'refs/heads/main^0'));
  let marks = 0;

  const pending = apps.map((a) => history(a.app, a.scenario));
  const next = (i: number) => {
    const s = pending[i].shift();
    if (!s) return;
    const from = fromMain();
    if (s.mergedAt === undefined) {
      stream.push(streamCommit('refs/heads/main', s.at, stepMessage(s), { files: s.files, from }));
      return;
    }
    // the step on a PR branch off main, merged with --no-ff (fast-import merges no trees:
    // the merge writes the step's files on main's, all the merge would change); the
    // branch is not kept
    const mark = ++marks;
    stream.push(streamCommit(`refs/heads/pr-${i}`, s.at, stepMessage(s), { files: s.files, from: 'refs/heads/main', mark }));
    stream.push(streamCommit('refs/heads/main', s.mergedAt, `Merge pull request: ${s.trailers.App} ${s.trailers.Step}`, { files: s.files, from, merge: `:${mark}` }));
    stream.push(`reset refs/heads/pr-${i}\n\n`);
  };
  for (const i of order) if (apps.length > 0) next(i % apps.length);
  for (let i = 0; i < apps.length; i++) while (pending[i].length > 0) next(i);
  if (opts.othersAfter) stream.push(otherAppsStream(opts.othersAfter, T0 + 5 * 60_000, 'main', fromMain() !== undefined));

  for (const a of apps) {
    // the next step proposed on the app's traffic branch, not merged
    if (a.scenario !== 'pending') continue;
    const s: Step = { at: T0 - HOUR, trailers: { App: a.app, Action: 'set-weight', Track: 'canary', Tag: '0.2.1', Step: '2/3' } };
    stream.push(streamCommit(`refs/heads/gitops-canary/${a.app}/traffic`, s.at, stepMessage(s), { files: { [vsFile(a.app)]: virtualService(a.app, 50, 50) }, from: 'refs/heads/main' }));
  }
  let other = false;
  for (const a of apps) {
    if (a.scenario !== 'branch') continue;
    const s = release(a.app, T0);
    stream.push(streamCommit(`refs/heads/${OTHER_BRANCH}`, s.at, stepMessage(s), { from: other ? undefined : 'refs/heads/main' }));
    other = true;
  }
  await fastImport(remote.bare, stream.join(''));
  return { remote, apps };
}

/** `app`'s canary weight on the remote's main. */
export async function canaryOnMain(fleet: Fleet, app: string): Promise<number> {
  const text = await fleet.remote.readOnRemote(vsFile(app));
  if (text === null) throw new Error(`${vsFile(app)} is not on main`);
  return Number(/subset: canary\n\s+weight: (\d+)/.exec(text)?.[1]);
}
