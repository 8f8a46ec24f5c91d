// Loading manifests with located errors, and the confirm step: after an edit the file
// is parsed again and every changed value checked before anything is written.
import { ParseError, EditError } from '../errors.ts';
import type { ObjectRef } from '../plan.ts';
import type { Change, ManifestDoc, ManifestFile } from './types.ts';
import { applyTextEdits } from './text.ts';
import { parseStream, toJS, isScalar, type ParsedDocument } from './yaml.ts';

function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function objectOf(value: unknown): ObjectRef | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string') return undefined;
  const meta = (v.metadata ?? {}) as Record<string, unknown>;
  return {
    apiVersion: typeof v.apiVersion === 'string' ? v.apiVersion : undefined,
    kind: v.kind,
    namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
    name: typeof meta.name === 'string' ? meta.name : '',
  };
}

/** Parses a manifest file. Throws ParseError naming the file and line when any document fails. */
export function parseManifest(path: string, text: string): ManifestFile {
  const lineOf = lineIndex(text);
  const stream = parseStream(text);
  if (stream.error) {
    throw new ParseError('PARSE_YAML', `invalid YAML: ${stream.error.message}`, { file: path, line: lineOf(stream.error.offset) });
  }
  const docs: ManifestDoc[] = stream.docs.map((doc: ParsedDocument, index) => {
    const value = toJS(doc);
    return { index, doc, value, object: objectOf(value) };
  });
  return { path, text, docs, lineOf };
}

/** Applies the changes to the file text, re-parses it and checks every changed value.
 *  Returns the new text; throws EditError (and writes nothing) when a check fails. */
export function applyAndConfirm(file: ManifestFile, changes: Change[]): string {
  const next = applyTextEdits(file.text, changes.flatMap((c) => c.text));
  let reparsed: ManifestFile;
  try {
    reparsed = parseManifest(file.path, next);
  } catch (err) {
    throw new EditError('EDIT_BROKE_YAML', `edit would produce invalid YAML (${(err as Error).message})`, { file: file.path }, { cause: err });
  }
  if (reparsed.docs.length !== file.docs.length) {
    throw new EditError('EDIT_DOC_COUNT', `edit changed the number of documents (${file.docs.length} -> ${reparsed.docs.length})`, { file: file.path });
  }
  for (const c of changes) {
    const node = reparsed.docs[c.docIndex]?.doc.getIn(c.path, true);
    const got = isScalar(node) ? node.value : node;
    if (got !== c.expect) {
      throw new EditError('EDIT_CONFIRM', `re-parsed value is ${JSON.stringify(got)}, expected ${JSON.stringify(c.expect)}`, {
        file: file.path,
        field: c.edit.field,
      });
    }
  }
  return next;
}
