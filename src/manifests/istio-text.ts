// Where to put new lines in a block collection without disturbing anything around it.
// Used by the traffic editors (istio-virtualservice.ts, gateway-httproute.ts) to insert
// `weight:` keys and to append a canary destination next to the stable one.
import { isMap, isPair, isScalar, isSeq, type Node } from './yaml.ts';
import { lineStart } from './text.ts';

/** 0-based column of `offset`. */
export function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** Offset just past the last meaningful character of `node` (its last value, not the
 *  blank lines or comments the parser may attach after it). */
export function contentEnd(text: string, node: unknown): number {
  let end = -1;
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1];
    if (isPair(last)) {
      end = Math.max(rangeEnd(last.key), isScalar(last.value) && last.value.value === null && !last.value.source ? -1 : contentEnd(text, last.value));
    } else {
      end = contentEnd(text, last);
    }
  } else {
    end = rangeEnd(node);
  }
  // Block scalars (and keep-chomped ones) end after their trailing line breaks.
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return end;
}

function rangeEnd(node: unknown): number {
  const r = (node as Node | null)?.range;
  return r ? r[1] : -1;
}

/** Offset of the end of the line holding `offset` (before its CR/LF), or the end of text. */
export function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  if (nl === -1) return text.length;
  return nl > 0 && text[nl - 1] === '\r' ? nl - 1 : nl;
}

/** Offset where lines that follow `node` should be inserted: the end of its last
 *  content line, after any comment on that line. Inserted text starts with the EOL. */
export function afterNode(text: string, node: unknown): number {
  return lineEnd(text, contentEnd(text, node));
}

export function spaces(n: number): string {
  return ' '.repeat(Math.max(0, n));
}
