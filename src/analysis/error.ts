import { BotError } from '../errors.ts';
import { findingLine, type Finding } from './types.ts';

/** A planned change that analysis refused: nothing was written, committed or pushed.
 *  The message is one line per finding, errors first. */
export class AnalysisError extends BotError {
  readonly findings: Finding[];

  constructor(findings: Finding[]) {
    const errors = findings.filter((f) => f.severity === 'error');
    const lines = [...errors, ...findings.filter((f) => f.severity !== 'error')].map(findingLine);
    const tail = errors.length > 1 ? `\n(${errors.length} errors; nothing was changed)` : '';
    super('ANALYSIS_FAILED', `${lines.join('\n')}${tail}`);
    this.findings = findings;
  }
}
