import { objectLabel } from '../plan.ts';
import type { Finding, RepoObject, Severity } from './types.ts';

/** A finding on one field of an object; `path` locates its line. */
export function findingAt(o: RepoObject, path: readonly (string | number)[], field: string, severity: Severity, code: string, message: string): Finding {
  return { severity, file: o.file, line: o.lineAt(path), object: objectLabel(o.ref), field, message, code };
}
