// Bytes are sacred: whatever a file holds comes back byte for byte after decode + encode,
// and a latin1-read file refuses a char it cannot hold instead of writing garbage.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EditError } from '../../src/errors.ts';
import { decodeText, encodeText } from '../../src/repo-io/encoding.ts';

describe('decodeText / encodeText', () => {
  it('decodes valid UTF-8 as UTF-8, keeping a BOM as U+FEFF', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: é\n')]);
    const { text, encoding } = decodeText(bytes);
    expect(encoding).toBe('utf8');
    expect(text).toBe('\uFEFFa: é\n');
    expect(encodeText(text, encoding)).toEqual(bytes);
  });

  it('decodes anything else one char per byte, never with replacement characters', () => {
    const bytes = Buffer.from('# caf\xe9 \xa9 2024\nimage: x:1\n', 'latin1');
    const { text, encoding } = decodeText(bytes);
    expect(encoding).toBe('latin1');
    expect(text).not.toContain('\uFFFD');
    expect(text.length).toBe(bytes.length);
    expect(encodeText(text, encoding)).toEqual(bytes);
  });

  it('gives every byte sequence back unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (arr) => {
        const { text, encoding } = decodeText(arr);
        expect(encodeText(text, encoding)).toEqual(Buffer.from(arr));
      }),
    );
  });

  it('refuses to write a char above U+00FF into a latin1 file, naming file and line', () => {
    let err: unknown;
    try {
      encodeText('a: 1\nb: \u20ac\n', 'latin1', 'apps/x.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EditError);
    expect(err).toMatchObject({ code: 'EDIT_ENCODING', location: { file: 'apps/x.yaml', line: 2 } });
    expect(encodeText('b: \u20ac\n', 'utf8')).toEqual(Buffer.from('b: \u20ac\n'));
  });
});

describe('a BOM in front of bytes that are not UTF-8', () => {
  it('stays a BOM (U+FEFF) for the parser and comes back as the same three bytes', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# \xe9t\xe9\nimages: []\n', 'latin1')]);
    const { text, encoding } = decodeText(bytes);
    expect(encoding).toBe('latin1');
    expect(text).toBe('\uFEFF# \xe9t\xe9\nimages: []\n');
    expect(encodeText(text, encoding)).toEqual(bytes);
  });
});
