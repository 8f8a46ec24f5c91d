// The documents of a text written in the plain block YAML that nearly every manifest
// uses, built line by line without yaml's lexer, parser and composer: finding every
// image of a 10k-file fleet spent 70 % of its time in that pipeline, most of it on
// lines no editor reads.
//
// The result is the same nodes the full parse gives (node kinds and classes, values,
// sources, types, the start and value end of every range, documents and their order),
// or undefined: anything outside the subset below goes to the full parse, which also
// reports any error. The subset: lines indented with spaces (no tab, no CR, no BOM);
// block maps whose keys are plain one-word strings, each key once; block sequences
// (also indentless, `key:` followed by `- ` at the same column), a compact map after
// `- `; values that are plain scalars on one line, single-quoted or double-quoted
// scalars (without escapes) on one line, `[]`, `{}`, or literal/folded block scalars
// without indentation indicator and without `+`; comments; `---` between documents.
// Never an anchor, alias, tag, directive, flow collection with content, `?` key or
// multi-line plain scalar. Tests hold every accepted text to the full parse, node by
// node (test/manifests/quick-yaml.test.ts and the corpus conformance suite).
import { collectionNode, coreTags, Document, pairNode, Scalar, scalarNode, YAMLMap, YAMLSeq, type Pair, type ParsedDocument } from './yaml.ts';

type Coll = YAMLMap | YAMLSeq;
type Node = Coll | Scalar;

interface Frame {
  indent: number;
  node: Coll;
  map: boolean;
  /** A sequence at its parent key's column (`key:` then `- a` below it). */
  indentless: boolean;
  /** Where the collection starts and its last value ends (its range, once closed). */
  start: number;
  end: number;
  /** Where an empty value would sit of the entry still waiting for its value; -1: none. */
  at: number;
  /** That entry, in a map (an item of a sequence has no pair). */
  pair: Pair | undefined;
  /** The keys of a map of many entries: a key given twice goes to the full parse. */
  keys: Set<string> | undefined;
}

/** Thrown inside the reader when the text leaves the subset; never escapes it. */
const OUT = Symbol('out');

