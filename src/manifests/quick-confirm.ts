// The confirm of a splice of values (indexed-edits.ts) by the quick reader: when it reads
// both the old and the edited text, the edited documents must be the old ones node for
// node (kind, type, value, source, start and value end moved by the splice) but for each
// replaced scalar, which must now be exactly the written text, in the written style,
// reading as the intended string. The quick reader gives the nodes yaml's full parse
// gives for every text it accepts (held to that by its tests, the corpus suite and a
// mutation property test), so this says what the lexer's confirm says, for a quarter of
// its cost: lexing the old and new texts was most of a sidecar bump of 800 files. A text
// the reader declines is confirmed by the lexer as before.
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

/** True when `next` is `text` with `splices` (in order, apart) confirmed as above; false
 *  when the two read differently; undefined when the reader declines either text. */
export function quickConfirm(text: string, next: string, splices: readonly ScalarSplice[]): boolean | undefined {
  const before = quickDocuments(text);
  const after = before && quickDocuments(next);
  if (!before || !after) return undefined;
  return sameButSpliced(before, after, splices);
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
    if (b.type !== (TYPE_OF[splice.text[0]] ?? Scalar.PLAIN) || b.value !== splice.value) return false;
    this.matched++;
    return true;
  }
}
