// The only importer of the `yaml` package. Everything else works through these helpers,
// so the parser's quirks (ranges, CRLF, multi-document streams) are handled once.
//
// Manifests and the config come from a repo anyone with push access shapes. The
// composer, toJS and every visitor recurse per nesting level, so a document nested
// 100 000 levels deep overflows the stack (sometimes fatally, inside V8's regexp
// compiler), and a few lines of aliases expand into billions of nodes. The CST the
// parser builds is walked first with an explicit stack, and a document nested deeper
// than MAX_DEPTH never reaches the composer; documents with aliases are converted at
// parse time under yaml's alias budget, so no later `toJS` can blow up.
import {
  Composer,
  Lexer,
  Parser,
  YAMLParseError,
  parseDocument,
  isMap,
  isSeq,
  isScalar,
  isPair,
  isAlias,
  isCollection,
  LineCounter,
  YAMLMap,
  YAMLSeq,
  Scalar,
  Pair,
  Document,
  CST,
  type Node,
  type ParsedNode,
} from 'yaml';

export { isMap, isSeq, isScalar, isPair, isAlias, isCollection, LineCounter, YAMLMap, YAMLSeq, Scalar, Pair, Document, parseDocument };

/** A tag of yaml's core schema as quick-yaml.ts resolves plain scalars with it. */
export interface CoreTag {
  default?: boolean | 'key';
  format?: string;
  test?: RegExp;
  resolve: (value: string, onError: (message: string) => void, options: never) => unknown;
}

const coreDocument = new Document();

/** The tags of the schema every parse here uses (YAML 1.2 core), in the order the
 *  composer tries them on a plain scalar. */
export const coreTags = coreDocument.schema.tags as unknown as readonly CoreTag[];

// yaml's node constructors give every node its type with Object.defineProperty, which
// cost the quick reader more than all else it does per node. Nodes made here inherit
// the type (and class, and a core schema for collections) from one real node per class.
const protoScalar = new Scalar(null);
const protoPair = new Pair(null);
const protoMap = new YAMLMap(coreDocument.schema);
const protoSeq = new YAMLSeq(coreDocument.schema);

/** A scalar node as `new Scalar(value)` makes it. */
export function scalarNode(value: unknown): Scalar {
  const node = Object.create(protoScalar) as Scalar;
  node.value = value;
  return node;
}

/** A pair as `new Pair(key, value)` makes it. */
export function pairNode(key: unknown, value: unknown = null): Pair {
  const pair = Object.create(protoPair) as Pair;
  pair.key = key;
  pair.value = value;
  return pair;
}

/** An empty block map or sequence, as the composer makes them. */
export function collectionNode(seq: boolean): YAMLMap | YAMLSeq {
  const node = Object.create(seq ? protoSeq : protoMap) as YAMLMap | YAMLSeq;
  node.items = [];
  return node;
}
export type { Node, ParsedNode };

export type ParsedDocument = Document.Parsed;

/** Kubernetes objects nest a few dozen levels; Helm values rarely a hundred. */
export const MAX_DEPTH = 256;
/** yaml's measure of alias expansion: resolved aliases times the nodes each one copies. */
export const MAX_ALIAS_COUNT = 1000;

export type StreamErrorCode = 'PARSE_YAML' | 'PARSE_TOO_DEEP' | 'PARSE_ALIASES';

export interface StreamError {
  code: StreamErrorCode;
  message: string;
  offset: number;
}

export interface ParsedStream {
  docs: ParsedDocument[];
  /** The first problem of any document, with its offset, or undefined when all parsed. */
  error?: StreamError;
  /** The lexemes and CST of a clean parse that was asked to keep them (reparseEdited). */
  source?: ParseSource;
}

/** The lexemes of a text and the CST the parser built of them, kept so that an edited
 *  copy of the text can be re-parsed without running the parser again (reparseEdited). */
export interface ParseSource {
  readonly lexemes: readonly string[];
  readonly tokens: readonly CST.Token[];
}

/** What the CST walk found: where nesting went too deep, or the first alias of each document. */
interface Shape {
  tooDeep?: number;
  aliases: Array<number | undefined>;
}

const tooDeep = (offset: number): StreamError => ({ code: 'PARSE_TOO_DEEP', message: `nested deeper than ${MAX_DEPTH} levels; not parsed further`, offset });

