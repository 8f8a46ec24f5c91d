// Cheap, parse-free answers to "does this text name that image?" and "which images does
// it name?", for hints after a typo. Plain text, so a file that does not parse still
// counts; the editors remain the authority on what moves.
import { normalizeRepository, parseImageRef } from './image.ts';

// Values of the keys images are written under: containers (`image:`), Helm values
// (`repository:`), kustomize/Flux (`name:`/`newName:` beside `newTag`), ImageRepository (`image:`).
const IMAGE_VALUE = /^[ \t-]*(?:image|repository|newName|name):[ \t]*["']?([A-Za-z0-9][A-Za-z0-9._:@/-]*)/gm;

const WORD = /[A-Za-z0-9._-]/;

function bounded(text: string, needle: string): boolean {
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) {
    const before = text[i - 1];
    const after = text[i + needle.length];
    if ((before === undefined || !WORD.test(before)) && (after === undefined || !WORD.test(after))) return true;
  }
  return false;
}

/** True when `text` names `repository` whole: with or without its registry (Helm values
 *  often split `registry:` from `repository:`), never as a prefix of a longer name. */
export function mentionsImage(text: string, repository: string): boolean {
  if (bounded(text, repository)) return true;
  const slash = repository.indexOf('/');
  return slash > 0 && /[.:]|^localhost$/.test(repository.slice(0, slash)) && bounded(text, repository.slice(slash + 1));
}

/** Image repositories (no tag) that `text` names under the usual keys; only values with
 *  a slash or a tag, so plain `name: podinfo` metadata does not count. */
export function imagesIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(IMAGE_VALUE)) {
    if (!m[1].includes('/') && !m[1].includes(':')) continue;
    try {
      const { repository } = parseImageRef(m[1]);
      normalizeRepository(repository);
      out.add(repository);
    } catch {
      // not an image reference after all (a URL, a path)
    }
  }
  return [...out];
}
