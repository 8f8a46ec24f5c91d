// The only importer of the `yaml` package. Everything else works through these helpers,
// so the parser's quirks (ranges, CRLF, multi-document streams) are handled once.
import {
  parseAllDocuments,
  parseDocument,
  isMap,
  isSeq,
  isScalar,
  isPair,
  isCollection,
  LineCounter,
  YAMLMap,
  YAMLSeq,
  Scalar,
  Document,
  type Node,
  type ParsedNode,
} from 'yaml';

export { isMap, isSeq, isScalar, isPair, isCollection, LineCounter, YAMLMap, YAMLSeq, Scalar, Document, parseDocument };
export type { Node, ParsedNode };

export type ParsedDocument = Document.Parsed;

export interface ParsedStream {
  docs: ParsedDocument[];
  /** The first error of any document, with its offset, or undefined when all parsed. */
  error?: { message: string; offset: number };
}

/** Parses a (multi-document) YAML stream keeping source ranges on every node. */
export function parseStream(text: string): ParsedStream {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false }) as unknown;
  // parseAllDocuments returns an EmptyStream (array-like with errors) for empty input.
  const list = Array.isArray(docs) ? (docs as ParsedDocument[]) : [];
  for (const d of list) {
    if (d.errors.length > 0) {
      const e = d.errors[0];
      return { docs: list, error: { message: e.message.split('\n')[0], offset: e.pos[0] } };
    }
  }
  return { docs: list };
}

/** Plain JS value of a parsed document (aliases resolved). */
export function toJS(doc: ParsedDocument): unknown {
  return doc.toJS({ maxAliasCount: 1000 });
}
