import { describe, expect, it } from 'vitest';
import { appCommits, landedOn, type LoggedCommit } from '../../src/rollout/landed.ts';
import { rolloutStateFromHistory, stateKey } from '../../src/rollout/state.ts';

const c = (sha: string, parents: string[], date: string, trailers: Record<string, string> = {}): LoggedCommit => ({ sha, parents, committerDate: date, trailers });

// main: a (release) ── m (merge of PR commit p, step 2) ── d (direct tick commit with At)
const a = c('a', [], '2026-03-02T10:00:00Z', { App: 'podinfo', Action: 'release', Tag: '0.2.1', Step: '1/3', Track: 'canary' });
const p = c('p', ['a'], '2026-03-02T11:00:00Z', { App: 'podinfo', Action: 'set-weight', Tag: '0.2.1', Step: '2/3' });
const m = c('m', ['a', 'p'], '2026-03-02T15:00:00Z');
const d = c('d', ['m'], '2026-03-02T16:00:05Z', { App: 'podinfo', Action: 'set-weight', Step: '3/3', At: '2026-03-02T16:00:00.000Z' });

describe('landed dates', () => {
  it('dates a PR step by its merge and a direct commit by its At trailer', () => {
    const landed = landedOn([m, p, a]);
    expect(landed.get('p')?.sha).toBe('m');
    expect(landed.get('a')?.sha).toBe('a');
    expect(appCommits([m, p, a], 'podinfo').map((x) => [x.sha, x.committerDate.toISOString()])).toEqual([
      ['p', '2026-03-02T15:00:00.000Z'],
      ['a', '2026-03-02T10:00:00.000Z'],
    ]);
    expect(appCommits([d, m, p, a], 'podinfo')[0].committerDate.toISOString()).toBe('2026-03-02T16:00:00.000Z');
  });

  it('bakes a merged step from the merge, not from when the PR was opened', () => {
    const state = rolloutStateFromHistory(appCommits([m, p, a], 'podinfo'), { stable: 50, canary: 50 }, [10, 50, 100], { app: 'podinfo' });
    expect(state).toMatchObject({ stepIndex: 1, tag: '0.2.1', enteredAt: new Date('2026-03-02T15:00:00Z') });
  });

  it('ignores an At trailer on a commit that arrived by merge', () => {
    const pAt = { ...p, trailers: { ...p.trailers, At: '2026-03-02T11:00:00Z' } };
    expect(appCommits([m, pAt, a], 'podinfo')[0].committerDate.toISOString()).toBe('2026-03-02T15:00:00.000Z');
  });
});

describe('gate records and the state key', () => {
  const steps = [10, 50, 100];
  const w = { stable: 90, canary: 10 };
  const gate = c('g', ['a'], '2026-03-02T10:30:00Z', { App: 'podinfo', Action: 'gate', 'Gate-Failures': '0', 'Gate-Verdict': 'unknown', 'Gate-Summary': 'success-rate: n/a unknown' });

  it('reads the newest gate verdict recorded at this step', () => {
    const s = rolloutStateFromHistory(appCommits([gate, a], 'podinfo'), w, steps);
    expect(s.lastGate).toEqual({ verdict: 'unknown', summary: 'success-rate: n/a unknown', at: new Date('2026-03-02T10:30:00Z') });
  });

  it('changes when anything a decision depends on changes', () => {
    const before = rolloutStateFromHistory(appCommits([a], 'podinfo'), w, steps);
    const after = rolloutStateFromHistory(appCommits([gate, a], 'podinfo'), w, steps);
    expect(stateKey(before)).toBe(stateKey(rolloutStateFromHistory(appCommits([a], 'podinfo'), w, steps)));
    expect(stateKey(after)).not.toBe(stateKey(before));
    expect(stateKey({ ...before, paused: true })).not.toBe(stateKey(before));
  });
});
