// The confirm of a splice of values (indexed-edits.ts) by the quick reader: when it reads
// both the old and the edited text, the edited documents must be the old ones node for
// node (kind, type, value, source, start and value end moved by the splice) but for each
// replaced scalar, which must now be exactly the written text, in the written style,
// reading as the intended string. The quick reader gives the nodes yaml's full parse
// gives for every text it accepts (held to that by its tests, the corpus suite and a
// mutation property test), so this says what the lexer's confirm says, for a quarter of
// its cost: lexing the old and new texts was most of a sidecar bump of 800 files. A text
// the reader declines is confirmed by the lexer as before.
//
// A text whose shape was kept with its facts (maskedShape) is confirmed by reading the
// edited text alone: the shape leaves out the value scalars an edit may splice and counts
// offsets as if each were one character, so a splice of those values leaves it as it was.
// Where each written scalar is one the reader reads alone as the twin of the one it
// replaces (splicesKeepShape), not even that: the shape was read off the old text, and
// the lexer reads the new one token for token as it read the old.
import { hash } from 'node:crypto';
import { quickDocuments } from './quick-yaml.ts';
import { movedOffset } from './text.ts';
import { isMap, isPair, isScalar, isSeq, Scalar, type ParsedDocument } from './yaml.ts';

export interface ScalarSplice {
  start: number;
  end: number;
  text: string;
  /** What the written scalar must read as. */
  value: string;
}

const TYPE_OF: Record<string, string> = { '"': Scalar.QUOTE_DOUBLE, "'": Scalar.QUOTE_SINGLE };

/** The type of the scalar a splice writes, by its first character. */
const typeOf = (written: string): string => TYPE_OF[written[0]] ?? Scalar.PLAIN;

/** True when `next` is `text` with `splices` (in order, apart) confirmed as above; false
 *  when the two read differently; undefined when the reader declines either text. Only
 *  the documents the splices are in are read (see changedDocuments). */
export function quickConfirm(text: string, next: string, splices: readonly ScalarSplice[]): boolean | undefined {
  if (splices.length === 0) return undefined;
  const [start, end] = changedDocuments(text, splices);
  const grown = next.length - text.length;
  const before = quickDocuments(text.slice(start, end));
  const after = before && quickDocuments(next.slice(start, end + grown));
  if (!before || !after) return undefined;
  return sameButSpliced(before, after, start === 0 ? splices : splices.map((s) => ({ ...s, start: s.start - start, end: s.end - start })));
}

/** Where in `text` the documents holding `splices` are: from the start of the one
 *  holding the first to the end of the one holding the last. The others are the same
 *  bytes in both texts, and a document is read alone (no anchor, alias or state crosses
 *  a `---`), so they read as they did. A directive or a document end marker anywhere
 *  binds a document to what comes before it: the whole text is read then. No splice
 *  holds a line break, so both texts have the same document starts outside the splices. */
export function changedDocuments(text: string, splices: readonly ScalarSplice[]): [number, number] {
  if (/(?:^|\n)(?:%|\.\.\.)/.test(text)) return [0, text.length];
  const first = splices[0].start;
  const last = splices[splices.length - 1].end;
  let start = 0;
  // a document starts at `---` at the start of a line, then a space or the line's end,
  // as the quick reader reads it (quick-yaml.ts)
  for (let at = text.indexOf('\n---'); at !== -1; at = text.indexOf('\n---', at + 4)) {
    const mark = at + 1;
    const after = text.charCodeAt(mark + 3);
    if (mark + 3 < text.length && after !== 10 && after !== 32) continue;
    if (mark <= first) start = mark;
    else if (mark >= last) return [start, mark];
  }
  return [start, text.length];
}

/** Whether documents `after` are `before` but for `splices`, as quickConfirm says. */
export function sameButSpliced(before: readonly ParsedDocument[], after: readonly ParsedDocument[], splices: readonly ScalarSplice[]): boolean {
  if (before.length !== after.length) return false;
  const walk = new Walk(splices);
  for (let i = 0; i < before.length; i++) {
    if (!walk.docs(before[i], after[i])) return false;
  }
  return walk.matched === splices.length;
}

class Walk {
  matched = 0;
  private readonly starts: Map<number, ScalarSplice>;

  constructor(private readonly splices: readonly ScalarSplice[]) {
    this.starts = new Map(splices.map((s) => [s.start, s]));
  }

