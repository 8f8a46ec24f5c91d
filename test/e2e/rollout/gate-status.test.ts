// What status says while gates hold a rollout, against a scripted Prometheus reached over
// real HTTP: first no data, then no listener (connection refused), then HTTP 503. The bot
// holds at step 1/3 the whole time; status, /api/status and the page must say so with the
// current reason, and the gate records in git must stay bounded while the cause changes.
// Also: the release commit that starts a rollout carries the bot's clock (`At`), and the
// bake of step 1 is timed from it.
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { handleTag } from '../../../src/bot/release.ts';
import { statusSource } from '../../../src/bot/status-report.ts';
import { tickApp } from '../../../src/bot/tick/tick.ts';
import { main } from '../../../src/cli.ts';
import { GitHubForge } from '../../../src/forge/github.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { statusPages } from '../../../src/web/pages.ts';
import type { StatusReport } from '../../../src/web/report.ts';
import { startGitHubDouble, type GitHubDouble } from '../../github-double/index.ts';
import { startScriptedPrometheus, type ScriptedPrometheus } from '../../helpers/scripted-prometheus.ts';
import { exampleFiles, rolloutConfig, setup, trailersOnRemote, weightsOf, type Env } from './fixture.ts';

let env: Env | undefined;
let prom: ScriptedPrometheus | undefined;
let double: GitHubDouble | undefined;
afterEach(async () => {
  await env?.cleanup();
  await prom?.close();
  await double?.close();
  env = undefined;
  prom = undefined;
  double = undefined;
});

async function cliStatus(e: Env): Promise<string> {
  const dir = await e.remote.clone();
  const out: string[] = [];
  const code = await main(['status', '--repo', dir], { log: (s) => out.push(s), err: (s) => out.push(s) });
  expect(code, out.join('\n')).toBe(0);
  return out.join('\n');
}

