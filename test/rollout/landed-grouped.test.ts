// appCommits reads every app out of one log with one mainline walk (a scheduler tick asks
// for hundreds of apps from the same log). Over random histories, with merges, trailer
// keys in any case or prefixed and `At` trailers, it must answer exactly what the
// per-app reading it replaces answered: filter the log by app, date each commit by the
// mainline commit that brought it in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appCommits, AT_TRAILER, landedOn, type LoggedCommit } from '../../src/rollout/landed.ts';
import type { HistoryCommit } from '../../src/rollout/state.ts';

/** The per-app reading as it was: one landedOn walk and one pass over the log per app. */
function perApp(log: readonly LoggedCommit[], app: string): HistoryCommit[] {
  const landed = landedOn(log);
  const key = (t: Record<string, string>, want: string) => Object.entries(t).find(([k]) => k.toLowerCase() === want || k.toLowerCase() === `gitops-canary-${want}`)?.[1];
  const out: HistoryCommit[] = [];
  for (const c of log) {
    if (key(c.trailers, 'app') !== app) continue;
    const on = landed.get(c.sha);
    let date = new Date(c.committerDate);
    if (on && on.sha !== c.sha) date = new Date(on.committerDate);
    else {
      const at = key(c.trailers, AT_TRAILER.toLowerCase());
      const parsed = at ? new Date(at) : undefined;
      if (parsed && !Number.isNaN(parsed.getTime())) date = parsed;
    }
    out.push({ sha: c.sha, trailers: c.trailers, committerDate: date });
  }
  return out;
}

const APPS = ['podinfo', 'cart', 'Cart', 'search'];
const KEYS = ['App', 'app', 'Gitops-Canary-App', 'APP'];

const commitSpec = fc.record({
  // how many of the earlier commits it merges in besides its first parent (0: a direct commit)
  merges: fc.nat(2),
  app: fc.option(fc.constantFrom(...APPS), { nil: undefined }),
  key: fc.constantFrom(...KEYS),
  at: fc.option(fc.constantFrom('2026-03-02T10:00:00.000Z', 'not a date', '2026-03-03T00:00:00Z'), { nil: undefined }),
  minutes: fc.nat(600),
});

/** A log as git prints it, newest first: commit i has commit i-1 as first parent (some
 *  start a side line instead) and may merge earlier commits. */
function history(specs: Array<typeof commitSpec extends fc.Arbitrary<infer T> ? T : never>, sides: number[]): LoggedCommit[] {
  const commits: LoggedCommit[] = [];
  specs.forEach((s, i) => {
    const first = i === 0 ? [] : [`c${sides.includes(i) ? Math.floor(i / 2) : i - 1}`];
    const merged = i === 0 ? [] : Array.from({ length: s.merges }, (_, k) => `c${(i * 7 + k * 3) % i}`).filter((p) => !first.includes(p));
    const trailers: Record<string, string> = {};
    if (s.app) trailers[s.key] = s.app;
    if (s.at) trailers.At = s.at;
    commits.push({ sha: `c${i}`, parents: [...first, ...new Set(merged)], trailers, committerDate: new Date(Date.UTC(2026, 2, 2) + s.minutes * 60_000).toISOString() });
  });
  return commits.reverse();
}

describe('appCommits over one log for every app', () => {
  it('answers for each app what reading the log for that app alone answered', () => {
    fc.assert(
      fc.property(fc.array(commitSpec, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(40)), (specs, sides) => {
        const log = history(specs, sides);
        for (const app of [...APPS, 'absent']) expect(appCommits(log, app)).toEqual(perApp(log, app));
      }),
      { numRuns: 300 },
    );
  });

  it('hands each caller a list of its own', () => {
    const log = history([{ merges: 0, app: 'cart', key: 'App', at: undefined, minutes: 1 }], []);
    appCommits(log, 'cart').pop();
    expect(appCommits(log, 'cart')).toHaveLength(1);
  });
});
