// The CLI's `validate`: prints findings as text, JSON or GitHub annotations and answers
// with the exit code (0 clean or only warnings, 1 errors, 2 usage).
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { annotation } from './annotations.ts';
import { findingLine } from './types.ts';
import { validateRepo } from './validate.ts';

interface Out {
  log(s: string): void;
  err(s: string): void;
}

export async function validateCommand(dir: string, files: RepoFiles, opts: { json?: boolean; format?: string }, out: Out): Promise<number> {
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'github') throw new UsageError('USAGE', `--format must be text or github, got "${format}"`);
  const { findings, files: checked } = await validateRepo(dir, files);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const summary = `${errors} error(s), ${warnings} warning(s) in the config and ${checked.length} routing file(s)`;
  if (opts.json) {
    out.log(JSON.stringify({ ok: errors === 0, errors, warnings, files: checked, findings }, null, 2));
  } else if (format === 'github') {
    // the runner's paths are relative to its workspace, which may hold the repo in a subdirectory
    const ws = process.env.GITHUB_WORKSPACE;
    const rel = ws ? path.relative(path.resolve(ws), dir).split(path.sep).join('/') : '';
    const prefix = rel && !rel.startsWith('..') ? rel : '';
    for (const f of findings) out.log(annotation(f, prefix));
    out.log(summary);
  } else {
    for (const f of findings) out.log(findingLine(f));
    out.log(errors || warnings ? summary : `ok: ${summary}`);
  }
  return errors ? 1 : 0;
}