describe('status while gates hold a rollout', { timeout: 120_000 }, () => {
  it('shows the hold at step 1/3 with the current reason, and records a reason only when its kind changes', async () => {
    prom = await startScriptedPrometheus({ kind: 'no-data' });
    // No bake: step 1 is due at once, so only the gate holds it. Real time throughout,
    // because `gitops-canary status` reads the system clock.
    env = await setup({ steps: [10, 50, 100], bake: '0s', gates: true, failures: 2, prometheusUrl: prom.url });
    await env.release('0.2.1');
    const clock = manualClock(Date.now());
    // The real HTTP client, not the fixture's plain function.
    const deps = { ...env.replica(clock), gateQuery: undefined };
    const e = env;
    const tick = () => {
      clock.set(new Date());
      return tickApp(deps, e.scope, e.repo, 'podinfo', clock.now());
    };
    const gateRecords = async () => (await trailersOnRemote(e.remote)).filter((t) => t.Action === 'gate');
    const source = statusSource(deps, async () => [e.scope], { mode: 'local', cacheMs: 0 });
    const api = async (): Promise<StatusReport> => JSON.parse((await statusPages('/api/status', source))!.body) as StatusReport;
    const page = async () => (await statusPages('/', source))!.body;

    // 1. No data.
    let r = await tick();
    expect(r, JSON.stringify(r)).toMatchObject({ outcome: 'recorded', decision: { code: 'GATES_UNKNOWN' } });
    expect(r.decision?.reason).toMatch(/no data/);
    let status = await cliStatus(env);
    expect(status).toMatch(/next: wait — gates inconclusive \(recorded [^)]+\): .*no data: .*; holding at step 1\/3 \(10%\)/);
    expect(status).not.toMatch(/advancing to step 2\/3/);
    expect((await tick()).outcome).toBe('waited');
    expect(await gateRecords()).toHaveLength(1);

    // 2. Nothing listens: connection refused.
    await prom.refuse();
    r = await tick();
    expect(r, JSON.stringify(r)).toMatchObject({ outcome: 'recorded', decision: { code: 'GATES_UNKNOWN' } });
    status = await cliStatus(env);
    expect(status).toMatch(/next: wait — gates inconclusive \(recorded [^)]+\): .*Prometheus unreachable: .*ECONNREFUSED.*; holding at step 1\/3/);
    expect(status).not.toMatch(/no data/);
    expect(status).not.toMatch(/advancing to step 2\/3/);
    for (let i = 0; i < 3; i++) expect((await tick()).outcome).toBe('waited');
    expect(await gateRecords()).toHaveLength(2);

    // 3. It answers again, with 503: a different cause. A body that changes on every
    //    answer (a request counter) is the same kind of reason and writes nothing more.
    let n = 0;
    prom.answer = { kind: 'http', status: 503, body: `upstream overloaded, request ${++n}` };
    await prom.listen();
    r = await tick();
    expect(r, JSON.stringify(r)).toMatchObject({ outcome: 'recorded', decision: { code: 'GATES_UNKNOWN' } });
    for (let i = 0; i < 3; i++) {
      prom.answer = { kind: 'http', status: 503, body: `upstream overloaded, request ${++n}` };
      expect((await tick()).outcome).toBe('waited');
    }
    const records = await gateRecords();
    expect(records).toHaveLength(3);
    expect(records.map((t) => t['Gate-Verdict'])).toEqual(['unknown', 'unknown', 'unknown']);
    expect(records.map((t) => t['Gate-Reason'])).toEqual([
      expect.stringMatching(/answered HTTP 503$/),
      expect.stringMatching(/unreachable: ECONNREFUSED$/),
      expect.stringMatching(/no data: query returned no series$/),
    ]);
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });

    status = await cliStatus(env);
    expect(status).toMatch(/gates: unknown \(recorded [^)]+\) — success-rate: n\/a \(min 0\.99\) unknown — .*answered HTTP 503/);
    expect(status).toMatch(/next: wait — gates inconclusive \(recorded [^)]+\): .*answered HTTP 503.*; holding at step 1\/3 \(10%\)/);
    expect(status).not.toMatch(/ECONNREFUSED|no data|advancing/);

    const report = await api();
    const ro = report.repos[0].apps[0].rollout!;
    expect(ro.step).toBe('step 1/3 (10%)');
    expect(ro.next).toMatchObject({ action: 'wait', code: 'GATES_UNKNOWN' });
    expect(ro.next.reason).toMatch(/answered HTTP 503.*; holding at step 1\/3/);
    expect(ro.hold).toMatchObject({ code: 'GATES_UNKNOWN', verdict: 'unknown' });
    expect(ro.hold!.reason).toMatch(/answered HTTP 503/);
    expect(ro.hold!.recordedAt).toBe(ro.lastGate!.at);
    const html = await page();
    expect(html).toMatch(/<th>holding<\/th><td>[^<]*answered HTTP 503[^<]*; holding at step 1\/3 \(10%\)/);
    expect(html).toContain('class="badge holding"');
    expect(html).not.toMatch(/advancing to step 2\/3/);

    // 4. Healthy again: the step is taken.
    prom.answer = { kind: 'value', value: 1 };
    expect((await tick()).outcome).toBe('advanced');
    expect(weightsOf(await env.vs())).toEqual({ stable: 50, canary: 50 });
  });

  it('times the bake of step 1 from the release commit\'s At, the bot\'s clock', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h' });
    // The bot's clock is far from git's: the bake must follow the bot's.
    const clock = manualClock(Date.parse('2031-05-06T07:00:00Z'));
    const deps = env.replica(clock);
    await handleTag(deps, env.scope, { tag: '0.2.1', source: 'example/podinfo', event: 'release' });
    const [release] = await trailersOnRemote(env.remote);
    expect(release).toMatchObject({ Action: 'release', Step: '1/3', At: '2031-05-06T07:00:00.000Z', Replica: 'replica-1' });

    clock.advance(40 * 60_000);
    const r = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(r.decision).toMatchObject({ code: 'BAKING', nextCheckAfter: new Date('2031-05-06T08:00:00Z') });
    expect(r.decision?.reason).toMatch(/20m of 1h left/);
    clock.advance(20 * 60_000);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
  });

  it('leaves At out of a release delivered as a pull request: its step begins when it is merged', async () => {
    double = await startGitHubDouble();
    double.addInstallation({ id: 11, account: 'acme' });
    const files = { ...exampleFiles(), '.github/gitops-canary.yml': rolloutConfig({ delivery: 'pull-request', steps: [10, 50, 100], bake: '1h' }) };
    const info = await double.addRepo({ owner: 'acme', name: 'config', files, installationId: 11 });
    const token = double.installationToken(11);
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const forge = new GitHubForge(new Octokit({ baseUrl: double.url, auth: token, log: quiet }) as unknown as ConstructorParameters<typeof GitHubForge>[0]);
    env = await setup({}, forge, { id: { owner: 'acme', name: 'config' }, cloneUrl: info.clone_url, htmlUrl: info.html_url }, async () => token);
    const clock = manualClock(Date.parse('2031-05-06T07:00:00Z'));
    const [delivered] = await handleTag(env.replica(clock), env.scope, { tag: '0.2.1', source: 'example/podinfo', event: 'release' });
    expect(delivered.status).toBe('pull-request');
    const message = await double.git('acme', 'config', 'log', '-1', '--format=%B', delivered.commit!);
    expect(message).toMatch(/^Gitops-Canary-Step: 1\/3$/m);
    expect(message).not.toMatch(/^Gitops-Canary-At:/m);
  });
});
