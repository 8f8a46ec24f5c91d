// Reconciliation through the GitHub double: releases that never arrived as webhooks are
// applied by a pass; a second pass over an unchanged source is answered 304 and writes
// nothing; prereleases and held tags follow the event rules.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newReconcileMemo } from '../../../src/bot/reconcile/run.ts';
import { startReconciler } from '../../../src/bot/reconcile/loop.ts';
import { scheduledScopes } from '../../../src/handlers/schedule.ts';
import type { RecordedRequest } from '../../github-double/server.ts';
import { exampleFiles, OWNER, seedConfig, startHarness, type Harness } from '../../helpers/app.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function reconciler(hh: Harness, memo = newReconcileMemo()) {
  const deps = { ...hh.runtime.deps, reconciled: memo };
  return startReconciler({ deps, scopes: scheduledScopes(hh.probot, { mode: 'github', configRepos: [], localConfigRepo: '' }), intervalMs: 0, memo });
}

/** Requests that change something on GitHub: anything but reads and git fetches. */
const writes = (rs: RecordedRequest[]) => rs.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !r.path.endsWith('/git-upload-pack') && !r.path.startsWith('/app/installations/'));

describe('reconcile', () => {
  it('applies releases no webhook announced, newest per track; prereleases only where a track takes them', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) } });
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.1.1' });
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.2' });
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.3', prerelease: true });
    const r = reconciler(h);
    const out = await r.run();
    expect(out.map((o) => [o.app, o.changed])).toEqual([['podinfo', true]]);
    const subjects = await h.subjects('config');
    expect(subjects.slice(0, 2).sort()).toEqual(['podinfo: canary 0.2.0 → 0.2.2, canary weight 10%', 'podinfo: stable 0.1.0 → 0.1.1']);
    expect(await h.show('config', 'apps/podinfo/canary-dep.yaml')).toContain('ghcr.io/example/podinfo:0.2.2');
    const body = (await h.double.git(OWNER, 'config', 'log', '-1', '--format=%B', '--grep=canary 0.2.0', 'main')).trim();
    expect(body).toContain('Gitops-Canary-Event: reconcile');
    h.double.assertNoViolations();
  }, 120_000);

  it('a second pass over unchanged sources is answered 304 and writes nothing, also after a restart', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig() } });
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    const r = reconciler(h);
    await r.run();
    expect((await h.double.pulls(OWNER, 'config')).map((p) => p.title)).toEqual(['podinfo: canary 0.2.0 → 0.2.1, canary weight 10%']);

    // the same process (its answers cached), then a restarted one (nothing cached)
    for (const [pass, cached] of [[r, true], [reconciler(h), false]] as const) {
      const before = h.double.requests.length;
      const out = await pass.run();
      const seen = h.double.requests.slice(before);
      expect(writes(seen)).toEqual([]);
      const lists = seen.filter((q) => q.operationId === 'repos/list-releases' || q.operationId === 'repos/list-tags');
      expect(lists.map((q) => q.status)).toEqual(cached ? [304, 304] : [200, 200]);
      expect(out.map((o) => o.changed)).toEqual([false]);
    }
    expect((await h.double.pulls(OWNER, 'config')).length).toBe(1);
    h.double.assertNoViolations();
  }, 120_000);

  it('stops reading sources while the rate limit is low, until the reset GitHub names', async () => {
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': seedConfig({ delivery: 'commit' }) } });
    const r = reconciler(h);
    // the reset an hour away: a pass slowed by a loaded machine cannot outlast it (it did, at 2 s)
    h.double.setRateLimit({ remaining: 120, limit: 5000, resetInSeconds: 3600 });
    await r.run();
    const reads = () => h!.double.requests.filter((q) => q.operationId === 'repos/list-releases' || q.operationId === 'repos/list-tags').length;
    const before = reads();
    await h.double.createRelease(OWNER, 'podinfo', { tag: 'v0.2.1' });
    const [held] = await r.run();
    expect(reads()).toBe(before);
    expect(held.outcome).toMatch(/^cannot read example\/podinfo: not reading sources until .*: 120 of 5000 requests left; the rest is kept for events; trying again next pass$/);
    expect(held.changed).toBe(false);
    // after the reset, with the limit back, the next pass reads and applies
    h.double.setRateLimit({ remaining: 4999 });
    // the clock past the reset: only Date is faked, so timers and I/O run as they do
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3601_000 });
    try {
      const [applied] = await r.run();
      expect(reads()).toBeGreaterThan(before);
      expect(applied.changed).toBe(true);
      expect((await h.subjects('config'))[0]).toBe('podinfo: canary 0.2.0 → 0.2.1, canary weight 10%');
    } finally {
      vi.useRealTimers();
    }
  }, 120_000);

  it('an app with its own reconcileInterval is looked at on its schedule, the others on the global one', async () => {
    const config = [
      seedConfig({ delivery: 'commit' }).replace('    source: example/podinfo', '    source: example/podinfo\n    reconcileInterval: 1s').trimEnd(),
      '  worker:',
      '    image: ghcr.io/example/worker',
      '    source: example/intruder',
      '    tracks:',
      '      stable: { filter: "semver:1.*", paths: ["apps/worker/deployment.yaml"] }',
      '    delivery: commit',
      '',
    ].join('\n');
    h = await startHarness({ configFiles: { ...exampleFiles(), '.github/gitops-canary.yml': config, 'apps/worker/deployment.yaml': 'kind: Deployment\nmetadata: { name: worker }\nspec: { template: { spec: { containers: [{ name: w, image: "ghcr.io/example/worker:1.0.0" }] } } }\n' } });
    const memo = newReconcileMemo();
    const deps = { ...h.runtime.deps, reconciled: memo };
    const r = startReconciler({ deps, scopes: scheduledScopes(h.probot, { mode: 'github', configRepos: [], localConfigRepo: '' }), intervalMs: 60_000, memo });
    try {
      const looked = (app: string) => h!.logs.filter((l) => String(l.msg).startsWith(`reconcile ${app}:`)).length;
      // podinfo comes round again after its own second; worker waits for the global minute
      const end = Date.now() + 30_000;
      while (looked('podinfo') < 3 && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
      expect(looked('podinfo')).toBeGreaterThanOrEqual(3);
      expect(looked('worker')).toBe(1);
    } finally {
      r.stop();
    }
  }, 120_000);
});