function inspect(doc: CST.Document): { tooDeep?: number; alias?: number } {
  const stack: Array<[CST.Token, number]> = doc.value ? [[doc.value, 0]] : [];
  let alias: number | undefined;
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === 'alias') {
      alias = alias === undefined ? token.offset : Math.min(alias, token.offset);
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth >= MAX_DEPTH) return { tooDeep: token.offset };
      for (const item of token.items as CST.CollectionItem[]) {
        if (item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return { alias };
}

// The parser's stack holds the document, each open collection and at most a few
// pending tokens: past this many entries the input is nested beyond MAX_DEPTH for sure.
const MAX_PARSER_STACK = MAX_DEPTH + 8;

/** A point where an asynchronous parse may let other work run (see parseStreamAsync). */
const TICK = Symbol('tick');
type Tick = typeof TICK;
// lexemes between ticks, as a mask: cheap enough to check, short enough to stay responsive
const TICK_EVERY = 1023;

/** CST tokens of `text`, fed to the parser one lexeme at a time so that a megabyte of
 *  `[` stops at the stack bound instead of building a CST a million levels deep. */
function* tokens(text: string, shape: Shape, lineCounter?: LineCounter, base = 0, lexemes?: string[]): Generator<CST.Token | Tick> {
  const parser = new Parser(lineCounter?.addNewLine);
  // a span of a larger text (parseStreamSpan): every offset counts from that text's start
  parser.offset = base;
  // what Parser.parse does first, before it lexes
  lineCounter?.addNewLine(0);
  let n = 0;
  for (const lexeme of new Lexer().lex(text, false)) {
    lexemes?.push(lexeme);
    const before = parser.offset;
    yield* parser.next(lexeme);
    if (parser.stack.length > MAX_PARSER_STACK) {
      shape.tooDeep = before;
      return;
    }
    if ((++n & TICK_EVERY) === 0) yield TICK;
  }
  yield* parser.end();
}

/** Passes CST tokens on to the composer, stopping at the first document nested too deep. */
function* screened(tokens: Iterable<CST.Token | Tick>, shape: Shape): Generator<CST.Token | Tick> {
  for (const token of tokens) {
    if (token !== TICK && token.type === 'document') {
      const found = inspect(token);
      if (found.tooDeep !== undefined) {
        shape.tooDeep = found.tooDeep;
        return;
      }
      shape.aliases.push(found.alias);
    }
    yield token;
  }
}

// Plain values computed at parse time (documents with aliases), handed out by toJS.
const converted = new WeakMap<ParsedDocument, unknown>();

function convertAliased(doc: ParsedDocument, offset: number): StreamError | undefined {
  try {
    converted.set(doc, doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
    return undefined;
  } catch (err) {
    // yaml says "Excessive alias count indicates a resource exhaustion attack"
    if (err instanceof ReferenceError && /alias count/i.test(err.message)) {
      return { code: 'PARSE_ALIASES', message: `aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?); not resolved`, offset };
    }
    if (err instanceof RangeError) return tooDeep(offset);
    if (err instanceof Error) return { code: 'PARSE_YAML', message: err.message.split('\n')[0], offset };
    throw err;
  }
}

interface Composed {
  docs: ParsedDocument[];
  /** A nesting or alias limit hit; syntax errors stay in each document's `errors`. */
  limit?: StreamError;
  source?: ParseSource;
}

type ComposeOptions = { uniqueKeys: boolean; lineCounter?: LineCounter; base?: number; keep?: { lexemes: string[]; tokens: CST.Token[] } };

/** The whole parse as one generator of ticks: run to its end at once (compose) or with
 *  pauses at the ticks (composeAsync); both give the same documents. */
function* composing(text: string, options: ComposeOptions, single: boolean, shape: Shape, docs: ParsedDocument[]): Generator<Tick, void> {
  const composer = new Composer({ uniqueKeys: options.uniqueKeys, prettyErrors: false });
  const kept = options.keep?.tokens;
  for (const token of screened(tokens(text, shape, options.lineCounter, options.base, options.keep?.lexemes), shape)) {
    if (token === TICK) yield TICK;
    else {
      kept?.push(token);
      for (const doc of composer.next(token)) docs.push(doc);
    }
  }
  for (const doc of composer.end(single, single ? text.length : -1)) docs.push(doc);
}

function compose(text: string, options: ComposeOptions, single: boolean): Composed {
  const shape: Shape = { aliases: [] };
  const docs: ParsedDocument[] = [];
  const composed = settle(docs, shape, () => toEnd(composing(text, options, single, shape, docs)));
  return options.keep && !composed.limit ? { ...composed, source: options.keep } : composed;
}

// An asynchronous parse holds the thread at most about this long at a time (one document
// is always composed in one go).
const SLICE_MS = 20;

async function composeAsync(text: string, options: ComposeOptions): Promise<Composed> {
  const shape: Shape = { aliases: [] };
  const docs: ParsedDocument[] = [];
  let failed: unknown;
  try {
    await inSlices(composing(text, options, false, shape, docs));
  } catch (err) {
    failed = err;
  }
  return settle(docs, shape, () => {
    if (failed !== undefined) throw failed;
  });
}

/** The limits' verdict on a parse that `run` performs (or has performed and may rethrow). */
function settle(docs: ParsedDocument[], shape: Shape, run: () => void): Composed {
  try {
    run();
  } catch (err) {
    // the depth walk should make this unreachable; a stack overflow is still no crash
    if (err instanceof RangeError) return { docs: [], limit: tooDeep(0) };
    throw err;
  }
  if (shape.tooDeep !== undefined) return { docs, limit: tooDeep(shape.tooDeep) };
  for (const doc of docs) {
    const exhausted = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION');
    if (exhausted) return { docs, limit: tooDeep(exhausted.pos[0]) };
  }
  for (let i = 0; i < docs.length; i++) {
    const alias = shape.aliases[i];
    if (alias === undefined || docs[i].errors.length > 0) continue;
    const limit = convertAliased(docs[i], alias);
    if (limit) return { docs, limit };
  }
  return { docs };
}

/** Parses a (multi-document) YAML stream keeping source ranges on every node. With
 *  `keep`, a stream that parses cleanly carries its `source` for reparseEdited. */
export function parseStream(text: string, options: { keep?: boolean } = {}): ParsedStream {
  return streamOf(compose(text, { uniqueKeys: false, keep: options.keep ? { lexemes: [], tokens: [] } : undefined }, false));
}

/** The documents of `text.slice(start, end)` as parseStream gives them, with ranges (and
 *  error offsets) counted from the start of `text`. `start` must begin a document of the
 *  stream and `end` end one, with no directive in force: the confirm step re-parses just
 *  the documents an edit touched. */
export function parseStreamSpan(text: string, start: number, end: number): ParsedStream {
  return streamOf(compose(text.slice(start, end), { uniqueKeys: false, base: start }, false));
}

/** parseStream, letting other work run every SLICE_MS: a manifest of megabytes does not
 *  hold the thread (webhooks, ticks) for the seconds its parse takes. */
export async function parseStreamAsync(text: string): Promise<ParsedStream> {
  return streamOf(await composeAsync(text, { uniqueKeys: false }));
}

function streamOf({ docs, limit, source }: Composed): ParsedStream {
  if (limit) return { docs, error: limit };
  for (const d of docs) {
    if (d.errors.length > 0) {
      const e = d.errors[0];
      return { docs, error: { code: 'PARSE_YAML', message: e.message.split('\n')[0], offset: e.pos[0] } };
    }
  }
  return source ? { docs, source } : { docs };
}

/** One document, as yaml's parseDocument gives it (syntax errors in `doc.errors`, a
 *  second document an error too), under the same limits as parseStream. */
export function parseSingleDocument(text: string, options: { uniqueKeys: boolean; lineCounter?: LineCounter }): { doc?: ParsedDocument; limit?: StreamError } {
  const { docs, limit } = compose(text, options, true);
  const [doc, second] = docs;
  if (doc && second) doc.errors.push(new YAMLParseError([second.range[0], second.range[0] + 1], 'MULTIPLE_DOCS', 'the file holds more than one YAML document'));
  return { doc, limit };
}

// ---- re-parsing an edited text ---------------------------------------------------------
//
// The confirm step re-parses every text an edit produces, and an image bump edits
// hundreds of files at once. When the edits only replace flow scalars (a tag, a weight),
// most of that parse repeats the first one: the parser is a function of the lexemes, and
// of a flow scalar's lexeme it reads only the length (the offsets after it) and, for a
// quoted one, the first character (its type). So when the lexer gives the new text the
// old lexemes, except that each replaced scalar is one scalar lexeme holding exactly the
// replacement, the parser would build the old CST with those scalars' sources and types
// changed and every later offset moved. That CST is made by patching the kept one, and
// only the lexer (on the new text) and the composer (on that CST, behind the same depth
// and alias checks as any parse) run again.

type Replacement = { start: number; end: number; text: string };

const FLOW_SCALARS = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar']);

/** Characters of the text a lexeme stands for: the lexer's marks stand for none. */
function width(lexeme: string): number {
  return lexeme === CST.SCALAR || lexeme === CST.DOCUMENT || lexeme === CST.FLOW_END ? 0 : lexeme.length;
}

const quoted = (lexeme: string | undefined): boolean => lexeme !== undefined && (lexeme[0] === '"' || lexeme[0] === "'");

/** Whether `next` is `old` with each replaced scalar (a plain one: the lexer's mark and the
 *  scalar) swapped for a scalar that is exactly the replacement text. */
function sameButScalars(old: readonly string[], next: readonly string[], edits: readonly Replacement[]): boolean {
  let i = 0;
  let j = 0;
  let at = 0;
  for (const e of edits) {
    while (at < e.start) {
      if (i >= old.length || old[i] !== next[j]) return false;
      at += width(old[i++]);
      j++;
    }
    if (at !== e.start) return false;
    const length = e.end - e.start;
    if (old[i] === CST.SCALAR && old[i + 1]?.length === length) i += 2;
    else if (quoted(old[i]) && old[i].length === length) i += 1;
    else return false;
    if (next[j] === CST.SCALAR && next[j + 1] === e.text) j += 2;
    else if (quoted(e.text) && next[j] === e.text) j += 1;
    else return false;
    at = e.end;
  }
  if (old.length - i !== next.length - j) return false;
  for (; i < old.length; i++, j++) if (old[i] !== next[j]) return false;
  return true;
}

/** The kept CST made the parser's CST of the edited text, in place: each replaced flow
 *  scalar gets the replacement as its source (and the type the parser gives it), every
 *  offset after an edit moves by what the edits before it added. False when some edit
 *  replaces no flow scalar token, leaving the CST unusable. */
function patch(tokens: readonly CST.Token[], edits: readonly Replacement[]): boolean {
  let replaced = 0;
  const visit = (token: CST.Token | CST.SourceToken): void => {
    const t = token as { type: string; offset: number; source: string };
    if (FLOW_SCALARS.has(t.type)) {
      for (const e of edits) {
        if (e.start !== t.offset) continue;
        if (t.offset + t.source.length !== e.end) return;
        t.source = e.text;
        t.type = e.text[0] === '"' ? 'double-quoted-scalar' : e.text[0] === "'" ? 'single-quoted-scalar' : 'scalar';
        replaced++;
      }
    }
    let moved = t.offset;
    for (const e of edits) if (e.end <= t.offset) moved += e.text.length - (e.end - e.start);
    t.offset = moved;
  };
  // every token inside a token, by where each kind keeps them (see yaml's cst.d.ts)
  const stack: Array<CST.Token | CST.SourceToken> = [...tokens];
  const pushAll = (list: ReadonlyArray<CST.Token | CST.SourceToken> | undefined) => {
    if (list) for (const x of list) stack.push(x);
  };
  while (stack.length > 0) {
    const token = stack.pop()!;
    visit(token);
    switch (token.type) {
      case 'document':
        pushAll(token.start);
        if (token.value) stack.push(token.value);
        pushAll(token.end);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (token.type === 'flow-collection') {
          stack.push(token.start);
          pushAll(token.end);
        }
        for (const item of token.items as CST.CollectionItem[]) {
          pushAll(item.start);
          if (item.key) stack.push(item.key);
          pushAll(item.sep);
          if (item.value) stack.push(item.value);
        }
        break;
      case 'block-scalar':
        pushAll(token.props);
        break;
      case 'alias':
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'doc-end':
        pushAll(token.end);
        break;
    }
  }
  return replaced === edits.length;
}

/** The parse of `next`, the text of `source`'s parse with `edits` (offsets in the old
 *  text) applied, as parseStream gives it; undefined when the edits do not just replace
 *  flow scalars by flow scalars (the caller then parses `next` whole). Uses up `source`:
 *  its CST is patched in place. */
export function reparseEdited(source: ParseSource, next: string, edits: readonly Replacement[]): ParsedStream | undefined {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  if (sorted.length === 0) return undefined;
  const lexemes: string[] = [];
  for (const lexeme of new Lexer().lex(next, false)) lexemes.push(lexeme);
  if (!sameButScalars(source.lexemes, lexemes, sorted) || !patch(source.tokens, sorted)) return undefined;
  const shape: Shape = { aliases: [] };
  const docs: ParsedDocument[] = [];
  return streamOf(
    settle(docs, shape, () => {
      const composer = new Composer({ uniqueKeys: false, prettyErrors: false });
      for (const token of screened(source.tokens, shape)) if (token !== TICK) for (const doc of composer.next(token)) docs.push(doc);
      for (const doc of composer.end(false, -1)) docs.push(doc);
    }),
  );
}

/** Whether the document's nodes read as its plain value does: no alias to resolve and
 *  no merge key (`<<` merges under YAML 1.1). A caller after a few fields then reads
 *  them off the nodes instead of converting the whole document. */
export function readsAsNodes(doc: ParsedDocument): boolean {
  return !converted.has(doc) && !doc.schema.tags.some((t) => t.tag === MERGE_TAG);
}

const MERGE_TAG = 'tag:yaml.org,2002:merge';

/** The node `doc.getIn(path, true)` gives below `node` (a document's contents), without
 *  the arrays getIn makes at every step: in a map the first pair of the key, in a
 *  sequence the item at an index (a string of digits is one). Finding the images of a
 *  fleet asks this of every document. */
export function nodeIn(node: unknown, path: readonly (string | number)[]): unknown {
  let at = node;
  for (const key of path) {
    if (isMap(at)) {
      let found: unknown;
      for (const it of at.items) {
        if (isPair(it) && (it.key === key || (isScalar(it.key) && it.key.value === key))) {
          found = it.value;
          break;
        }
      }
      at = found;
    } else if (isSeq(at)) {
      const idx = typeof key === 'string' && key ? Number(key) : key;
      at = typeof idx === 'number' && Number.isInteger(idx) && idx >= 0 ? at.items[idx] : undefined;
    } else {
      return undefined;
    }
    if (at === undefined || at === null) return undefined;
  }
  return at;
}

/** The string `doc.getIn(path)` gives, or undefined for anything else. */
export function stringIn(doc: ParsedDocument, path: readonly (string | number)[]): string | undefined {
  const node = nodeIn(doc.contents, path);
  const v = isScalar(node) ? node.value : node;
  return typeof v === 'string' ? v : undefined;
}

/** Plain JS value of a parsed document (aliases resolved). */
export function toJS(doc: ParsedDocument): unknown {
  return converted.has(doc) ? converted.get(doc) : doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
}

// ---- confirming a scalar replacement without a parse -----------------------------------
//
// The image planner keeps, per text, the lexemes and where each image value sits (see
// manifests/indexed-edits.ts). The lexer alone then confirms an edit: when the edited
// text lexes to the old lexemes with each replaced scalar swapped for one lexeme that is
// exactly the replacement, the parser would build the old CST but for those scalars (see
// above), so every document keeps its shape, and each new value reads as its own text.

/** The lexemes of `text`, as the parser would be fed them. */
export function lexemesOf(text: string): string[] {
  return toEnd(lexing(text));
}

/** A point where long work may let other work run: a generator of these is run at once
 *  (toEnd) or in slices (inSlices). */
export type Pause = Tick;
export const PAUSE: Pause = TICK;

/** The lexemes of `text`, pausing every TICK_EVERY + 1 of them. */
export function* lexing(text: string): Generator<Pause, string[]> {
  const out: string[] = [];
  let n = 0;
  for (const lexeme of new Lexer().lex(text, false)) {
    out.push(lexeme);
    if ((++n & TICK_EVERY) === 0) yield TICK;
  }
  return out;
}

/** Runs `work` to its end at once. */
export function toEnd<T>(work: Generator<Pause, T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** Runs `work`, letting other work run every SLICE_MS (as parseStreamAsync does). */
export async function inSlices<T>(work: Generator<Pause, T>): Promise<T> {
  let since = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (performance.now() - since > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}

/** Whether `next` (the lexemes of the edited text) are `old` with each edit's flow scalar
 *  replaced by a flow scalar lexeme that is exactly its new text. */
export function onlyScalarsReplaced(old: readonly string[], next: readonly string[], edits: readonly Replacement[]): boolean {
  return edits.length > 0 && sameButScalars(old, next, [...edits].sort((a, b) => a.start - b.start));
}

/** Whether the lexemes hold nothing that makes one value stand for another or read
 *  differently from its text: no anchor, alias, tag or directive. */
export function plainStructure(lexemes: readonly string[]): boolean {
  for (let i = 0; i < lexemes.length; i++) {
    const c = lexemes[i][0];
    if ((c === '&' || c === '*' || c === '!' || c === '%') && lexemes[i - 1] !== CST.SCALAR) return false;
  }
  return true;
}
