// Analysis of a rollback. A rollback is the emergency exit: the repo it returns to may
// already carry problems the bad change did not bring (a DestinationRule edited by hand
// since, a route someone else broke), and refusing the rollback for those would keep the
// bad change live. So a rollback is refused only for errors the revert introduces: the
// objects it touches are analyzed as the revert would leave them and as they are now,
// and an error found both times (same file, object, field and message; lines may move)
// is reported as a warning instead.
import type { Prepared } from '../jobs/prepared.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { analyzeChange, analyzeObjects, changeSubjects } from './analyze.ts';
import { settle, type AnalysisMode } from './gate.ts';
import type { Finding } from './types.ts';
import { overlayView } from './view.ts';

const keyOf = (f: Finding) => [f.file, f.object ?? '', f.field ?? '', f.message].join('\0');

/** `files` without the ones the revert deletes. */
function without(files: RepoFiles, deleted: readonly string[]): RepoFiles {
  if (deleted.length === 0) return files;
  const gone = new Set(deleted);
  // no `version`: these files differ from the tree a cache would be keyed by
  return {
    root: files.root,
    list: async () => (await files.list()).filter((f) => !gone.has(f)),
    read: async (rel) => {
      if (gone.has(rel)) throw new Error(`${rel} is deleted by the revert`);
      return files.read(rel);
    },
    grep: async (tokens) => (await files.grep(tokens)).filter((f) => !gone.has(f)),
  };
}

/** Findings on the objects the revert touches, in the repo as it would leave them;
 *  errors they already have now are warnings. */
export async function analyzeRevert(files: RepoFiles, prepared: Prepared, deleted: readonly string[] = []): Promise<Finding[]> {
  const after = await analyzeChange(without(files, deleted), prepared);
  if (!after.some((f) => f.severity === 'error')) return after;
  const now = overlayView(files);
  const before = new Set((await analyzeObjects(await changeSubjects(now, prepared), now)).filter((f) => f.severity === 'error').map(keyOf));
  return after.map((f) =>
    f.severity === 'error' && before.has(keyOf(f)) ? { ...f, severity: 'warning' as const, message: `${f.message}; so before this rollback too (a rollback is refused only for errors it brings)` } : f,
  );
}

/** The gate for a rollback: `settle` on what the revert introduces. */
export async function revertGate(files: RepoFiles, prepared: Prepared, deleted: readonly string[], mode: AnalysisMode): Promise<Prepared> {
  return settle(prepared, await analyzeRevert(files, prepared, deleted), mode);
}
