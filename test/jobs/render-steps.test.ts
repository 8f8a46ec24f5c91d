// How A/B and mirror steps read where people look: the PR body, the check run, and the
// notice Slack, Teams and Discord are built from.
import { describe, expect, it } from 'vitest';
import { noticeFor } from '../../src/bot/notices.ts';
import { checkOutput, prBody, trafficLines } from '../../src/jobs/render.ts';
import { blocks, summary } from '../../src/notify/render.ts';
import { card } from '../../src/notify/card.ts';
import type { Plan } from '../../src/plan.ts';
import { blockKitProblems } from '../notify/blockkit.ts';

const VS = { file: 'apps/podinfo/virtual-service.yaml', object: { kind: 'VirtualService', namespace: 'test', name: 'podinfo' } };

function stepPlan(trailers: Record<string, string>, title = 'podinfo: 0.2.5 step 2/5 (mirror 50%)'): Plan {
  return {
    action: 'set-weight',
    title,
    app: 'podinfo',
    track: 'canary',
    edits: [{ ...VS, field: 'spec.http[primary].mirror', old: null, new: 'canary 50%' }],
    skipped: [],
    trailers: { App: 'podinfo', Action: 'set-weight', Track: 'canary', Tag: '0.2.5', Weights: 'stable=100,canary=0', 'Old-Weights': 'stable=100,canary=0', ...trailers },
  };
}

const abStep = stepPlan({ Step: '1/5', Traffic: 'ab: header user-agent~.*Firefox.*' }, 'podinfo: canary 0.2.4 → 0.2.5, step 1/5 (A/B header user-agent ~ .*Firefox.*)');
const mirrorStep = stepPlan({ Step: '2/5', Traffic: 'mirror=50', 'Old-Traffic': 'ab: header user-agent~.*Firefox.*' });
const weightStep = stepPlan({ Step: '3/5', Weights: 'stable=90,canary=10', 'Old-Traffic': 'mirror=50' }, 'podinfo: 0.2.5 step 3/5 (10%), canary weight 10%');

describe('PR body', () => {
  it('says what an A/B step routes, in code spans', () => {
    const body = prBody(abStep);
    expect(body).toContain('**Rollout step 1/5**: `A/B header user-agent ~ .*Firefox.*`');
    expect(body).toContain('- requests matching `header user-agent ~ .*Firefox.*` go to the canary; all other requests follow the weights (stable 100%, canary 0%)');
    expect(body).not.toContain('removes');
  });

  it('says what a mirror step copies and what the step before routed that it removes', () => {
    expect(trafficLines(mirrorStep)).toEqual([
      '**Rollout step 2/5**: `mirror 50%`',
      '',
      "- 50% of the stable traffic is mirrored to the canary; the canary's answers to mirrored requests are discarded",
      '- removes what was routed before: `A/B header user-agent ~ .*Firefox.*`',
      '',
    ]);
  });

  it('names a weight step by its weight', () => {
    expect(trafficLines(weightStep)).toEqual(['**Rollout step 3/5**: canary weight 10%', '', '- removes what was routed before: `mirror 50%`', '']);
    const plain: Plan = { ...weightStep, trailers: { App: 'podinfo', Action: 'release' } };
    expect(trafficLines(plain)).toEqual([]);
  });

  it('puts the Traffic trailers in the check run', () => {
    const out = checkOutput(mirrorStep);
    expect(out.summary).toContain('- Traffic: mirror=50');
    expect(out.summary).toContain('- Old-Traffic: ab: header user-agent~.*Firefox.*');
  });
});

describe('notices', () => {
  const repo = { id: { owner: 'acme', name: 'config' }, cloneUrl: 'unused' };
  const notice = (plan: Plan) => noticeFor({ plan, status: 'committed', commit: 'a'.repeat(40), message: plan.title }, { repo })!;

  it('describe the step beside the weights', () => {
    expect(notice(abStep).traffic).toBe('step 1/5: A/B header user-agent ~ .*Firefox.*');
    expect(notice(mirrorStep).traffic).toBe('step 2/5: mirror 50%');
    expect(notice(weightStep).traffic).toBe('step 3/5: mirror 50% removed');
    expect(notice({ ...weightStep, trailers: { ...weightStep.trailers, 'Old-Traffic': '' } }).traffic).toBeUndefined();
  });

  it('render it in Slack, in the one-line summary and in cards', () => {
    const n = notice(abStep);
    expect(summary(n)).toContain('step 1/5: A/B header user-agent ~ .*Firefox.*');
    const section = blocks(n).find((b) => b.type === 'section' && b.fields?.some((f) => f.text.startsWith('*Traffic*')));
    expect(section?.type === 'section' && section.fields?.find((f) => f.text.startsWith('*Traffic*'))?.text).toBe('*Traffic*\n`step 1/5: A/B header user-agent ~ .*Firefox.*`');
    expect(blockKitProblems({ text: summary(n), blocks: blocks(n) })).toEqual([]);
    expect(card(n).facts).toContainEqual(['Traffic', 'step 1/5: A/B header user-agent ~ .*Firefox.*']);
  });
});
