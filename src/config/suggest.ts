// "Did you mean" for keys, enum values, paths, images and backend names: one distance,
// one threshold, so every hint the bot gives is equally (un)adventurous.

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known word nearest to `word` and its distance (case-insensitive), if any. */
export function nearest(word: string, known: Iterable<string>): { value: string; distance: number } | undefined {
  let best: { value: string; distance: number } | undefined;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (!best || d < best.distance) best = { value: k, distance: d };
  }
  return best;
}

/** The closest known word, when it is close enough to be a typo. */
export function suggestKey(word: string, known: Iterable<string>): string | undefined {
  const best = nearest(word, known);
  return best && best.distance <= Math.max(1, Math.floor(best.value.length / 3)) ? best.value : undefined;
}
