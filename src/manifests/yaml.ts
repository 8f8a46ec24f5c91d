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
  Document,
  type CST,
  type Node,
  type ParsedNode,
} from 'yaml';

export { isMap, isSeq, isScalar, isPair, isAlias, isCollection, LineCounter, YAMLMap, YAMLSeq, Scalar, Document, parseDocument };
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
function* tokens(text: string, shape: Shape, lineCounter?: LineCounter, base = 0): Generator<CST.Token | Tick> {
  const parser = new Parser(lineCounter?.addNewLine);
  // a span of a larger text (parseStreamSpan): every offset counts from that text's start
  parser.offset = base;
  // what Parser.parse does first, before it lexes
  lineCounter?.addNewLine(0);
  let n = 0;
  for (const lexeme of new Lexer().lex(text, false)) {
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
}

type ComposeOptions = { uniqueKeys: boolean; lineCounter?: LineCounter; base?: number };

/** The whole parse as one generator of ticks: run to its end at once (compose) or with
 *  pauses at the ticks (composeAsync); both give the same documents. */
function* composing(text: string, options: ComposeOptions, single: boolean, shape: Shape, docs: ParsedDocument[]): Generator<Tick, void> {
  const composer = new Composer({ uniqueKeys: options.uniqueKeys, prettyErrors: false });
  for (const token of screened(tokens(text, shape, options.lineCounter, options.base), shape)) {
    if (token === TICK) yield TICK;
    else for (const doc of composer.next(token)) docs.push(doc);
  }
  for (const doc of composer.end(single, single ? text.length : -1)) docs.push(doc);
}

function compose(text: string, options: ComposeOptions, single: boolean): Composed {
  const shape: Shape = { aliases: [] };
  const docs: ParsedDocument[] = [];
  return settle(docs, shape, () => {
    for (const tick of composing(text, options, single, shape, docs)) void tick;
  });
}

// An asynchronous parse holds the thread at most about this long at a time (one document
// is always composed in one go).
const SLICE_MS = 20;

async function composeAsync(text: string, options: ComposeOptions): Promise<Composed> {
  const shape: Shape = { aliases: [] };
  const docs: ParsedDocument[] = [];
  const gen = composing(text, options, false, shape, docs);
  let since = performance.now();
  let failed: unknown;
  for (;;) {
    let step: IteratorResult<Tick, void>;
    try {
      step = gen.next();
    } catch (err) {
      failed = err;
      break;
    }
    if (step.done) break;
    if (performance.now() - since > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
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

/** Parses a (multi-document) YAML stream keeping source ranges on every node. */
export function parseStream(text: string): ParsedStream {
  return streamOf(compose(text, { uniqueKeys: false }, false));
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

function streamOf({ docs, limit }: Composed): ParsedStream {
  if (limit) return { docs, error: limit };
  for (const d of docs) {
    if (d.errors.length > 0) {
      const e = d.errors[0];
      return { docs, error: { code: 'PARSE_YAML', message: e.message.split('\n')[0], offset: e.pos[0] } };
    }
  }
  return { docs };
}

/** One document, as yaml's parseDocument gives it (syntax errors in `doc.errors`, a
 *  second document an error too), under the same limits as parseStream. */
export function parseSingleDocument(text: string, options: { uniqueKeys: boolean; lineCounter?: LineCounter }): { doc?: ParsedDocument; limit?: StreamError } {
  const { docs, limit } = compose(text, options, true);
  const [doc, second] = docs;
  if (doc && second) doc.errors.push(new YAMLParseError([second.range[0], second.range[0] + 1], 'MULTIPLE_DOCS', 'the file holds more than one YAML document'));
  return { doc, limit };
}

/** Plain JS value of a parsed document (aliases resolved). */
export function toJS(doc: ParsedDocument): unknown {
  return converted.has(doc) ? converted.get(doc) : doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
}