  /** Where `offset` of the old text is in the new one (no offset is inside a splice). */
  private moved(offset: number): number {
    return movedOffset(offset, this.splices);
  }

  private range(a: { range?: unknown } | null | undefined, b: { range?: unknown } | null | undefined): boolean {
    const ra = a?.range as [number, number, number] | undefined;
    const rb = b?.range as [number, number, number] | undefined;
    if (!ra || !rb) return !ra && !rb;
    return rb[0] === this.moved(ra[0]) && rb[1] === this.moved(ra[1]);
  }

  docs(a: ParsedDocument, b: ParsedDocument): boolean {
    return this.node(a.contents, b.contents);
  }

  private node(a: unknown, b: unknown): boolean {
    if (a === null || b === null) return a === b;
    if (isScalar(a)) return isScalar(b) && this.scalar(a, b);
    if (isMap(a) || isSeq(a)) {
      if (isMap(a) ? !isMap(b) : !isSeq(b)) return false;
      const items = (b as typeof a).items as unknown[];
      if (a.items.length !== items.length || Boolean(a.flow) !== Boolean((b as typeof a).flow) || !this.range(a, b as typeof a)) return false;
      for (let i = 0; i < a.items.length; i++) {
        const x = a.items[i] as unknown;
        const y = items[i];
        if (isPair(x)) {
          if (!isPair(y) || !this.node(x.key, y.key) || !this.node(x.value, y.value)) return false;
        } else if (!this.node(x, y)) return false;
      }
      return true;
    }
    return false;
  }

  private scalar(a: Scalar, b: Scalar): boolean {
    const splice = this.starts.get((a.range as [number, number, number])[0]);
    if (!splice) {
      return a.type === b.type && Object.is(a.value, b.value) && a.source === b.source && a.format === b.format && this.range(a, b);
    }
    const start = this.moved(splice.start);
    const [s, e] = b.range as [number, number, number];
    if ((a.range as [number, number, number])[1] !== splice.end || s !== start || e !== start + splice.text.length) return false;
    if (b.type !== typeOf(splice.text) || b.value !== splice.value) return false;
    this.matched++;
    return true;
  }
}

/** A value scalar an edit may splice (a kept span): at [start, end), of `type`, reading as
 *  `value`. */
export interface MaskedScalar {
  start: number;
  end: number;
  type: string;
  value: string;
}

/** The shape of `text`'s documents with the scalars at `masked` left out: every other
 *  node's kind (a collection's flow and item count, a scalar's type) and the start and
 *  value end of its range, counted as if each masked scalar were one character. `next`
 *  spliced from `text` in masked scalars alone has the bytes of `text` everywhere else:
 *  with the same shape, each other scalar has the same source at the same place, so the
 *  same value, and `next` reads as `text` but for the masked scalars (what quickConfirm
 *  says, from one text read instead of two) when each holds what it should. Undefined
 *  when the quick reader declines the text, or a masked scalar is not there as stated. */
export function maskedShape(text: string, masked: readonly MaskedScalar[]): string | undefined {
  const docs = quickDocuments(text);
  return docs && shapeOf(docs, masked);
}

/** `masked` (a text's) once `splices` are made: a spliced scalar holds the written text,
 *  in its style, reading as the value written. Undefined when a splice is not at one. */
export function movedMasks(masked: readonly MaskedScalar[], splices: readonly ScalarSplice[]): MaskedScalar[] | undefined {
  const at = new Map(masked.map((m) => [m.start, m]));
  if (!splices.every((s) => at.get(s.start)?.end === s.end)) return undefined;
  const spliced = new Map(splices.map((s) => [s.start, s]));
  return masked.map((m) => {
    const start = movedOffset(m.start, splices);
    const s = spliced.get(m.start);
    return s ? { start, end: start + s.text.length, type: typeOf(s.text), value: s.value } : { start, end: start + m.end - m.start, type: m.type, value: m.value };
  });
}

/** Whether `splices` leave the shape of a text the quick reader read with `masked`
 *  left out (maskedShape) as it was, told from the splices alone: each replaces one
 *  masked value scalar with one of the same style that the reader reads, as a value,
 *  alone, as the splice's value and to its last byte. The quick reader reads nothing but
 *  block values on one line (no flow collection with content, anchor, alias, tag or
 *  multi-line plain scalar, see quick-yaml.ts), so the lexer starts such a scalar where
 *  the old one started, in the same state, and ends it where its text ends: a quoted one
 *  at its closing quote (no quote or escape inside, and the byte after the old one was
 *  no quote), a plain one before the bytes that ended the old one (no `: `, ` #` or
 *  trailing `:` or space inside, which would read otherwise alone). Every other token is
 *  the old one, at an offset moved on its own line alone, so the new text reads as the
 *  old one but for the values written: what maskedShape of the new text would confirm,
 *  without reading it (a sidecar bump read 800 texts for this). The masks must be values,
 *  as the editors' spans are: a key is read by other rules. */