const NOT_PLAIN_START = new Set(['&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '{', '}', '[', ']', ',', '#', '?', ':', '-']);
const KEY = /^[A-Za-z0-9_$/][A-Za-z0-9_.$/-]*$/;
const MAX_KEY = 1000;

// Only a plain scalar starting so can be other than a string (null, bool, int, float)
const MAYBE_NOT_STRING = /^(?:$|[-+.~0-9]|(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$)/;

/** The scalar yaml's core schema makes of a plain `source`. */
function plainScalar(source: string): Scalar {
  if (!MAYBE_NOT_STRING.test(source)) return scalarNode(source);
  for (const tag of coreTags) {
    if (tag.default === true && tag.test?.test(source)) {
      const res = tag.resolve(source, () => {
        throw OUT;
      }, RESOLVE_OPTIONS);
      const scalar = res instanceof Scalar ? res : scalarNode(res);
      if (tag.format) scalar.format = tag.format;
      return scalar;
    }
  }
  return scalarNode(source);
}

const RESOLVE_OPTIONS = { intAsBigInt: false } as never;

function scalar(value: Scalar, source: string, type: Scalar.Type, start: number, end: number, after: number): Scalar {
  value.source = source;
  value.type = type;
  value.range = [start, end, after];
  return value;
}

const empty = (at: number) => scalar(scalarNode(null), '', 'PLAIN', at, at, at);

function lineEnd(text: string, from: number): number {
  const eol = text.indexOf('\n', from);
  return eol === -1 ? text.length : eol;
}

/** The first offset from `from` (at most `end`) that holds no space. */
function skipSpaces(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && text.charCodeAt(i) === 32) i++;
  return i;
}

/** Whether only spaces, and maybe a comment after one, are left on the line. */
function restIsComment(text: string, from: number, eol: number): boolean {
  const i = skipSpaces(text, from, eol);
  return i === eol || (text.charCodeAt(i) === 35 && i > from);
}

/** The value that starts at `start` and ends on this line (block scalars are read by
 *  the caller). */
function inlineValue(text: string, start: number, eol: number): Node {
  const c = text[start];
  if (c === "'") {
    let i = start + 1;
    for (;;) {
      const q = text.indexOf("'", i);
      if (q === -1 || q >= eol) throw OUT;
      if (text[q + 1] === "'") {
        i = q + 2;
        continue;
      }
      if (!restIsComment(text, q + 1, eol)) throw OUT;
      const inner = text.slice(start + 1, q);
      const value = inner.includes("''") ? inner.replaceAll("''", "'") : inner;
      return scalar(scalarNode(value), value, 'QUOTE_SINGLE', start, q + 1, q + 1);
    }
  }
  if (c === '"') {
    const q = text.indexOf('"', start + 1);
    if (q === -1 || q >= eol) throw OUT;
    const value = text.slice(start + 1, q);
    if (value.includes('\\') || !restIsComment(text, q + 1, eol)) throw OUT;
    return scalar(scalarNode(value), value, 'QUOTE_DOUBLE', start, q + 1, q + 1);
  }
  if (c === '[' || c === '{') return flowCollection(text, start, eol);
  if (NOT_PLAIN_START.has(c)) {
    // `-x`, `:x` and `?x` are plain; with a space after they are indicators
    if (c !== '-' && c !== ':' && c !== '?') throw OUT;
    const next = text.charCodeAt(start + 1);
    if (start + 1 >= eol || next === 32) throw OUT;
  }
  // a plain scalar ends at a comment (` #`); `: ` inside would make it a key: one pass
  let end = eol;
  for (let i = start + 1; i < eol; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 35 && text.charCodeAt(i - 1) === 32) {
      end = i;
      break;
    }
    if (ch === 58 && (i + 1 === eol || text.charCodeAt(i + 1) === 32)) throw OUT;
  }
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  const source = text.slice(start, end);
  return scalar(plainScalar(source), source, 'PLAIN', start, end, end);
}

// In a flow collection: a plain key or value of these characters only (no `:`, no flow
// indicator, no space), or a quoted one.
const FLOW_PLAIN = /(?:[A-Za-z0-9_./$]|-(?=[-A-Za-z0-9_./$]))[A-Za-z0-9_./$@+=~^-]*/y;

/** A one-line flow collection of scalars (`{cpu: 250m, memory: 1Gi}`, `["sh", "-c"]`). */
function flowCollection(text: string, start: number, eol: number): Coll {
  const isMap = text[start] === '{';
  const close = isMap ? '}' : ']';
  const coll = collectionNode(!isMap);
  coll.flow = true;
  const keys = new Set<string>();
  let i = start + 1;
  const spaces = () => {
    i = skipSpaces(text, i, eol);
  };
  const flowScalar = (): Scalar => {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const q = text.indexOf(ch, i + 1);
      if (q === -1 || q >= eol) throw OUT;
      const value = text.slice(i + 1, q);
      if (value.includes('\\') || value.includes("'") || value.includes('"')) throw OUT;
      const node = scalar(scalarNode(value), value, ch === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE', i, q + 1, q + 1);
      i = q + 1;
      return node;
    }
    FLOW_PLAIN.lastIndex = i;
    const m = FLOW_PLAIN.exec(text);
    if (!m || m.index !== i) throw OUT;
    const source = m[0];
    const node = scalar(plainScalar(source), source, 'PLAIN', i, i + source.length, i + source.length);
    i += source.length;
    return node;
  };
  spaces();
  if (text[i] !== close) {
    for (;;) {
      spaces();
      const first = flowScalar();
      spaces();
      if (isMap) {
        if (text[i] !== ':' || text.charCodeAt(i + 1) !== 32 || first.type !== 'PLAIN' || typeof first.value !== 'string' || first.value.length > MAX_KEY || keys.has(first.value)) throw OUT;
        keys.add(first.value);
        i += 1;
        spaces();
        (coll as YAMLMap).items.push(pairNode(first, flowScalar()));
        spaces();
      } else {
        (coll as YAMLSeq).items.push(first);
      }
      if (text[i] === ',') {
        i++;
        spaces();
        if (text[i] === close) throw OUT;
        continue;
      }
      if (text[i] === close) break;
      throw OUT;
    }
  }
  if (!restIsComment(text, i + 1, eol)) throw OUT;
  coll.range = [start, i + 1, i + 1];
  return coll;
}

interface Block {
  node: Scalar;
  /** Where the next line to read starts. */
  next: number;
}

/** A block scalar whose header starts at `start` (after `key: ` or `- `), its content
 *  indented more than `parent`. */
function blockScalar(text: string, start: number, eol: number, parent: number): Block {
  const folded = text[start] === '>';
  let i = start + 1;
  let chomp = '';
  if (text[i] === '-') chomp = text[i++];
  if (i < eol && text.charCodeAt(i) !== 32) throw OUT;
  if (!restIsComment(text, i, eol)) throw OUT;
  // [indent, content] per line as yaml splits them, up to the first line indented no more
  // than the parent (a line between the parent and the content's column is an error)
  const lines: Array<[number, string]> = [];
  let at = eol + 1;
  let contentIndent = -1;
  let lastContentEnd = eol + 1;
  while (at < text.length) {
    const e = lineEnd(text, at);
    const n = skipSpaces(text, at, e) - at;
    const blank = at + n === e;
    if (blank && contentIndent === -1) throw OUT;
    if (!blank) {
      if (n <= parent) break;
      if (contentIndent === -1) contentIndent = n;
      else if (n < contentIndent) throw OUT;
      lastContentEnd = Math.min(e + 1, text.length);
    }
    lines.push([n, text.slice(at + n, e)]);
    at = e + 1;
  }
  if (contentIndent === -1) throw OUT;
  // trailing blank lines belong to the chomping, not the content
  let body = lines.length;
  while (body > 0 && lines[body - 1][1] === '') body--;
  for (let k = 0; k < lines.length; k++) {
    const [n, content] = lines[k];
    // yaml keeps more-indented blank lines as content and refuses leading ones
    if (content === '' && n > contentIndent) throw OUT;
  }
  let value = '';
  let sep = '';
  let prevMoreIndented = false;
  for (let k = 0; k < body; k++) {
    const [n, content] = lines[k];
    const indent = ' '.repeat(Math.max(0, n - contentIndent));
    if (!folded) {
      value += sep + indent + content;
      sep = '\n';
    } else if (n > contentIndent) {
      if (sep === ' ') sep = '\n';
      else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
      value += sep + indent + content;
      sep = '\n';
      prevMoreIndented = true;
    } else if (content === '') {
      if (sep === '\n') value += '\n';
      else sep = '\n';
    } else {
      value += sep + content;
      sep = ' ';
      prevMoreIndented = false;
    }
  }
  if (chomp !== '-') value += '\n';
  const end = lastContentEnd;
  const node = scalar(scalarNode(value), value, folded ? 'BLOCK_FOLDED' : 'BLOCK_LITERAL', start, end, end);
  // the next structural line: after the content and any blank lines
  return { node, next: at };
}

interface Doc {
  root?: Node;
  start: number;
  /** Where an empty document's null sits (after its `---`). */
  emptyAt: number;
}

/** The documents of `text` as the full parse gives them, or undefined when the text is
 *  not in the subset this reader knows to read exactly as yaml does. */
export function quickDocuments(text: string): ParsedDocument[] | undefined {
  if (/[\t\r\uFEFF]/.test(text)) return undefined;
  try {
    return read(text);
  } catch (err) {
    if (err === OUT) return undefined;
    throw err;
  }
}

function read(text: string): ParsedDocument[] {
  const docs: Doc[] = [];
  let doc: Doc | undefined;
  const frames: Frame[] = [];
  const close = () => {
    for (let f = frames.pop(); f; f = frames.pop()) finish(f);
  };
  let pos = 0;
  while (pos < text.length) {
    const eol = lineEnd(text, pos);
    const c = skipSpaces(text, pos, eol);
    const next = eol + 1;
    if (c === eol || text.charCodeAt(c) === 35) {
      // blank or comment; an entry waiting for its value goes on waiting
      pos = next;
      continue;
    }
    const indent = c - pos;
    if (indent === 0 && text.startsWith('---', c) && (c + 3 === eol || text.charCodeAt(c + 3) === 32)) {
      if (!restIsComment(text, c + 3, eol)) throw OUT;
      close();
      doc = { start: c, emptyAt: skipSpaces(text, c + 3, eol) };
      docs.push(doc);
      pos = next;
      continue;
    }
    if (text.startsWith('...', c) || text[c] === '%') throw OUT;
    if (!doc) docs.push((doc = { start: pos, emptyAt: pos }));
    pos = line(text, c, eol, indent, frames, doc);
  }
  close();
  return docs.map(toDocument);
}

/** Gives the entry still waiting for its value an empty one. */
function settle(f: Frame): void {
  if (f.at !== -1) fill(f, empty(f.at));
}

/** Settles a collection the reader leaves for good and gives it its range. */
function finish(f: Frame): void {
  settle(f);
  f.node.range = [f.start, f.end, f.end];
}

/** Gives the waiting entry of `f` its value. */
function fill(f: Frame, value: Node): void {
  if (f.pair) f.pair.value = value;
  else (f.node as YAMLSeq).items.push(value);
  f.pair = undefined;
  f.at = -1;
}

function wait(f: Frame, pair: Pair | undefined, at: number): void {
  f.pair = pair;
  f.at = at;
}

/** Reads the structural line whose content starts at `c`; returns where the next line
 *  to read starts. */
function line(text: string, c: number, eol: number, indent: number, frames: Frame[], doc: Doc): number {
  const item = text.charCodeAt(c) === 45 && (c + 1 === eol || text.charCodeAt(c + 1) === 32);
  while (frames.length > 0 && indent < frames[frames.length - 1].indent) finish(frames.pop()!);
  let top = frames[frames.length - 1];
  if (top && indent === top.indent && !top.map && top.indentless && !item) {
    finish(frames.pop()!);
    top = frames[frames.length - 1];
  }
  let frame: Frame;
  if (!top) {
    if (doc.root) throw OUT;
    frame = open(item, indent, c, false);
    doc.root = frame.node;
    frames.push(frame);
  } else if (indent === top.indent && top.map && item && top.at !== -1) {
    frame = open(true, indent, c, true);
    fill(top, frame.node);
    frames.push(frame);
  } else if (indent === top.indent) {
    if (top.map === item) throw OUT;
    settle(top);
    frame = top;
  } else {
    if (top.at === -1 || indent < top.indent) throw OUT;
    frame = open(item, indent, c, false);
    fill(top, frame.node);
    frames.push(frame);
  }
  if (frames.length > MAX_FRAMES) throw OUT;
  return item ? seqItem(text, c, eol, frame, frames) : mapEntry(text, c, eol, frame);
}

// Manifests nest a few dozen levels; a text nested deeper is the full parse's to judge
// (it refuses past MAX_DEPTH, and what reads the nodes recurses per level).
const MAX_FRAMES = 128;

function open(seq: boolean, indent: number, start: number, indentless: boolean): Frame {
  return { indent, node: collectionNode(seq), map: !seq, indentless, start, end: start, at: -1, pair: undefined, keys: undefined };
}

/** `key:` or `key: value` at `c`, an entry of the map `frame`. */
function mapEntry(text: string, c: number, eol: number, frame: Frame): number {
  const colon = keyColon(text, c, eol);
  if (colon === -1) throw OUT;
  const source = text.slice(c, colon);
  // yaml refuses an implicit key of more than 1,024 characters
  if (source.length > MAX_KEY || !KEY.test(source)) throw OUT;
  const key = plainScalar(source);
  if (typeof key.value !== 'string') throw OUT;
  scalar(key, source, 'PLAIN', c, colon, colon);
  const items = (frame.node as YAMLMap).items as Pair[];
  // a few keys are compared one by one; past that a set is cheaper
  if (frame.keys) {
    if (frame.keys.has(source)) throw OUT;
    frame.keys.add(source);
  } else {
    for (let i = 0; i < items.length; i++) if ((items[i].key as Scalar).source === source) throw OUT;
    if (items.length >= 8) frame.keys = new Set([...items.map((p) => (p.key as Scalar).source as string), source]);
  }
  const pair = pairNode(key);
  items.push(pair);
  if (colon > frame.end) frame.end = colon;
  return value(text, colon + 1, eol, frame, pair);
}

/** `- ...` at `c`, an item of the sequence `frame`. */
function seqItem(text: string, c: number, eol: number, frame: Frame, frames: Frame[]): number {
  const v = skipSpaces(text, c + 1, eol);
  if (c > frame.end) frame.end = c;
  if (v < eol && text.charCodeAt(v) !== 35 && !text.startsWith('- ', v) && isKeyLine(text, v, eol)) {
    // `- key: value`: a map at the key's column
    const map = open(false, v - lineStart(text, v), v, false);
    (frame.node as YAMLSeq).items.push(map.node);
    frames.push(map);
    return mapEntry(text, v, eol, map);
  }
  return value(text, c + 1, eol, frame, undefined);
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** The first `:` of the line that ends a key (a space or the line's end after it), or -1.
 *  Searched within the line only: a long list of items without one costs its length. */
function keyColon(text: string, from: number, eol: number): number {
  for (let i = from; i < eol; i++) if (text.charCodeAt(i) === 58 && (i + 1 === eol || text.charCodeAt(i + 1) === 32)) return i;
  return -1;
}

function isKeyLine(text: string, v: number, eol: number): boolean {
  const ch = text[v];
  if (ch === "'" || ch === '"' || ch === '[' || ch === '{' || ch === '|' || ch === '>') return false;
  const colon = keyColon(text, v, eol);
  // a comment before the colon makes it no key
  return colon !== -1 && !text.slice(v, colon).includes(' #');
}

/** The value after an indicator (`:` of `pair`, or `-` of an item) at `after`. */
function value(text: string, after: number, eol: number, frame: Frame, pair: Pair | undefined): number {
  const v = skipSpaces(text, after, eol);
  if (v === eol || text.charCodeAt(v) === 35) {
    if (v < eol && v === after) throw OUT;
    wait(frame, pair, v);
    return eol + 1;
  }
  if (v === after) throw OUT;
  const ch = text[v];
  let node: Node;
  let next = eol + 1;
  if (ch === '|' || ch === '>') {
    const block = blockScalar(text, v, eol, frame.indent);
    node = block.node;
    next = block.next;
  } else {
    node = inlineValue(text, v, eol);
  }
  wait(frame, pair, v);
  fill(frame, node);
  const end = node.range![1];
  if (end > frame.end) frame.end = end;
  return next;
}

function toDocument(d: Doc): ParsedDocument {
  const doc = new Document() as unknown as ParsedDocument;
  const contents = d.root ?? empty(d.emptyAt);
  (doc as { contents: unknown }).contents = contents;
  doc.range = [d.start, contents.range![1], contents.range![2]];
  return doc;
}
