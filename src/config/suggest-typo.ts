// suggestKey, plus the typo it is too strict for on short words: two neighbouring letters
// swapped (`tga` for `tag`, `--jsno` for `--json`), which its edit distance counts as two.
import { suggestKey } from './suggest.ts';

function swapped(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]];
}

/** The known word `word` is most likely a typo of, if any (case-insensitive). */
export function suggestTypo(word: string, known: Iterable<string>): string | undefined {
  const list = [...known];
  return suggestKey(word, list) ?? list.find((k) => swapped(word.toLowerCase(), k.toLowerCase()));
}
