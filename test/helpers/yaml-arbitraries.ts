// Generators of YAML streams in the layouts manifests use (and some they rarely do), and
// of what an edit may write into one of their scalars: shared by the property tests of
// the two ways an edited text is confirmed (reparse-edited, quick-confirm).
import fc from 'fast-check';
import { isMap, isPair, isScalar, isSeq, type ParsedStream } from '../../src/manifests/yaml.ts';

/** The flow scalars (plain, quoted) of a parse, as [start, end) of their source. */
export function flowScalars(stream: ParsedStream): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const walk = (n: unknown): void => {
    if (isPair(n)) {
      walk(n.key);
      walk(n.value);
    } else if (isScalar(n) && n.range && (n.type === 'PLAIN' || n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE')) {
      out.push([n.range[0], n.range[1]]);
    } else if (isMap(n) || isSeq(n)) {
      n.items.forEach(walk);
    }
  };
  for (const d of stream.docs) walk(d.contents);
  return out;
}

export function applied(text: string, edits: Array<{ start: number; end: number; text: string }>): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

// Pieces of documents in the layouts manifests use, and some they rarely do.
const scalar = fc.constantFrom('plain', '"double"', "'single'", '1.10', 'true', '~', '"esc\\"aped"', "'it''s'", 'ghcr.io/acme/app:1.2.3', '"ghcr.io/acme/app:1.2.3"', 'a b c', '"multi\n    line"', 'plain\n    continued');
const key = fc.constantFrom('image', 'name', 'tag', '"quoted key"', 'kind', 'metadata', 'x');
const line = fc.oneof(
  fc.tuple(key, scalar).map(([k, v]) => `${k}: ${v}`),
  fc.tuple(key, scalar).map(([k, v]) => `${k}: ${v}  # a comment`),
  fc.tuple(key, scalar, scalar).map(([k, a, b]) => `${k}: {a: ${a.includes('\n') ? 'x' : a}, b: ${b.includes('\n') ? 'y' : b}}`),
  fc.tuple(key, scalar).map(([k, v]) => `${k}: [${v.includes('\n') ? 'x' : v}, two]`),
  fc.tuple(key, scalar).map(([k, v]) => `${k}:\n  - ${v}\n  - name: n\n    image: ${v.includes('\n') ? 'z' : v}`),
  fc.tuple(key, scalar).map(([k, v]) => `${k}:\n  nested: ${v}\n  deeper:\n    leaf: ${v}`),
  key.map((k) => `${k}: |\n  block text\n  more`),
  key.map((k) => `${k}: &anchor value`),
  key.map((k) => `${k}: *anchor`),
  fc.constant('# a comment line'),
  fc.constant(''),
);
const doc = fc.array(line, { minLength: 1, maxLength: 6 }).map((ls) => ls.join('\n'));
export const stream = fc
  .record({ docs: fc.array(doc, { minLength: 1, maxLength: 3 }), crlf: fc.boolean(), start: fc.boolean(), end: fc.boolean() })
  .map(({ docs, crlf, start, end }) => {
    const text = `${start ? '---\n' : ''}${docs.join('\n---\n')}${end ? '\n' : ''}`;
    return crlf ? text.replace(/\n/g, '\r\n') : text;
  });
// What an edit may write: values as the editors render them, and texts that change how
// everything after them reads.
export const replacement = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('v2', '"v2"', "'v2'", '1.20', '"ghcr.io/acme/app:9.9.9"', 'ghcr.io/acme/app:9.9.9') },
  { weight: 3, arbitrary: nasty() },
);

function nasty() {
  return fc.constantFrom(
  '',
  '"open',
  "'open",
  '[open',
  '{open',
  'a: b',
  'x # comment',
  '- item',
  '&other v',
  '*anchor',
  '!!int 5',
  '"bad \\q escape"',
  '"two\nlines"',
  'two\nlines',
  '"x"\n---\ny: 1',
  '|',
  '? k',
  'a, b',
  'a]b',
  ' padded',
  );
}

