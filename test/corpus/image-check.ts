// Round trip of one image reference through its editor: set a new tag (and digest when
// pinned), confirm the re-parsed file differs from the original only in that field, then
// set the old value back and require the original bytes.
import { isDeepStrictEqual } from 'node:util';
import { BotError } from '../../src/errors.ts';
import { applyAndConfirm, parseManifest } from '../../src/manifests/parse.ts';
import { applyTextEdits } from '../../src/manifests/text.ts';
import type { Change, ImageEditor, ImageRef, ManifestFile } from '../../src/manifests/types.ts';
import { parseImageRef, sameRepository, validateDigest, validateTag } from '../../src/policy/image.ts';
import { docValues, fail, firstDifference, inverseEdits, pathKey, textDifference, valueAt, withValueAt } from './util.ts';

const NEW_TAG = '9.9.9-conformance';
const OTHER_TAG = '9.9.8-conformance';
const NEW_DIGEST = `sha256:${'c0ffee'.repeat(10)}abcd`;
const OTHER_DIGEST = `sha256:${'beef'.repeat(16)}`;

type To = { tag?: string; digest?: string };

export function describeRef(ref: ImageRef): string {
  const value = `${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
  return `${ref.editor} ${ref.object.kind}/${ref.object.name} ${ref.field} (${ref.part}: ${value})`;
}

/** What to set and what sets it back; `revert` undefined = the old value cannot be
 *  written by the editor (no tag before), so the text edit is reversed instead. */
function targets(ref: ImageRef): { to: To; revert?: To } {
  const t = forward(ref);
  // An old value the editor would reject (`sha256:25a0d4`, `${TAG}`) cannot be set back.
  return t.revert && !valid(t.revert) ? { to: t.to } : t;
}

function valid(to: To): boolean {
  try {
    if (to.tag !== undefined) validateTag(to.tag);
    if (to.digest !== undefined) validateDigest(to.digest);
    return true;
  } catch {
    return false;
  }
}

function forward(ref: ImageRef): { to: To; revert?: To } {
  const tag = ref.tag === NEW_TAG ? OTHER_TAG : NEW_TAG;
  const digest = ref.digest === NEW_DIGEST ? OTHER_DIGEST : NEW_DIGEST;
  if (ref.part === 'digest') return { to: { digest }, revert: ref.digest !== undefined ? { digest: ref.digest } : undefined };
  if (ref.tag !== undefined) {
    return ref.digest !== undefined ? { to: { tag, digest }, revert: { tag: ref.tag, digest: ref.digest } } : { to: { tag }, revert: { tag: ref.tag } };
  }
  if (ref.digest !== undefined) return { to: { digest }, revert: { digest: ref.digest } };
  return { to: { tag } };
}

/** A digest-pinned reference must refuse a new tag without a new digest. */
function checkPinned(file: ManifestFile, ref: ImageRef, editor: ImageEditor): void {
  if (ref.digest === undefined || ref.tag === undefined || ref.part === 'digest') return;
  let change: Change | null;
  try {
    change = editor.set(file, ref, { tag: ref.tag === NEW_TAG ? OTHER_TAG : NEW_TAG });
  } catch (err) {
    if (err instanceof BotError && err.code === 'EDIT_DIGEST_PINNED') return;
    throw err;
  }
  fail(`digest-pinned reference accepted a new tag without a digest (${change ? JSON.stringify(change.edit.new) : 'no change'})`);
}

/** The original documents with the fields this edit is allowed to change set to what
 *  they must hold now; `edited` supplies whole-reference values after checking them. */
function expectedDocs(file: ManifestFile, ref: ImageRef, to: To, edited: unknown[]): unknown[] {
  const docs = docValues(file);
  const i = ref.docIndex;
  if (ref.part === 'ref') {
    const now = valueAt(edited[i], ref.path);
    if (typeof now !== 'string') fail(`edited ${ref.field} is ${JSON.stringify(now)}, not a string`);
    const parts = parseImageRef(now);
    if (!sameRepository(parts.repository, ref.repository)) fail(`edited ${ref.field} names repository ${parts.repository}, was ${ref.repository}`);
    const wantTag = to.tag ?? ref.tag;
    const wantDigest = to.digest ?? ref.digest;
    if (parts.tag !== wantTag || parts.digest !== wantDigest) {
      fail(`edited ${ref.field} is ${now}; expected tag ${String(wantTag)} and digest ${String(wantDigest)}`);
    }
    docs[i] = withValueAt(docs[i], ref.path, now);
    return docs;
  }
  if (ref.part === 'digest') docs[i] = withValueAt(docs[i], ref.path, to.digest);
  else if (ref.editor === 'helm-values' && to.digest !== undefined && !hasKey(docs[i], [...ref.path.slice(0, -1), 'digest'])) {
    // Helm values without a digest key pin in the tag field: `tag: 1.2.3@sha256:...`
    docs[i] = withValueAt(docs[i], ref.path, `${to.tag ?? ref.tag}@${to.digest}`);
    return docs;
  } else if (to.tag !== undefined) docs[i] = withValueAt(docs[i], ref.path, to.tag);
  // A kustomize entry (or Helm values map) keeps its digest beside the tag; a Flux `:tag` field does not.
  if (ref.part === 'tag' && (ref.editor === 'kustomize-images' || ref.editor === 'helm-values') && to.digest !== undefined) {
    docs[i] = withValueAt(docs[i], [...ref.path.slice(0, -1), 'digest'], to.digest);
  }
  return docs;
}

function hasKey(doc: unknown, path: (string | number)[]): boolean {
  const parent = valueAt(doc, path.slice(0, -1));
  return typeof parent === 'object' && parent !== null && Object.prototype.hasOwnProperty.call(parent, path[path.length - 1]);
}

function setOnce(file: ManifestFile, ref: ImageRef, editor: ImageEditor, to: To): Change {
  const change = editor.set(file, ref, to);
  if (!change) fail(`set(${JSON.stringify(to)}) returned no change although the value differs`);
  return change;
}

/** Returns a note for the report (how the revert was done), throws CheckFailure/BotError. */
export function checkImageRef(file: ManifestFile, ref: ImageRef, editor: ImageEditor): string | undefined {
  checkPinned(file, ref, editor);
  let { to, revert } = targets(ref);
  let change: Change;
  try {
    change = setOnce(file, ref, editor, to);
  } catch (err) {
    // A tag field whose policy also has a digest field (Helm values layout) moves only
    // with a digest, like a pinned `image:`; try again the way a release would.
    if (!(err instanceof BotError && err.code === 'EDIT_DIGEST_PINNED' && to.digest === undefined && ref.part === 'tag')) throw err;
    to = { ...to, digest: NEW_DIGEST };
    revert = revert && { ...revert, digest: NEW_DIGEST };
    change = setOnce(file, ref, editor, to);
  }
  let next: string;
  try {
    next = applyAndConfirm(file, [change]);
  } catch (err) {
    // A value an alias shares (an anchored scalar, or inside an aliased collection) is
    // refused at apply time, as the bot's planner refuses that file: a refusal, not a bug.
    if (err instanceof BotError && err.code === 'EDIT_ANCHORED') throw err;
    fail(`confirm rejected the editor's own change ${JSON.stringify(change.edit.new)}: ${(err as Error).message}`);
  }
  const edited = parseManifest(file.path, next);
  const got = docValues(edited);
  if (got.length !== file.docs.length) fail(`document count changed ${file.docs.length} -> ${got.length}`);
  const want = expectedDocs(file, ref, to, got);
  if (!isDeepStrictEqual(got, want)) fail(`edited file differs beyond ${ref.field}: ${firstDifference(want, got, 'docs')}`);

  if (!revert) {
    const back = applyTextEdits(next, inverseEdits(file.text, change.text));
    const d = textDifference(file.text, back);
    if (d) fail(`reversing the text edit does not restore the file: ${d}`);
    const why = ref.tag === undefined && ref.digest === undefined ? 'no tag before' : 'the old tag/digest is not valid, the editor cannot write it';
    return `${why}: reverted by reversing the text edit`;
  }
  const again = editor.find(edited).find((r) => pathKey(r.docIndex, r.path) === pathKey(ref.docIndex, ref.path));
  if (!again) fail(`after the edit, ${editor.name} no longer finds ${ref.field}`);
  const back = applyAndConfirm(edited, [setOnce(edited, again, editor, revert)]);
  const d = textDifference(file.text, back);
  if (d) fail(`setting ${JSON.stringify(revert)} back does not restore the original bytes: ${d}`);
  return undefined;
}
