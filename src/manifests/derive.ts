// What finding every image in one text gives, whatever image is asked for: the image
// index keeps it per text (image-index.ts), in memory and in the content store.
import { BotError } from '../errors.ts';
import { parseManifestAsync, quickManifest } from './parse.ts';
import type { ImageEditor, ImageRef, ManifestFile } from './types.ts';

export type Derived =
  | { kind: 'refs'; byEditor: Array<ImageRef[] | undefined> }
  | { kind: 'unparsed'; code: string; reason: string }
  | { kind: 'fallback'; code: string; reason: string };

/** Each editor's references in `text` (undefined where its screen says no). A text the
 *  quick reader takes is done at once, with no pause: nothing of its documents outlives
 *  the call. */
export function deriveText(rel: string, text: string, editors: ImageEditor[]): Derived | Promise<Derived> {
  const quick = quickManifest(rel, text);
  return quick ? refsOf(quick, text, editors) : deriveParsed(rel, text, editors);
}

async function deriveParsed(rel: string, text: string, editors: ImageEditor[]): Promise<Derived> {
  let file;
  try {
    file = await parseManifestAsync(rel, text);
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    return { kind: 'unparsed', code: err.code, reason: err.message };
  }
  return refsOf(file, text, editors);
}

function refsOf(file: ManifestFile, text: string, editors: ImageEditor[]): Derived {
  try {
    return { kind: 'refs', byEditor: editors.map((e) => (e.screen(text) ? e.find(file) : undefined)) };
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    return { kind: 'fallback', code: err.code, reason: err.message };
  }
}
