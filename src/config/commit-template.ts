// `commitMessage:` templates, modelled on Flux's ImageUpdateAutomation messageTemplate but
// logic-free: `{{field}}` placeholders and one `{{#edits}}…{{/edits}}` section repeated per
// edit. The first line is the commit subject, the rest its body. A placeholder the bot does
// not know is a config error, so a typo never lands in the history as literal braces.
import { ConfigError } from '../errors.ts';
import { suggestTypo } from './suggest-typo.ts';

/** Placeholders anywhere in a template, with what they stand for (README lists these). */
export const TEMPLATE_FIELDS = {
  title: 'the plan\'s own one-line title',
  app: 'the app',
  action: 'release, set-image, set-weight, step, promote, abort, ab',
  track: 'the track the change is for',
  tag: 'the tag written',
  oldTag: 'the tag it replaces',
  step: 'the rollout step, e.g. 2/3',
  weights: 'the weights after the change, e.g. stable=90,canary=10',
  oldWeights: 'the weights before it',
  edits: 'one line per edit: - <file> <kind>/<name> <field>: <old> -> <new>',
  body: 'the bot\'s own body: the edit lines, skipped files and analysis warnings',
} as const;

/** Placeholders inside `{{#edits}}…{{/edits}}`, for the edit being rendered. */
export const EDIT_FIELDS = {
  file: 'the file',
  object: 'the object, kind/namespace/name',
  field: 'the field, e.g. spec.template.spec.containers[podinfo].image',
  old: 'the value before',
  new: 'the value after',
} as const;

type Part = { text: string } | { field: string } | { edits: Part[] };

const TAG = /\{\{\s*([#/]?)([^{}]*?)\s*\}\}/g;
// a section tag alone on its line leaves no empty line behind, as in Mustache
const STANDALONE = /^[ \t]*(\{\{\s*[#/]\s*edits\s*\}\})[ \t]*\r?\n/gm;

function unknown(name: string, known: readonly string[], where: string): string {
  const hint = suggestTypo(name, known);
  const list = known.map((k) => `{{${k}}}`).join(', ');
  return `unknown placeholder {{${name}}}${where}${hint ? ` (did you mean {{${hint}}}?)` : ''}; known: ${list}`;
}

/** The template as parts, or why it is not a template. */
function parse(template: string): { parts: Part[] } | { error: string } {
  const src = template.replace(STANDALONE, '$1');
  const top: Part[] = [];
  let section: Part[] | undefined;
  let at = 0;
  const out = () => section ?? top;
  for (const m of src.matchAll(TAG)) {
    const before = src.slice(at, m.index);
    if (before.includes('{{')) return { error: `"{{" without a closing "}}" in ${JSON.stringify(before.slice(before.indexOf('{{')).split('\n')[0])}` };
    if (before) out().push({ text: before });
    at = m.index + m[0].length;
    const mark = m[1];
    const name = m[2].trim();
    if (mark === '#') {
      if (name !== 'edits') return { error: `unknown section {{#${name}}}: the one section is {{#edits}}…{{/edits}}` };
      if (section) return { error: '{{#edits}} inside {{#edits}}: sections do not nest' };
      section = [];
    } else if (mark === '/') {
      if (name !== 'edits' || !section) return { error: `{{/${name}}} closes no {{#${name}}}` };
      top.push({ edits: section });
      section = undefined;
    } else if (section) {
      if (!(name in EDIT_FIELDS) && !(name in TEMPLATE_FIELDS)) return { error: unknown(name, [...Object.keys(EDIT_FIELDS), ...Object.keys(TEMPLATE_FIELDS)], ' in {{#edits}}') };
      section.push({ field: name });
    } else {
      if (name in EDIT_FIELDS) return { error: `{{${name}}} stands for one edit: use it between {{#edits}} and {{/edits}}` };
      if (!(name in TEMPLATE_FIELDS)) return { error: unknown(name, Object.keys(TEMPLATE_FIELDS), '') };
      top.push({ field: name });
    }
  }
  const rest = src.slice(at);
  if (rest.includes('{{')) return { error: `"{{" without a closing "}}" in ${JSON.stringify(rest.slice(rest.indexOf('{{')).split('\n')[0])}` };
  if (section) return { error: '{{#edits}} is never closed with {{/edits}}' };
  if (rest) top.push({ text: rest });
  return { parts: top };
}

/** Why `template` cannot be used, or undefined (the schema's check). */
export function commitTemplateProblem(template: string): string | undefined {
  if (template.split('\n')[0].trim() === '') return 'the first line is the commit subject and must not be empty';
  const r = parse(template);
  return 'error' in r ? r.error : undefined;
}

/** Whether the template names `field` (outside or inside the edits section). */
export function templateUses(template: string, field: keyof typeof TEMPLATE_FIELDS | 'edits-section'): boolean {
  const r = parse(template);
  if ('error' in r) return false;
  const walk = (parts: Part[]): boolean =>
    parts.some((p) => ('field' in p && p.field === field) || ('edits' in p && (field === 'edits-section' || walk(p.edits))));
  return walk(r.parts);
}

export type TemplateValues = Record<keyof typeof TEMPLATE_FIELDS, string>;
export type EditValues = Record<keyof typeof EDIT_FIELDS, string>;

/** The text of `template` for these values (a missing value renders as nothing). */
export function renderCommitTemplate(template: string, values: TemplateValues, edits: readonly EditValues[]): string {
  const r = parse(template);
  if ('error' in r) throw new ConfigError('CONFIG_COMMIT_MESSAGE', `commitMessage: ${r.error}`, { field: 'commitMessage' });
  const render = (parts: Part[], edit?: EditValues): string =>
    parts
      .map((p) => {
        if ('text' in p) return p.text;
        if ('edits' in p) return edits.map((e) => render(p.edits, e)).join('');
        return (edit && p.field in edit ? edit[p.field as keyof EditValues] : values[p.field as keyof TemplateValues]) ?? '';
      })
      .join('');
  return render(r.parts);
}
