// A rollout held by its gates: the JSON (rolloutStatus) and the page say "holding", with
// the reason and the time of the gate record it rests on, never "advancing".
import { describe, expect, it } from 'vitest';
import type { AppStatus, RolloutSnapshot } from '../../src/jobs/status.ts';
import { rolloutStatus } from '../../src/jobs/status.ts';
import { statusPage } from '../../src/web/page.ts';
import { localLinks, reportApp } from '../../src/web/report.ts';

const MIN = 60_000;
const snap = (over: Partial<RolloutSnapshot['state']> = {}, gates = true): RolloutSnapshot => ({
  app: 'podinfo',
  steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }],
  policy: { steps: [10, 50, 100], bakeMs: 10 * MIN, approval: 'none', failures: 2, promote: true, ...(gates ? { gates: true } : {}) },
  state: { tag: '0.2.1', stepIndex: 0, weights: { stable: 90, canary: 10 }, enteredAt: new Date('2026-03-03T10:00:00Z'), paused: false, gateFailures: 0, ...over },
});
const lastGate = { verdict: 'unknown' as const, summary: 'success-rate: n/a (min 0.99) unknown — Prometheus unreachable: Prometheus at http://p:9090 answered HTTP 503', at: new Date('2026-03-03T10:20:00Z') };
const now = new Date('2026-03-03T10:30:00Z');

function page(rollout: AppStatus['rollout']): string {
  const status: AppStatus = { app: 'podinfo', image: 'ghcr.io/example/podinfo', tracks: [], held: [], paused: false, problems: [], ...(rollout ? { rollout } : {}) };
  return statusPage({ generatedAt: now.toISOString(), mode: 'local', repos: [{ repo: 'config', apps: [reportApp(status, [], localLinks())] }] });
}

describe('a rollout held by its gates', () => {
  it('decides on the recorded verdict and says so in the status, the JSON and the page', () => {
    const s = rolloutStatus(snap({ lastGate }), now);
    expect(s.next).toMatchObject({ action: 'wait', code: 'GATES_UNKNOWN' });
    expect(s.hold).toEqual({ code: 'GATES_UNKNOWN', reason: s.next.reason, verdict: 'unknown', recordedAt: '2026-03-03T10:20:00.000Z' });
    expect(s.hold!.reason).toBe(`gates inconclusive (recorded 2026-03-03T10:20:00.000Z): ${lastGate.summary}; holding at step 1/3 (10%)`);
    expect(s.lines.join('\n')).toContain(`next: wait — ${s.hold!.reason}`);
    expect(s.lines.join('\n')).not.toContain('advancing');
    const html = page(s);
    expect(html).toContain('<span class="badge holding">holding</span>');
    expect(html).toContain('<tr><th>holding</th><td>gates inconclusive (recorded 2026-03-03T10:20:00.000Z): success-rate: n/a (min 0.99) unknown — Prometheus unreachable: Prometheus at http://p:9090 answered HTTP 503; holding at step 1/3 (10%)</td></tr>');
    expect(html).not.toContain('<th>next</th>');
  });

  it('is no hold while baking or once gates are removed from the config', () => {
    const baking = rolloutStatus(snap({ lastGate }), new Date('2026-03-03T10:05:00Z'));
    expect(baking.next.code).toBe('BAKING');
    expect(baking).not.toHaveProperty('hold');
    expect(page(baking)).toMatch(/<th>next<\/th><td>baking at step 1\/3/);
    expect(page(baking)).not.toContain('badge holding');
    const ungated = rolloutStatus(snap({ lastGate }, false), now);
    expect(ungated.next).toMatchObject({ action: 'advance', reason: 'step 1/3 (10%) baked 10m: advancing to step 2/3 (50%)' });
    expect(ungated).not.toHaveProperty('hold');
  });

  it('names other holds too, without a gate record', () => {
    const paused = rolloutStatus(snap({ lastGate, paused: true, pausedBy: '@alice' }), now);
    expect(paused.hold).toEqual({ code: 'PAUSED', reason: 'rollout of 0.2.1 paused by @alice at step 1/3 (10%)' });
  });
});
