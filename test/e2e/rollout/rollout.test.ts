// Scheduled progressive delivery end to end on real git: a tag starts the rollout, ticks
// driven by a manual clock advance it through the steps to promotion, and state lives
// only in the remote's history (new pools, other replicas and restarts all agree).
import { afterEach, describe, expect, it } from 'vitest';
import { tickAll, tickApp } from '../../../src/bot/tick/tick.ts';
import { commitMarker } from '../../../src/bot/tick/git.ts';
import { Workspace } from '../../../src/git/workspace.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { main } from '../../../src/cli.ts';
import { git } from '../../helpers/git-remote.ts';
import { setup, trailersOnRemote, weightsOf, type Env } from './fixture.ts';

const HOUR = 3_600_000;
let env: Env | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

async function cliStatus(e: Env): Promise<string> {
  const dir = await e.remote.clone();
  const out: string[] = [];
  const code = await main(['status', '--repo', dir], { log: (s) => out.push(s), err: (s) => out.push(s) });
  expect(code, out.join('\n')).toBe(0);
  return out.join('\n');
}

/** A clock a second after now, made after the release: the release commit's
 *  (second-precision) date is never after it. */
const clockAfterRelease = () => manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);

describe('scheduled rollout with commit delivery', { timeout: 120_000 }, () => {
  it('walks the steps after each bake and promotes at 100%', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h', promote: true });
    await env.release('0.2.1');
    const clock = clockAfterRelease();
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });
    const deps = env.replica(clock);

    let r = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(r).toMatchObject({ outcome: 'waited', decision: { code: 'BAKING' } });
    clock.advance(HOUR / 2);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).decision?.code).toBe('BAKING');

    clock.advance(HOUR / 2);
    r = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(r.outcome).toBe('advanced');
    expect(weightsOf(await env.vs())).toEqual({ stable: 50, canary: 50 });
    const [stepTwo] = await trailersOnRemote(env.remote);
    expect(stepTwo).toMatchObject({ App: 'podinfo', Action: 'set-weight', Step: '2/3', Tag: '0.2.1', Weights: 'stable=50,canary=50', At: clock.now().toISOString() });

    // Same state, same clock: nothing more happens.
    const head = await env.headSha();
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).decision?.code).toBe('BAKING');
    expect(await env.headSha()).toBe(head);

    clock.advance(HOUR);
    expect((await tickAll(deps, env.scope, clock.now()))[0].outcome).toBe('advanced');
    expect(weightsOf(await env.vs())).toEqual({ stable: 0, canary: 100 });

    clock.advance(HOUR);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('promoted');
    expect(weightsOf(await env.vs())).toEqual({ stable: 100, canary: 0 });
    expect(await env.remote.readOnRemote('apps/podinfo/ga-dep.yaml')).toContain('ghcr.io/example/podinfo:0.2.1');
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).decision?.code).toBe('NO_ROLLOUT');
    expect(env.notices.map((n) => n.kind)).toEqual(['committed', 'weight-changed', 'weight-changed', 'promoted']);
  });

  it('rolls back after `failures` failed gates, leaving apps/ as before the rollout, and holds the tag', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h', gates: true, failures: 2 });
    const before = await env.headSha();
    await env.release('0.2.1');
    const clock = clockAfterRelease();
    const deps = env.replica(clock);
    clock.advance(HOUR);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');

    env.prometheus.answer = { status: 'ok', value: 0.8 };
    clock.advance(60_000);
    const first = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(first).toMatchObject({ outcome: 'recorded', decision: { code: 'GATES_FAILING', gateFailures: 1 } });
    expect((await trailersOnRemote(env.remote))[0]).toMatchObject({ Action: 'gate', 'Gate-Failures': '1', 'Gate-Verdict': 'fail' });

    clock.advance(60_000);
    const second = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(second).toMatchObject({ outcome: 'rolled-back', decision: { code: 'GATES_FAILED' } });
    await git(env.remote.bare, 'diff', '--quiet', before, 'main', '--', 'apps/');
    const log = await trailersOnRemote(env.remote);
    expect(log.slice(0, 2).map((t) => t.Action)).toEqual(['rollback', 'rollback']);
    expect(log[0].Hold).toBe('0.2.1');

    const kinds = env.notices.map((n) => n.kind);
    expect(kinds.slice(-2)).toEqual(['gate-failed', 'rolled-back']);
    const failed = env.notices.find((n) => n.kind === 'gate-failed')!;
    expect(failed.checks).toEqual([{ name: 'success-rate', value: 0.8, min: 0.99, ok: false }]);

    clock.advance(HOUR);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).decision?.code).toBe('NO_ROLLOUT');
    // The held tag is not re-applied.
    await env.release('0.2.1');
    await git(env.remote.bare, 'diff', '--quiet', before, 'main', '--', 'apps/');
  });

  it('waits while Prometheus cannot answer, without counting it as a failure', async () => {
    env = await setup({ steps: [10, 100], bake: '1h', gates: true, failures: 1 });
    await env.release('0.2.1');
    const clock = clockAfterRelease();
    const deps = env.replica(clock);
    env.prometheus.answer = { status: 'unreachable', reason: 'Prometheus at http://127.0.0.1:9 unreachable: ECONNREFUSED' };
    clock.advance(2 * HOUR);
    const r = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(r).toMatchObject({ outcome: 'recorded', decision: { code: 'GATES_UNKNOWN', gateFailures: 0 } });
    expect(env.log.lines.some((l) => l.level === 'warn' && /unreachable/.test(l.msg ?? ''))).toBe(true);
    // Recorded once; the same verdict again writes nothing.
    const head = await env.headSha();
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('waited');
    expect(await env.headSha()).toBe(head);
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });
    const status = await cliStatus(env);
    expect(status).toMatch(/rollout {2}canary 0\.2\.1/);
    expect(status).toMatch(/step 1\/2 \(10%\), weights stable=90 canary=10/);
    expect(status).toMatch(/gates: unknown \(recorded [^)]+\) — success-rate: n\/a \(min 0\.99\) unknown — Prometheus unreachable: .*ECONNREFUSED/);

    env.prometheus.answer = { status: 'ok', value: 1 };
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
  });

  it('holds a due step until the rollout window opens', async () => {
    env = await setup({ steps: [10, 100], bake: '1h', window: ['days: mon-fri', 'hours: "09:00-17:00"', 'timezone: UTC'] });
    await env.release('0.2.1');
    const clock = clockAfterRelease();
    const deps = env.replica(clock);
    // The next Saturday 12:00 UTC: bake long done, window closed until Monday 09:00.
    const sat = new Date(clock.now());
    sat.setUTCDate(sat.getUTCDate() + ((6 - sat.getUTCDay() + 7) % 7 || 7));
    sat.setUTCHours(12, 0, 0, 0);
    clock.set(sat);
    const r = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(r.decision).toMatchObject({ code: 'WINDOW_CLOSED' });
    const monday = new Date(sat.getTime() + 2 * 24 * HOUR - 3 * HOUR);
    expect(r.decision?.nextCheckAfter?.toISOString()).toBe(monday.toISOString());
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });
    clock.set(monday);
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
  });

  it('stops on pause and continues on resume, both recorded in git', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h' });
    await env.release('0.2.1');
    const clock = clockAfterRelease();
    const deps = env.replica(clock);
    const toggle = (action: 'pause' | 'resume') =>
      deps.workspaces.with(env!.repo, undefined, (ws: Workspace) =>
        commitMarker(ws, undefined, async () => ({ subject: `podinfo: ${action}`, trailers: { App: 'podinfo', Action: action, 'Requested-By': 'alice' } })),
      );
    await toggle('pause');
    clock.advance(3 * HOUR);
    const paused = await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now());
    expect(paused).toMatchObject({ outcome: 'waited', decision: { code: 'PAUSED' } });
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });
    await toggle('resume');
    expect((await tickApp(deps, env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
    expect(weightsOf(await env.vs())).toEqual({ stable: 50, canary: 50 });
  });

  it('takes each step once with two replicas ticking side by side', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h', gates: true, failures: 3 });
    await env.release('0.2.1');
    const clock = clockAfterRelease();
    const a = env.replica(clock);
    const b = env.replica(clock);
    for (let i = 0; i < 2; i++) {
      clock.advance(HOUR);
      const results = await Promise.all([a, b].map((d) => tickApp(d, env!.scope, env!.repo, 'podinfo', clock.now())));
      expect(results.map((r) => r.outcome).sort()).toEqual(['advanced', 'waited']);
    }
    // A failing gate is counted once per tick, not once per replica.
    env.prometheus.answer = { status: 'ok', value: 0.5 };
    clock.advance(60_000);
    const failing = await Promise.all([a, b].map((d) => tickApp(d, env!.scope, env!.repo, 'podinfo', clock.now())));
    expect(failing.map((r) => r.outcome).sort()).toEqual(['recorded', 'waited']);
    const log = await trailersOnRemote(env.remote);
    expect(log.filter((t) => t.Action === 'set-weight').map((t) => t.Step)).toEqual(['3/3', '2/3']);
    expect(log.filter((t) => t.Action === 'gate').map((t) => t['Gate-Failures'])).toEqual(['1']);
    // Each step announced once, by the replica that made it.
    expect(env.notices.filter((n) => n.kind === 'weight-changed')).toHaveLength(2);
    expect(new Set(log.filter((t) => t.Action === 'set-weight').map((t) => t.Replica)).size).toBeGreaterThan(0);
  });

  it('continues a bake after a restart: a new pool, the same remote, a later clock', async () => {
    env = await setup({ steps: [10, 50, 100], bake: '1h' });
    await env.release('0.2.1');
    const clock = clockAfterRelease();
    clock.advance(HOUR);
    expect((await tickApp(env.replica(clock), env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
    const enteredAt = clock.now();

    clock.advance(40 * 60_000);
    const restarted = env.replica(clock);
    const r = await tickApp(restarted, env.scope, env.repo, 'podinfo', clock.now());
    expect(r.decision).toMatchObject({ code: 'BAKING', nextCheckAfter: new Date(enteredAt.getTime() + HOUR) });
    expect(r.decision?.reason).toMatch(/20m of 1h left/);
    const status = await cliStatus(env);
    expect(status).toMatch(/step 2\/3 \(50%\), weights stable=50 canary=50/);
    expect(status).toContain(`(since ${enteredAt.toISOString()})`);
    expect(status).toContain(`next step possible at ${new Date(enteredAt.getTime() + HOUR).toISOString()}`);
    clock.advance(20 * 60_000);
    expect((await tickApp(env.replica(clock), env.scope, env.repo, 'podinfo', clock.now())).outcome).toBe('advanced');
    expect(weightsOf(await env.vs())).toEqual({ stable: 0, canary: 100 });
  });
});
