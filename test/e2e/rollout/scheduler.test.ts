// The scheduler finds the apps' schedules in the config repos and ticks the apps on each.
import { afterEach, describe, expect, it } from 'vitest';
import { startScheduler, type Scheduler } from '../../../src/bot/tick/scheduler.ts';
import { manualClock } from '../../../src/rollout/clock.ts';
import { setup, type Env } from './fixture.ts';

let env: Env | undefined;
let scheduler: Scheduler | undefined;
afterEach(async () => {
  scheduler?.stop();
  await env?.cleanup();
  env = scheduler = undefined;
});

describe('startScheduler', { timeout: 60_000 }, () => {
  it('runs one cron per schedule in use and ticks the apps on it', async () => {
    env = await setup({ steps: [10, 100], bake: '1h' });
    await env.release('0.2.1');
    const clock = manualClock(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const e = env;
    // A re-scan cron that never fires during the test: the test calls rescan itself.
    scheduler = startScheduler({ deps: e.replica(clock), scopes: async () => [e.scope], rescan: '0 0 1 1 *' });
    await scheduler.rescan();
    expect(scheduler.schedules()).toEqual(['*/5 * * * *']);
    expect(await scheduler.run('0 * * * *')).toEqual([]);
    const [waiting] = await scheduler.run('*/5 * * * *');
    expect(waiting).toMatchObject({ app: 'podinfo', decision: { code: 'BAKING' } });
    clock.advance(3_600_000);
    const [advanced] = await scheduler.run('*/5 * * * *');
    expect(advanced.outcome).toBe('advanced');
  });
});
