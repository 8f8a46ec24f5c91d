// Findings on a person's pull request as a check run: annotations on file and line, and
// a summary that still reads when annotations are not shown (the API, notifications).
import { findingLine, type Finding } from '../analysis/types.ts';
import type { CheckAnnotation, CheckReport } from '../forge/types.ts';

export function prCheckReport(findings: Finding[], watched: string[]): CheckReport {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const files = watched.map((f) => `- \`${f}\``).join('\n');
  const listed = findings.map((f) => `- ${findingLine(f)}`).join('\n');
  return {
    // Warnings do not fail the check, as `gitops-canary validate` exits 0 on them.
    conclusion: errors ? 'failure' : 'success',
    title: findings.length ? `${errors} error(s), ${warnings} warning(s)` : 'No problems found',
    summary: [`Changed files the config watches:\n${files}`, listed && `Findings:\n${listed}`].filter(Boolean).join('\n\n'),
    annotations: findings.map(annotationOf),
  };
}

function annotationOf(f: Finding): CheckAnnotation {
  // A finding without a line (a missing file) still belongs to its file: GitHub needs a line.
  const line = f.line ?? 1;
  const where = [f.object, f.field].filter(Boolean).join(' ');
  return { path: f.file, start_line: line, end_line: line, annotation_level: f.severity === 'error' ? 'failure' : 'warning', message: where ? `${where}: ${f.message}` : f.message, title: f.code };
}
