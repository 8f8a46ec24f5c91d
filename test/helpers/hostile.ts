// Hostile YAML shared by the tests of the bot's limits.

/** "Billion laughs": `levels` anchored lists of nine, each aliasing the one before nine
 *  times (9^levels strings), as lines indented by `indent` spaces. Anchors a..; the first
 *  line holds the strings. */
export function aliasBomb(levels: number, indent: number): string {
  const pad = ' '.repeat(indent);
  const names = 'abcdefghijklmnop'.slice(0, levels).split('');
  return names
    .map((n, i) => `${pad}${n}: &${n} [${(i === 0 ? Array(9).fill('"lol"') : Array(9).fill(`*${names[i - 1]}`)).join(',')}]\n`)
    .join('');
}
