// Anchored image values. `image: &app ghcr.io/acme/app:1.2.3` with `image: *app` in the
// same document is one value written in several image fields: editing the anchor is
// right exactly when every alias of it is a field the image editors themselves report
// for the same repository and the same part (whole reference, tag, digest). Anything
// else that shares the value (an env var, a label, an aliased pod template, another
// image's tag) would change unseen, so the reference is refused as before.
//
// Alias fields are not references of their own (the editors skip them); to learn what
// an alias field is, each alias of the value is written out as a plain copy and the
// editors are asked what they find there.
import { EditError } from '../errors.ts';
import { objectLabel } from '../plan.ts';
import { sameRepository } from '../policy/image.ts';
import { aliasUses, samePath, type AliasUse } from './anchors.ts';
import { pathLabel } from './flux-markers.ts';
import { parseManifest } from './parse.ts';
import { applyTextEdits } from './text.ts';
import type { AliasChange, Change, ImageEditor, ImageRef, ManifestFile } from './types.ts';
import { scalarText } from './workload-images.ts';
import { isScalar } from './yaml.ts';

export interface Followed {
  /** The change, carrying its vetted aliases when it writes an anchored value. */
  change: Change;
  /** What the editors report at each alias: the planner gates them like the reference. */
  refs: ImageRef[];
}

const PART: Record<ImageRef['part'], string> = { ref: 'a whole image reference', tag: 'a tag', name: 'an image name', digest: 'a digest' };

/** The part of the image the change's own field holds: the reference's, or the digest a
 *  tag-and-digest layout writes beside the tag (helm values, kustomize). */
function partOf(change: Change, ref: ImageRef): ImageRef['part'] | undefined {
  if (samePath(change.path, ref.path)) return ref.part;
  return change.path[change.path.length - 1] === 'digest' ? 'digest' : undefined;
}

/** The editors' references in `file` with every direct alias of the value replaced by a
 *  plain copy of it; undefined when that copy does not parse. */
function refsWithCopies(file: ManifestFile, uses: AliasUse[], value: string, editors: readonly ImageEditor[]): ImageRef[] | undefined {
  const text = applyTextEdits(
    file.text,
    uses.map((u) => ({ start: u.start, end: u.end, text: JSON.stringify(value) })),
  );
  let copy: ManifestFile;
  try {
    copy = parseManifest(file.path, text);
  } catch {
    return undefined;
  }
  return editors.flatMap((e) => e.find(copy));
}

/** `change` with the aliases of the anchored value it writes, when every one of them is an
 *  image field of `ref`'s repository holding the same part; the change as it is when it
 *  writes no aliased value. Throws EDIT_ANCHORED naming the first alias that is not. */
export function followAliases(file: ManifestFile, change: Change, ref: ImageRef, editors: readonly ImageEditor[]): Followed {
  const doc = file.docs[change.docIndex]?.doc;
  const node = doc?.getIn(change.path, true);
  if (!doc || !isScalar(node)) return { change, refs: [] };
  const uses = file.text.includes('*') ? aliasUses(doc, node) : [];
  if (!node.anchor && uses.length === 0) return { change, refs: [] };
  const where = { file: file.path, line: file.lineOf(node.range?.[0] ?? 0), object: objectLabel(ref.object), field: change.edit.field };
  const at = (u: AliasUse) => `${file.path}:${file.lineOf(u.start)} (${pathLabel(u.path)})`;
  const refuse = (why: string) => new EditError('EDIT_ANCHORED', `${why}; edit it by hand`, where);
  const anchored = `value is anchored (&${node.anchor})`;

  const shared = uses.find((u) => u.kind !== 'value');
  if (shared?.kind === 'collection') throw refuse(`value is part of a collection aliased at ${at(shared)}, which copies it outside any image field`);
  if (shared) throw refuse(`${anchored} and its alias at ${at(shared)} is a map key, not an image field`);

  // an anchor nothing refers to shares the value with nothing
  if (uses.length === 0) return { change: { ...change, aliases: [] }, refs: [] };
  const part = partOf(change, ref);
  const old = scalarText(node);
  if (part === undefined || old === undefined) throw refuse(`${anchored} and aliased at ${at(uses[0])}`);
  const found = refsWithCopies(file, uses, old, editors);
  const aliases: AliasChange[] = [];
  const refs: ImageRef[] = [];
  for (const u of uses) {
    const r = found?.find((f) => f.docIndex === change.docIndex && samePath(f.path, u.path));
    const alias = `${anchored} and its alias at ${at(u)}`;
    if (!r) throw refuse(`${alias} is not an image field`);
    if (r.part !== part) throw refuse(`${alias} is an image field holding ${PART[r.part]}, not ${PART[part]}`);
    if (!sameRepository(r.repository, ref.repository)) throw refuse(`${alias} is an image field of ${r.repository}, not ${ref.repository}`);
    refs.push(r);
    aliases.push({ path: u.path, line: file.lineOf(u.start), edit: { file: file.path, object: r.object, field: `${r.field}(*${node.anchor})`, old, new: change.expect } });
  }
  return { change: { ...change, aliases }, refs };
}
