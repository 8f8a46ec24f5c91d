import { describe, expect, it } from 'vitest';
import { bar, blocks, summary } from '../../src/notify/render.ts';
import { NOTICE_KINDS } from '../../src/notify/types.ts';
import { blockKitProblems } from './blockkit.ts';
import { notice, plan } from './fixtures.ts';

const allText = (n: Parameters<typeof blocks>[0]) => JSON.stringify(blocks(n));

describe('summary', () => {
  it('names app, track, tags, PR number, weights and actor on one line', () => {
    const s = summary(notice());
    expect(s).toBe(
      'podinfo canary 0.2.0 → 0.2.1: PR opened (#12), canary 0% → 10%, stable 100% → 90%, by alice, in org/config https://github.com/org/config/pull/12',
    );
    expect(s).not.toContain('\n');
  });

  it('uses the short sha for commit links and only the first line of an error', () => {
    const s = summary(
      notice({ kind: 'failed', link: { url: 'https://github.com/org/config/commit/0123456789abcdef', label: 'commit' }, error: 'push rejected\nhint: fetch first', weights: undefined }),
    );
    expect(s).toContain('failed (0123456)');
    expect(s).toContain('error: push rejected');
    expect(s).not.toContain('hint');
  });

  it('lists failing checks by name', () => {
    const s = summary(notice({ kind: 'gate-failed', checks: [{ name: 'error-rate', value: 5, max: 1, ok: false }, { name: 'latency', value: 10, max: 500, ok: true }] }));
    expect(s).toContain('gate failed');
    expect(s).toContain('failing checks: error-rate');
    expect(s).not.toContain('latency');
  });

  it('works with only the required fields', () => {
    expect(summary({ kind: 'paused', app: 'api' })).toBe('api: paused');
  });
});

describe('blocks', () => {
  it('is valid Block Kit for every kind and names the verb in the header', () => {
    for (const kind of NOTICE_KINDS) {
      const n = notice({ kind, error: kind === 'failed' ? 'boom' : undefined });
      const b = blocks(n);
      expect(blockKitProblems({ text: summary(n), blocks: b }), kind).toEqual([]);
      expect(b[0].type).toBe('header');
    }
    expect(JSON.stringify(blocks(notice({ kind: 'rolled-back' })))).toContain('rolled back');
  });

  it('shows tag change, weights with a bar, link and plan edits', () => {
    const text = allText(notice());
    expect(text).toContain('`0.2.0` → `0.2.1`');
    expect(text).toContain('▰▱▱▱▱▱▱▱▱▱');
    expect(text).toContain('canary 0% → 10%');
    expect(text).toContain('<https://github.com/org/config/pull/12|org/config#12>');
    expect(text).toContain('release podinfo 0.2.1 to canary');
    expect(text).toContain('`apps/podinfo/deploy-0.yaml` Deployment/web/podinfo-0 `spec.template.spec.containers[podinfo].image`: `ghcr.io/org/podinfo:0.2.0` → `ghcr.io/org/podinfo:0.2.1`');
  });

  it('caps the plan at ten lines and says how many more', () => {
    const text = allText(notice({ plan: plan(15) }));
    expect(text).toContain('deploy-9.yaml');
    expect(text).not.toContain('deploy-10.yaml');
    expect(text).toContain('…and 5 more');
  });

  it('shows failing checks first with values against thresholds', () => {
    const b = blocks(
      notice({
        kind: 'gate-failed',
        checks: [
          { name: 'latency-p99', value: 120, max: 500, ok: true },
          { name: 'error-rate', value: 3.5, max: 1, ok: false },
          { name: 'success-rate', value: null, min: 99, ok: null },
        ],
      }),
    );
    const checks = b.find((x) => x.type === 'section' && x.text?.text.startsWith('*Checks*'));
    expect(checks).toBeDefined();
    const lines = (checks as { text: { text: string } }).text.text.split('\n');
    expect(lines[0]).toBe('*Checks* (1 of 3 failing)');
    expect(lines[1]).toBe(':x: `error-rate` 3.5 (max 1)');
    expect(lines[2]).toBe(':grey_question: `success-rate` no data (min 99)');
    expect(lines[3]).toBe(':white_check_mark: `latency-p99` 120 (max 500)');
  });

  it('escapes mrkdwn control characters and keeps huge input inside Slack limits', () => {
    const n = notice({ app: '<!channel> & co', error: `x`.repeat(10_000), plan: { ...plan(1), title: 'a'.repeat(5000) } });
    const b = blocks(n);
    expect(blockKitProblems({ text: summary(n), blocks: b })).toEqual([]);
    const text = JSON.stringify(b.slice(1));
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; &amp; co');
  });

  it('draws the canary share of the traffic', () => {
    expect(bar({ stable: 100, canary: 0 })).toBe('▱'.repeat(10));
    expect(bar({ stable: 50, canary: 50 })).toBe('▰'.repeat(5) + '▱'.repeat(5));
    expect(bar({ stable: 0, canary: 100 })).toBe('▰'.repeat(10));
    expect(bar({ stable: 0, canary: 0 })).toBe('▱'.repeat(10));
  });
});
