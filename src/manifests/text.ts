// Writing new values into the original text at the value's source range, so everything
// else in the file (comments, quoting, indentation, CRLF, a missing final newline)
// stays byte for byte.
import { EditError } from '../errors.ts';
import type { TextEdit } from './types.ts';
import { isScalar, parseDocument, type Node } from './yaml.ts';

/** Where `offset` of the original text is once `edits` (apart, none across `offset`) are
 *  applied: moved by the length each edit ending at or before it added or removed. */
export function movedOffset(offset: number, edits: readonly Pick<TextEdit, 'start' | 'end' | 'text'>[]): number {
  let moved = offset;
  for (const e of edits) if (e.end <= offset) moved += e.text.length - (e.end - e.start);
  return moved;
}

export function applyTextEdits(src: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new EditError('EDIT_OVERLAP', `overlapping edits at offset ${e.start}`);
    out += src.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + src.slice(pos);
}

const PLAIN_SAFE = /^[A-Za-z0-9_./@:+-]*$/;

/** Whether `value` written plain reads back as the same string (not a number, bool or null). */
function plainReadsAsString(value: string): boolean {
  const doc = parseDocument(value);
  return doc.errors.length === 0 && isScalar(doc.contents) && doc.contents.value === value;
}

/** Renders `value` as a YAML scalar in the same style as the node it replaces. */
export function renderScalar(value: string | number, style: string | undefined, keepString: boolean): string {
  if (typeof value === 'number') return String(value);
  if (style === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(value);
  // A plain string value that would re-read as a number or boolean (a tag like `1.10`)
  // must be quoted to stay a string.
  if (PLAIN_SAFE.test(value) && value !== '' && (!keepString || plainReadsAsString(value))) return value;
  return JSON.stringify(value);
}

/** A TextEdit that replaces the scalar `node` with `value`, keeping its quoting style. */
export function replaceScalar(node: Node, value: string | number, where: { file: string; field: string }): TextEdit {
  if (!isScalar(node) || !node.range) {
    throw new EditError('EDIT_NOT_SCALAR', 'expected a scalar value', where);
  }
  const style = node.type;
  if (style === 'BLOCK_LITERAL' || style === 'BLOCK_FOLDED') {
    throw new EditError('EDIT_BLOCK_SCALAR', 'refusing to rewrite a block scalar', where);
  }
  const [start, end] = node.range;
  return { start, end, text: renderScalar(value, style, typeof value === 'string') };
}

/** Line ending used by the file, so inserted lines match it. */
export function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Offset of the start of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  const i = text.lastIndexOf('\n', offset - 1);
  return i + 1;
}
