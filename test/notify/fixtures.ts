import type { Plan } from '../../src/plan.ts';
import type { Notice } from '../../src/notify/types.ts';

export function plan(edits = 2): Plan {
  return {
    action: 'release',
    title: 'release podinfo 0.2.1 to canary',
    app: 'podinfo',
    track: 'canary',
    edits: Array.from({ length: edits }, (_, i) => ({
      file: `apps/podinfo/deploy-${i}.yaml`,
      object: { kind: 'Deployment', namespace: 'web', name: `podinfo-${i}` },
      field: 'spec.template.spec.containers[podinfo].image',
      old: 'ghcr.io/org/podinfo:0.2.0',
      new: 'ghcr.io/org/podinfo:0.2.1',
    })),
    skipped: [],
    trailers: { Action: 'release' },
  };
}

export function notice(over: Partial<Notice> = {}): Notice {
  return {
    kind: 'pr-opened',
    app: 'podinfo',
    track: 'canary',
    tag: '0.2.1',
    oldTag: '0.2.0',
    weights: { stable: 90, canary: 10 },
    oldWeights: { stable: 100, canary: 0 },
    link: { url: 'https://github.com/org/config/pull/12', label: 'org/config#12' },
    repo: 'org/config',
    plan: plan(),
    actor: 'alice',
    ...over,
  };
}