export function splicesKeepShape(masked: readonly MaskedScalar[], splices: readonly ScalarSplice[]): boolean {
  const at = new Map(masked.map((m) => [m.start, m]));
  return splices.every((s) => {
    const m = at.get(s.start);
    return m !== undefined && m.end === s.end && m.type === typeOf(s.text) && readsAlone(s.text, s.value);
  });
}

const alone = new Map<string, boolean>();

/** Whether the quick reader reads `text` as the value of a key as one scalar, exactly
 *  `text`, reading as `value`: a splice of a bump writes the same text in every file. */
function readsAlone(text: string, value: string): boolean {
  const key = `${value}\0${text}`;
  let ok = alone.get(key);
  if (ok === undefined) {
    const docs = /[\n\r]/.test(text) ? undefined : quickDocuments(`k: ${text}\n`);
    const map = docs?.length === 1 ? docs[0].contents : undefined;
    const pair = isMap(map) && map.items.length === 1 ? map.items[0] : undefined;
    const node = isPair(pair) ? pair.value : undefined;
    const range = isScalar(node) ? (node.range as [number, number, number] | undefined) : undefined;
    ok = isScalar(node) && range?.[0] === 3 && range[1] === 3 + text.length && node.type === typeOf(text) && node.value === value;
    if (alone.size >= 256) alone.clear();
    alone.set(key, ok);
  }
  return ok;
}

// node kinds and scalar types as the shape writes them
const KIND = { doc: 1, empty: 2, masked: 3, scalar: 4, map: 5, seq: 6, pair: 7, end: 8 } as const;
const TYPES = ['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'];
// the shape is written as whole numbers, hashed once: a shape of strings cost more than
// reading the text
let words = new Int32Array(1024);

function shapeOf(docs: readonly ParsedDocument[], masked: readonly MaskedScalar[]): string | undefined {
  const sorted = [...masked].sort((a, b) => a.start - b.start);
  const at = new Map(sorted.map((m) => [m.start, m]));
  if (at.size !== sorted.length) return undefined;
  let n = 0;
  let found = 0;
  const put = (x: number): void => {
    if (n === words.length) {
      const more = new Int32Array(words.length * 2);
      more.set(words);
      words = more;
    }
    words[n++] = x;
  };
  // an offset as if each masked scalar before it were one character
  const pos = (offset: number): number => {
    let shrunk = 0;
    for (const m of sorted) {
      if (m.end > offset) break;
      shrunk += m.end - m.start - 1;
    }
    return offset - shrunk;
  };
  const range = (r: [number, number, number] | undefined): void => {
    if (!r) put(-1);
    else {
      put(pos(r[0]));
      put(pos(r[1]));
    }
  };
  const node = (x: unknown): boolean => {
    if (x === null || x === undefined) {
      put(KIND.empty);
      return true;
    }
    if (isScalar(x)) {
      const r = x.range as [number, number, number] | undefined;
      const m = r && at.get(r[0]);
      if (m) {
        if (r[1] !== m.end || x.type !== m.type || x.value !== m.value) return false;
        found++;
        put(KIND.masked);
        return true;
      }
      put(KIND.scalar);
      put(TYPES.indexOf(x.type ?? ''));
      range(r);
      return true;
    }
    if (isMap(x) || isSeq(x)) {
      put(isMap(x) ? KIND.map : KIND.seq);
      put(x.flow ? 1 : 0);
      put(x.items.length);
      range(x.range as [number, number, number] | undefined);
      for (const item of x.items as unknown[]) {
        if (isPair(item)) {
          put(KIND.pair);
          if (!node(item.key) || !node(item.value)) return false;
        } else if (!node(item)) return false;
      }
      put(KIND.end);
      return true;
    }
    return false;
  };
  for (const d of docs) {
    put(KIND.doc);
    if (!node(d.contents)) return undefined;
  }
  if (found !== sorted.length) return undefined;
  return hash('sha256', new Uint8Array(words.buffer, 0, n * 4), 'base64');
}
