// Renderings of one plan: the PR body and the check run show the same table.
import { describe, expect, it } from 'vitest';
import { checkOutput, prBody } from '../../src/jobs/render.ts';
import type { Plan } from '../../src/plan.ts';

function plan(over: Partial<Plan> = {}): Plan {
  return {
    action: 'release',
    title: 'podinfo: canary 0.2.0 → 0.2.1, canary weight 10%',
    app: 'podinfo',
    track: 'canary',
    edits: [
      { file: 'apps/podinfo/canary-dep.yaml', object: { kind: 'Deployment', namespace: 'test', name: 'podinfo-canary' }, field: 'spec.template.spec.containers[podinfod].image', old: 'ghcr.io/example/podinfo:0.2.0', new: 'ghcr.io/example/podinfo:0.2.1' },
      { file: 'apps/podinfo/virtual-service.yaml', object: { kind: 'VirtualService', namespace: 'test', name: 'podinfo' }, field: 'spec.http[0].route[1].weight', old: 0, new: 10 },
    ],
    skipped: [],
    trailers: { App: 'podinfo', Step: '1/3', Weights: 'ga=90,canary=10' },
    ...over,
  };
}

describe('checkOutput', () => {
  it('is a success carrying the PR body\'s table and the rollout step', () => {
    const out = checkOutput(plan());
    expect(out.conclusion).toBe('success');
    expect(out.title).toBe('podinfo: canary 0.2.0 → 0.2.1, canary weight 10%');
    const table = prBody(plan()).split('\n').filter((l) => l.startsWith('|'));
    expect(table).toHaveLength(4);
    for (const row of table) expect(out.summary).toContain(row);
    expect(out.summary).toContain('- Step: 1/3');
    expect(out.summary).toContain('- Weights: ga=90,canary=10');
    expect(out.summary).toMatch(/^Every changed file was parsed again/);
  });

  it('is neutral when a file could not be read or edited, but not for tag decisions', () => {
    const tagOnly = checkOutput(plan({ skipped: [{ file: 'apps/podinfo/ga-dep.yaml', code: 'TAG_NOT_MATCHED', reason: 'tag 0.2.1 does not match semver:0.1.*' }] }));
    expect(tagOnly.conclusion).toBe('success');
    const broken = checkOutput(plan({ skipped: [{ file: 'apps/podinfo/extra.yaml', code: 'YAML_PARSE', reason: 'apps/podinfo/extra.yaml:3: bad indentation' }] }));
    expect(broken.conclusion).toBe('neutral');
    expect(broken.summary).toMatch(/^1 place\(s\) could not be read or edited/);
    expect(broken.summary).toContain('- apps/podinfo/extra.yaml:3: bad indentation');
  });

  it('has no rollout section for a plain image change', () => {
    expect(checkOutput(plan({ trailers: { App: 'podinfo' } })).summary).not.toContain('**Rollout**');
  });
});
