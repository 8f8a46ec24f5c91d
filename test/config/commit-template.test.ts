// `commitMessage` templates: the syntax, the config errors that name the field and line,
// and the top-level template that every app without its own inherits.
import { describe, expect, it } from 'vitest';
import { commitTemplateProblem, renderCommitTemplate, templateUses, TEMPLATE_FIELDS, type TemplateValues } from '../../src/config/commit-template.ts';
import { ConfigValidationError, parseConfig } from '../../src/config/index.ts';

const values = Object.fromEntries(Object.keys(TEMPLATE_FIELDS).map((k) => [k, `<${k}>`])) as TemplateValues;
const edits = [
  { file: 'a.yaml', object: 'Deployment/test/a', field: 'image', old: 'x:1', new: 'x:2' },
  { file: 'b.yaml', object: 'Deployment/test/b', field: 'image', old: 'x:1', new: 'x:2' },
];

describe('commit message templates', () => {
  it('fills placeholders, spaces inside the braces allowed, and repeats the edits section per edit', () => {
    expect(renderCommitTemplate('{{app}}: {{ tag }} ({{oldTag}})', values, edits)).toBe('<app>: <tag> (<oldTag>)');
    const t = 'deploy {{app}}\n\n{{#edits}}\n* {{file}} {{object}}: {{old}} => {{new}} [{{app}}]\n{{/edits}}\nend';
    // a section tag alone on its line leaves no empty line behind
    expect(renderCommitTemplate(t, values, edits)).toBe('deploy <app>\n\n* a.yaml Deployment/test/a: x:1 => x:2 [<app>]\n* b.yaml Deployment/test/b: x:1 => x:2 [<app>]\nend');
    expect(renderCommitTemplate('x{{#edits}}{{file}},{{/edits}}', values, [])).toBe('x');
    expect(renderCommitTemplate('a } b }} c', values, [])).toBe('a } b }} c');
  });

  it('says which placeholder is unknown, with the one meant and the known ones', () => {
    expect(commitTemplateProblem('{{app}}: {{tga}}')).toBe(
      `unknown placeholder {{tga}} (did you mean {{tag}}?); known: ${Object.keys(TEMPLATE_FIELDS).map((k) => `{{${k}}}`).join(', ')}`,
    );
    expect(commitTemplateProblem('{{app}} {{file}}')).toBe('{{file}} stands for one edit: use it between {{#edits}} and {{/edits}}');
    expect(commitTemplateProblem('{{app}}\n{{#edits}}{{fle}}{{/edits}}')).toMatch(/^unknown placeholder \{\{fle\}\} in \{\{#edits\}\} \(did you mean \{\{file\}\}\?\)/);
    expect(commitTemplateProblem('{{app}} {{#changes}}{{/changes}}')).toBe('unknown section {{#changes}}: the one section is {{#edits}}…{{/edits}}');
    expect(commitTemplateProblem('{{app}} {{#edits}}x')).toBe('{{#edits}} is never closed with {{/edits}}');
    expect(commitTemplateProblem('{{app}} {{/edits}}')).toBe('{{/edits}} closes no {{#edits}}');
    expect(commitTemplateProblem('{{#edits}}{{#edits}}{{/edits}}{{/edits}}')).toBe('{{#edits}} inside {{#edits}}: sections do not nest');
    expect(commitTemplateProblem('{{app}} {{tag')).toBe('"{{" without a closing "}}" in "{{tag"');
    expect(commitTemplateProblem('{{ tag | upper }}')).toMatch(/^unknown placeholder \{\{tag \| upper\}\}/);
    expect(commitTemplateProblem('\nbody only')).toBe('the first line is the commit subject and must not be empty');
    expect(commitTemplateProblem('{{app}}: {{tag}}\n\n{{body}}')).toBeUndefined();
  });

  it('tells which fields a template uses', () => {
    expect(templateUses('{{app}} {{edits}}', 'edits')).toBe(true);
    expect(templateUses('{{app}}\n{{#edits}}{{body}}{{/edits}}', 'body')).toBe(true);
    expect(templateUses('{{app}}\n{{#edits}}{{file}}{{/edits}}', 'edits')).toBe(false);
    expect(templateUses('{{app}}\n{{#edits}}{{file}}{{/edits}}', 'edits-section')).toBe(true);
  });
});

const APP = [
  '    image: ghcr.io/example/podinfo',
  '    source: example/podinfo',
  '    tracks:',
  '      stable: { filter: "semver:0.1.*", paths: ["apps/podinfo/ga-dep.yaml"] }',
];

describe('commitMessage in the config', () => {
  it('an unknown placeholder is a config error naming the file, line and field', () => {
    const text = ['apps:', '  podinfo:', ...APP, '    commitMessage: "{{app}}: {{tga}}"', ''].join('\n');
    let err: unknown;
    try {
      parseConfig(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    expect((err as Error).message).toContain('.github/gitops-canary.yml:7 apps.podinfo.commitMessage: unknown placeholder {{tga}} (did you mean {{tag}}?)');
    const top = ['commitMessage: |', '  {{ap}}', 'apps:', '  podinfo:', ...APP, ''].join('\n');
    expect(() => parseConfig(top)).toThrow(/\.github\/gitops-canary\.yml:1 commitMessage: unknown placeholder \{\{ap\}\} \(did you mean \{\{app\}\}\?\)/);
  });

  it('a top-level template applies to every app without one of its own', () => {
    const text = [
      'commitMessage: "chore({{app}}): {{action}}"',
      'apps:',
      '  podinfo:',
      ...APP,
      '  other:',
      ...APP.map((l) => l.replace('podinfo', 'other')),
      '    commitMessage: "other: {{tag}}"',
      '',
    ].join('\n');
    const config = parseConfig(text);
    expect(config.commitMessage).toBe('chore({{app}}): {{action}}');
    expect(config.apps.podinfo.commitMessage).toBe('chore({{app}}): {{action}}');
    expect(config.apps.other.commitMessage).toBe('other: {{tag}}');
    expect(parseConfig(['apps:', '  podinfo:', ...APP, ''].join('\n')).apps.podinfo.commitMessage).toBeUndefined();
  });
});
