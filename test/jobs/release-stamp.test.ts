// The release that starts a rollout carries the bot's clock (`At`) and its name (`Replica`)
// like the steps after it; other releases, and releases planned without a stamp (a PR,
// the CLI), carry neither.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import type { AppHistory } from '../../src/jobs/history.ts';
import { planAppRelease } from '../../src/jobs/release.ts';
import { directoryFiles } from '../../src/manifests/files.ts';
import { exampleFiles, rolloutConfig } from '../e2e/rollout/fixture.ts';

const NO_HISTORY: AppHistory = { commits: [], held: [], paused: false };
const stamp = { at: new Date('2031-05-06T07:00:00Z'), replica: 'bot-0' };

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function example() {
  dir = await mkdtemp(path.join(tmpdir(), 'release-stamp-'));
  for (const [file, text] of Object.entries(exampleFiles())) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  const config = parseConfig(rolloutConfig({ steps: [10, 50, 100] }));
  return { files: directoryFiles(dir), routed: { app: 'podinfo', config: config.apps.podinfo } };
}

describe('release stamp', () => {
  it('puts At and Replica on the release that starts a rollout', async () => {
    const { files, routed } = await example();
    const p = await planAppRelease(files, routed, { tag: '0.2.1', source: 'example/podinfo' }, NO_HISTORY, undefined, stamp);
    expect(p.plan.trailers).toMatchObject({ Action: 'release', Track: 'canary', Step: '1/3', At: '2031-05-06T07:00:00.000Z', Replica: 'bot-0' });
  });

  it('leaves them off without a stamp, and off a release that starts no rollout', async () => {
    const { files, routed } = await example();
    const unstamped = await planAppRelease(files, routed, { tag: '0.2.1', source: 'example/podinfo' }, NO_HISTORY);
    expect(unstamped.plan.trailers.Step).toBe('1/3');
    expect(unstamped.plan.trailers).not.toHaveProperty('At');
    expect(unstamped.plan.trailers).not.toHaveProperty('Replica');
    const stable = await planAppRelease(files, routed, { tag: '0.1.1', source: 'example/podinfo' }, NO_HISTORY, undefined, stamp);
    expect(stable.plan.trailers).toMatchObject({ Track: 'stable' });
    expect(stable.writes.size).toBeGreaterThan(0);
    expect(stable.plan.trailers).not.toHaveProperty('At');
    expect(stable.plan.trailers).not.toHaveProperty('Replica');
  });
});
