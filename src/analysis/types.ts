// The vocabulary of the analysis layer. Findings are plain data, like plans: the CLI
// prints them, the bot puts them in comments and check runs, --json emits them as is.
import type { ObjectRef } from '../plan.ts';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  file: string;
  line?: number;
  /** `Kind/namespace/name`, as objectLabel writes it. */
  object?: string;
  /** Path inside the object's spec as Istio and kubectl print it: `http[0].route[2].destination.subset`. */
  field?: string;
  message: string;
  /** Stable identifier for tests and suppression lists, e.g. `ISTIO_UNKNOWN_SUBSET`. */
  code: string;
}

/** One Kubernetes object of the repo, as it would be after the change. */
export interface RepoObject {
  file: string;
  ref: ObjectRef;
  /** The document as plain data. */
  value: Record<string, unknown>;
  /** 1-based line of the value at a path inside the document (the object's first line
   *  when the path does not exist). */
  lineAt(path: readonly (string | number)[]): number;
}

/** The repo as the change would leave it, read lazily: analyzers ask for what they need
 *  and only files that can hold it are parsed. */
export interface RepoView {
  /** Objects of the given kinds in files containing any of the tokens (a cheap screen). */
  objects(kinds: readonly string[], tokens: readonly string[]): Promise<RepoObject[]>;
}

/** Checks one kind of object. `subject` is an object the change touches (or, for
 *  `validate`, an object of a file the config names). */
export interface Analyzer {
  readonly name: string;
  readonly kinds: readonly string[];
  analyze(subject: RepoObject, repo: RepoView): Promise<Finding[]>;
}

export function renderFinding(f: Finding): string {
  const where = [f.line ? `${f.file}:${f.line}` : f.file, f.object, f.field].filter(Boolean).join(' ');
  return `${where}: ${f.message}`;
}

/** `warning: …` lines for warnings; errors are printed plainly. */
export function findingLine(f: Finding): string {
  return f.severity === 'warning' ? `warning: ${renderFinding(f)}` : renderFinding(f);
}
