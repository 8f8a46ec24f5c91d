// Analysis of the repo as a change would leave it. Only the objects the change touches
// are checked, against the objects they refer to: a big repo's unrelated problems must
// not block a change that does not touch them.
import type { Prepared } from '../jobs/prepared.ts';
import type { RepoFiles } from '../manifests/files.ts';
import type { Edit, ObjectRef } from '../plan.ts';
import { IMAGE_REF_CODE, imageReferences } from './image-refs.ts';
import { analyzersFor } from './registry.ts';
import { SCHEMA_CODE, schemaFindings } from './schema-hook.ts';
import { renderFinding, type Finding, type RepoObject, type RepoView } from './types.ts';
import { overlayView, type OverlayView } from './view.ts';

export async function analyzeObjects(subjects: readonly RepoObject[], repo: RepoView): Promise<Finding[]> {
  const all: Finding[] = [];
  for (const o of subjects) {
    all.push(...(await schemaFindings(o)));
    for (const a of analyzersFor(o.ref.kind)) all.push(...(await a.analyze(o, repo)));
  }
  return ordered(all);
}

/** The objects a change touches, as `view` holds them: the files it writes, narrowed to the
 *  objects its edits name. */
export async function changeSubjects(view: OverlayView, prepared: Prepared): Promise<RepoObject[]> {
  // the edits by file, once: a sidecar's 801 files and edits, filtered per file, were
  // 640,000 comparisons
  const edits = new Map<string, Edit[]>();
  for (const e of prepared.plan.edits) {
    const list = edits.get(e.file);
    if (list) list.push(e);
    else edits.set(e.file, [e]);
  }
  const subjects: RepoObject[] = [];
  for (const rel of prepared.writes.keys()) subjects.push(...touched(await view.fileObjects(rel), edits.get(rel) ?? []));
  return subjects;
}

/** Findings on the objects `prepared` changes, in the repo as it would be with its writes. */
export async function analyzeChange(files: RepoFiles, prepared: Prepared): Promise<Finding[]> {
  if (prepared.writes.size === 0) return [];
  const view = overlayView(files, prepared.writes);
  const subjects = await changeSubjects(view, prepared);
  return ordered(await excusePreexisting(await analyzeObjects(subjects, view), subjects, overlayView(files)));
}

// Checks that judge an object by itself, not by what it refers to.
const SELF_CODES = new Set([SCHEMA_CODE, IMAGE_REF_CODE]);

async function selfFindings(o: RepoObject, repo: RepoView): Promise<Finding[]> {
  const images = imageReferences.kinds.includes(o.ref.kind) ? await imageReferences.analyze(o, repo) : [];
  return [...(await schemaFindings(o)), ...images];
}

/** A violation of the object's own rules (its schema, an image reference) that it had
 *  before the change (a Deployment without `spec.selector` that the cluster accepts
 *  through some other path, a minimal fixture) is not the change's doing: refusing an
 *  image bump for it would only block the fix's delivery. It stays visible as a warning.
 *  A reference the change writes has a message of its own (it quotes the reference). */
async function excusePreexisting(findings: Finding[], subjects: RepoObject[], before: OverlayView): Promise<Finding[]> {
  if (!findings.some((f) => SELF_CODES.has(f.code) && f.severity === 'error')) return findings;
  const old = new Set<string>();
  for (const o of subjects) {
    const prior = (await before.fileObjects(o.file)).find((p) => sameObject(p.ref, o.ref));
    if (prior) for (const f of await selfFindings(prior, before)) old.add(`${f.object}\0${f.field}\0${f.message}`);
  }
  return findings.map((f) =>
    SELF_CODES.has(f.code) && f.severity === 'error' && old.has(`${f.object}\0${f.field}\0${f.message}`) ? { ...f, severity: 'warning' as const, message: `${f.message}; so before this change too` } : f,
  );
}

/** Findings on every object of the given files, in the repo as it is (`validate`). */
export async function analyzeFiles(files: RepoFiles, paths: readonly string[]): Promise<Finding[]> {
  const view: OverlayView = overlayView(files);
  const subjects = (await Promise.all([...new Set(paths)].map((p) => view.fileObjects(p)))).flat();
  return analyzeObjects(subjects, view);
}

/** The objects of a file that the edits name; all of them when the edits name none
 *  (an editor that describes its object differently must not hide it from analysis). */
function touched(objects: RepoObject[], edits: Edit[]): RepoObject[] {
  const named = objects.filter((o) => edits.some((e) => sameObject(o.ref, e.object)));
  return named.length ? named : objects;
}

function sameObject(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

/** Errors first, then by file and line; the same finding reached twice (a subset checked
 *  for a VirtualService and for its DestinationRule) is kept once. */
export function ordered(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  const unique = findings.filter((f) => {
    const key = `${f.severity} ${renderFinding(f)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
}
