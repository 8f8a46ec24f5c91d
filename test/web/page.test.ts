import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/git/history.ts';
import type { AppStatus } from '../../src/jobs/status.ts';
import { appTimeline } from '../../src/jobs/timeline.ts';
import { statusPage } from '../../src/web/page.ts';
import { githubLinks, localLinks, reportApp } from '../../src/web/report.ts';

let n = 0;
function commit(at: string, trailers: Record<string, string>, over: Partial<LogEntry> = {}): LogEntry {
  const sha = (++n).toString(16).padStart(40, 'a');
  return { sha, parents: ['p'], subject: `${trailers.Action ?? 'change'} ${trailers.Tag ?? ''}`.trim(), message: 'm', trailers, authorDate: at, committerDate: at, author: 'bot <b@x>', ...over };
}

describe('appTimeline', () => {
  const release = commit('2026-11-01T10:00:00Z', { App: 'podinfo', Action: 'release', Track: 'canary', Tag: '0.2.0', Weights: 'stable=90,canary=10', Step: '1/3' });
  const step = commit('2026-11-01T10:10:00Z', { App: 'podinfo', Action: 'set-weight', Weights: 'stable=40,canary=60', Step: '2/3' });
  const merge = commit('2026-11-01T10:12:00Z', {}, { subject: 'Merge pull request #7 from org/gitops-canary/podinfo', parents: [release.sha, step.sha] });
  const other = commit('2026-11-01T10:20:00Z', { App: 'other', Action: 'release', Tag: '9.9.9' });
  const promote = commit('2026-11-01T10:30:00Z', { App: 'podinfo', Action: 'promote', Track: 'stable', Tag: '0.2.0', Weights: 'stable=100,canary=0' });
  const log = [promote, other, merge, step, release];

  it('reads weights and tags per change, oldest first, and dates a PR step by its merge', () => {
    const t = appTimeline(log, 'podinfo');
    expect(t.map((p) => [p.action, p.canary, p.tags.canary, p.tags.stable])).toEqual([
      ['release', 10, '0.2.0', undefined],
      ['set-weight', 60, '0.2.0', undefined],
      ['promote', 0, '0.2.0', '0.2.0'],
    ]);
    expect(t[1]).toMatchObject({ pr: 7, at: '2026-11-01T10:12:00Z', step: '2/3' });
  });

  it('renders a point per change, each linking to its pull request or commit, with the text escaped', () => {
    const status: AppStatus = {
      app: 'podinfo',
      image: 'ghcr.io/x/podinfo',
      tracks: [{ track: 'canary', filter: 'semver:0.2.*', tags: ['<b>0.2.0</b>'], files: [] }],
      weights: { stable: 100, canary: 0, others: 0 },
      held: [],
      paused: true,
      problems: [],
      lastChange: { sha: promote.sha, subject: promote.subject, at: promote.committerDate },
    };
    const app = reportApp(status, appTimeline(log, 'podinfo'), githubLinks('https://github.com', 'org/config'));
    const html = statusPage({ generatedAt: '2026-11-01T11:00:00Z', mode: 'github', repos: [{ repo: 'org/config', apps: [app] }] });
    const points = [...html.matchAll(/<a href="([^"]+)" class="point" data-sha="([0-9a-f]+)" data-canary="(\d+)"/g)].map((m) => [m[1], m[3]]);
    expect(points).toEqual([
      [`https://github.com/org/config/commit/${release.sha}`, '10'],
      ['https://github.com/org/config/pull/7', '60'],
      [`https://github.com/org/config/commit/${promote.sha}`, '0'],
    ]);
    expect(html).toContain('&lt;b&gt;0.2.0&lt;/b&gt;');
    expect(html).not.toContain('<b>0.2.0');
    expect(html).toContain('class="badge paused"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!github\.com)[^"]*\.(css|js)/);
  });

  it('links local-mode points to the bot\'s own commit page', () => {
    const app = reportApp({ app: 'podinfo', image: 'i', tracks: [], held: [], paused: false, problems: [] }, appTimeline(log, 'podinfo'), localLinks());
    expect(app.timeline[1].url).toBe(`/commit/${step.sha}`);
  });
});
