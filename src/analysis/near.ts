// "Did you mean": a name the repo holds under a slightly different spelling is a typo
// (an error), while a name it does not hold at all may be managed elsewhere (a warning).
import { suggestKey } from '../config/suggest.ts';

/** The known name `name` is most likely a typo of, if any. Stricter than config keys:
 *  hosts like `podinfo` and `podinfo-ga` are both real, so lengths may differ by 2 at most. */
export function nearName(name: string, known: readonly string[]): string | undefined {
  const hint = suggestKey(name, known.filter((k) => k !== name));
  return hint !== undefined && Math.abs(hint.length - name.length) <= 2 ? hint : undefined;
}

/** A known host that differs from `host` in one label, by a typo. Whole host names are
 *  long, so a distance over the full string would call unrelated hosts near. */
export function nearHost(host: string, known: readonly string[]): string | undefined {
  const labels = host.split('.');
  for (const k of known) {
    const other = k.split('.');
    if (other.length !== labels.length || k === host) continue;
    const differ = labels.flatMap((l, i) => (l === other[i] ? [] : [i]));
    if (differ.length === 1 && nearName(labels[differ[0]], [other[differ[0]]])) return k;
  }
  return undefined;
}

export function didYouMean(hint: string | undefined): string {
  return hint === undefined ? '' : ` (did you mean "${hint}"?)`;
}

export function listOf(names: readonly string[]): string {
  return names.length ? names.join(', ') : 'none';
}
