// The scheduler's automatic rollback (gates failed) is analyzed like every change, on
// the repo as its reverts would leave it and before any of them is committed: an error
// the reverts bring stops it and people are told why; an error the repo already has and
// keeps only warns (in the tip revert's message), since a rollback is the emergency exit.
import { afterEach, describe, expect, it } from 'vitest';
import { tickApp } from '../../../src/bot/tick/tick.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { setup, weightsOf, type Env } from './fixture.ts';

const GA = 'apps/podinfo/ga-dep.yaml';
let env: Env | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const clockAfterRelease = () => manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);

/** Someone relabels the ga pods by hand: from then on the ga subset selects nothing. */
async function relabelGa(e: Env): Promise<void> {
  const dep = (await e.remote.readOnRemote(GA))!;
  await e.remote.commitOnRemote({ [GA]: dep.replaceAll('version: ga\n', 'version: ga2\n') }, 'podinfo-ga: new labels');
}

describe('automatic rollback analysis', { timeout: 120_000 }, () => {
  it('reverts that would send the traffic back to a subset selecting no pod are not made; the failure is announced', async () => {
    env = await setup({ steps: [100], bake: '1h', gates: true, failures: 1, promote: false });
    await env.release('0.2.1');
    expect(weightsOf(await env.vs())).toEqual({ stable: 0, canary: 100 });
    await relabelGa(env);
    const head = await env.headSha();
    const clock = clockAfterRelease();
    env.prometheus.answer = { status: 'ok', value: 0.5 };
    clock.advance(60_000);
    const r = await tickApp(env.replica(clock), env.scope, env.repo, 'podinfo', clock.now());
    expect(r.outcome).toBe('failed');
    expect(r.note).toContain('subset "ga" selects no pod');
    expect(await env.headSha()).toBe(head);
    expect(weightsOf(await env.vs())).toEqual({ stable: 0, canary: 100 });
    const failed = env.notices.find((n) => n.kind === 'failed');
    expect(failed?.error).toMatch(/^automatic rollback of 0\.2\.1 failed: apps\/podinfo\/destination-rule\.yaml:\d+ DestinationRule\/test\/podinfo subsets\[0\]\.labels: subset "ga" selects no pod/);
  });

  it('an error the repo already has does not stop it: the reverts are made, the tip says so', async () => {
    env = await setup({ steps: [10, 100], bake: '1h', gates: true, failures: 1, promote: false });
    await env.release('0.2.1');
    expect(weightsOf(await env.vs())).toEqual({ stable: 90, canary: 10 });
    // the ga subset already takes 90 % and selects nothing
    await relabelGa(env);
    const clock = clockAfterRelease();
    env.prometheus.answer = { status: 'ok', value: 0.5 };
    clock.advance(60_000);
    const r = await tickApp(env.replica(clock), env.scope, env.repo, 'podinfo', clock.now());
    expect(r.outcome, r.note).toBe('rolled-back');
    expect(weightsOf(await env.vs())).toEqual({ stable: 100, canary: 0 });
    const [tip] = await env.remote.log();
    expect(tip.message).toContain('Analysis warnings:');
    expect(tip.message).toContain('subset "ga" selects no pod');
    expect(tip.message).toContain('so before this rollback too');
  });
});
