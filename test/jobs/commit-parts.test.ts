// The commit message of a plan with and without a `commitMessage` template: the template
// gives subject and body; what rollbacks read back (the edit lines) and what reviewers must
// see (skipped files, analysis warnings) stays unless the template places it; trailers last.
import { describe, expect, it } from 'vitest';
import { formatMessage, parseTrailers } from '../../src/git/trailers.ts';
import { commitBody, commitParts, parseEditLines } from '../../src/jobs/render.ts';
import type { Plan } from '../../src/plan.ts';

const plan: Plan = {
  action: 'release',
  app: 'podinfo',
  track: 'canary',
  title: 'podinfo: canary 0.2.0 → 0.2.1',
  edits: [
    { file: 'apps/podinfo/canary-dep.yaml', object: { kind: 'Deployment', namespace: 'test', name: 'podinfo-canary' }, field: 'spec.template.spec.containers[podinfo].image', old: 'ghcr.io/example/podinfo:0.2.0', new: 'ghcr.io/example/podinfo:0.2.1' },
  ],
  skipped: [{ file: 'apps/podinfo/broken.yaml', code: 'PARSE_YAML', reason: 'apps/podinfo/broken.yaml:3: invalid YAML' }],
  trailers: { App: 'podinfo', Action: 'release', Track: 'canary', Tag: '0.2.1', 'Old-Tag': '0.2.0' },
};

describe('commitParts', () => {
  it('without a template: the title and the bot\'s body, then the note', () => {
    expect(commitParts(plan)).toEqual({ subject: plan.title, body: commitBody(plan) });
    expect(commitParts(plan, undefined, 'bake over')).toEqual({ subject: plan.title, body: `${commitBody(plan)}\n\nbake over` });
  });

  it('a template gives subject and body; the edit lines, skipped files and warnings follow it', () => {
    const parts = commitParts(plan, 'deploy({{app}}): {{tag}} on {{track}}\n\nwas {{oldTag}}; {{action}}', 'note');
    expect(parts.subject).toBe('deploy(podinfo): 0.2.1 on canary');
    expect(parts.body).toBe(
      [
        'was 0.2.0; release',
        '- apps/podinfo/canary-dep.yaml Deployment/test/podinfo-canary spec.template.spec.containers[podinfo].image: ghcr.io/example/podinfo:0.2.0 -> ghcr.io/example/podinfo:0.2.1',
        'Skipped:\n- apps/podinfo/broken.yaml:3: invalid YAML',
        'note',
      ].join('\n\n'),
    );
    // the message as committed: template, then trailers; a rollback still reads the edits back
    const message = formatMessage({ ...parts, trailers: plan.trailers });
    expect(message.startsWith('deploy(podinfo): 0.2.1 on canary\n\nwas 0.2.0; release\n\n')).toBe(true);
    expect(parseTrailers(message)).toEqual(plan.trailers);
    expect(parseEditLines(message)).toEqual(plan.edits);
  });

  it('{{edits}} and {{body}} place those parts where the template says, once', () => {
    const withEdits = commitParts(plan, '{{title}}\n\nChanges:\n{{edits}}');
    expect(withEdits.body).toBe(`Changes:\n${commitBody({ ...plan, skipped: [] })}\n\nSkipped:\n- apps/podinfo/broken.yaml:3: invalid YAML`);
    const withBody = commitParts(plan, '[bot] {{title}}\n\n{{body}}\n\nSee the runbook.');
    expect(withBody).toEqual({ subject: `[bot] ${plan.title}`, body: `${commitBody(plan)}\n\nSee the runbook.` });
    const section = commitParts(plan, '{{app}}\n\n{{#edits}}\n{{file}}: {{old}} -> {{new}}\n{{/edits}}');
    expect(section.body.split('\n')[0]).toBe('apps/podinfo/canary-dep.yaml: ghcr.io/example/podinfo:0.2.0 -> ghcr.io/example/podinfo:0.2.1');
    // the machine-read edit lines are still there below the section's own rendering
    expect(parseEditLines(section.body)).toEqual(plan.edits);
  });

  it('a subject that renders empty for this plan falls back to the plan\'s title', () => {
    expect(commitParts({ ...plan, trailers: { App: 'podinfo' } }, '{{tag}}').subject).toBe(plan.title);
  });
});
