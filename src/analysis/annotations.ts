// Findings as GitHub workflow commands: the runner turns `::error file=…,line=…::…`
// lines on stdout into annotations on the pull request's diff.
import { renderFinding, type Finding } from './types.ts';

// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `file` is relative to the repo; `prefix` places it in the workspace the runner checked out. */
export function annotation(f: Finding, prefix = ''): string {
  const props = [`file=${escapeProperty(prefix ? `${prefix}/${f.file}` : f.file)}`];
  if (f.line) props.push(`line=${f.line}`);
  props.push(`title=${escapeProperty(f.code)}`);
  const text = [f.object, f.field].filter(Boolean).join(' ');
  return `::${f.severity} ${props.join(',')}::${escapeData(text ? `${text}: ${f.message}` : renderFinding(f))}`;
}
