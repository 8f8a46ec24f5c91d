// Runs an image editor end to end the way the release job does: parse, find, set,
// apply through the confirm step.
import { applyAndConfirm, parseManifest } from '../../../src/manifests/parse.ts';
import type { Change, ImageEditor, ImageRef } from '../../../src/manifests/types.ts';

export interface Run {
  refs: ImageRef[];
  changes: Change[];
  text: string;
}

export function run(editor: ImageEditor, path: string, text: string, image: string | undefined, to: { tag?: string; digest?: string }): Run {
  const file = parseManifest(path, text);
  const refs = editor.find(file, image);
  const changes = refs.map((r) => editor.set(file, r, to)).filter((c): c is Change => c !== null);
  return { refs, changes, text: changes.length > 0 ? applyAndConfirm(file, changes) : text };
}

export function findRefs(editor: ImageEditor, path: string, text: string, image?: string): ImageRef[] {
  return editor.find(parseManifest(path, text), image);
}

export const SHA_A = `sha256:${'a'.repeat(64)}`;
export const SHA_B = `sha256:${'b'.repeat(64)}`;
