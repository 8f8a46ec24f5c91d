// Bytes are sacred: the editors work on strings, yet a manifest with a Latin-1 comment
// must come back byte for byte. Valid UTF-8 (a BOM included: Buffer keeps it as U+FEFF,
// and yaml's ranges count it as one char) decodes as UTF-8; anything else decodes as
// latin1, one char per byte, so writing the text back as latin1 restores every byte the
// edit did not touch. Never decode with replacement characters.
import { isUtf8 } from 'node:buffer';
import { EditError } from '../errors.ts';

export type TextEncoding = 'utf8' | 'latin1';

export interface RepoText {
  text: string;
  encoding: TextEncoding;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export function decodeText(bytes: Uint8Array): RepoText {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) return { text: buf.toString('utf8'), encoding: 'utf8' };
  // A BOM in front of bytes that are not UTF-8 still tells YAML where the text starts;
  // as three latin1 chars it would turn the first line into a scalar. Latin1 never
  // yields U+FEFF, so a leading one stands for exactly these three bytes.
  if (buf.subarray(0, 3).equals(BOM)) return { text: `\uFEFF${buf.subarray(3).toString('latin1')}`, encoding: 'latin1' };
  return { text: buf.toString('latin1'), encoding: 'latin1' };
}

// Any char above U+00FF has no single byte; Buffer.from would silently truncate it.
const NOT_LATIN1 = /[\u0100-\u{10ffff}]/u;

/** The bytes to write for `text` read as `encoding`. A latin1 file only takes chars
 *  that fit one byte: anything else throws EDIT_ENCODING instead of writing garbage. */
export function encodeText(text: string, encoding: TextEncoding, file?: string): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  const bom = text.startsWith('\uFEFF');
  const body = bom ? text.slice(1) : text;
  const bad = NOT_LATIN1.exec(body);
  if (bad) {
    const line = body.slice(0, bad.index).split('\n').length;
    throw new EditError('EDIT_ENCODING', `the file is not UTF-8, so it is edited byte for byte, and ${JSON.stringify(bad[0])} has no single-byte form; edit it by hand`, { file, line });
  }
  const bytes = Buffer.from(body, 'latin1');
  return bom ? Buffer.concat([BOM, bytes]) : bytes;
}
