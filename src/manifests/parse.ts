// Loading manifests with located errors, and the confirm step: after an edit the file
// is parsed again and every changed value checked before anything is written.
import { ParseError, EditError, type Location } from '../errors.ts';
import type { ObjectRef } from '../plan.ts';
import type { Change, ManifestDoc, ManifestFile } from './types.ts';
import { aliasUses, confirmAliases, samePath, writtenScalars } from './anchors.ts';
import { quickDocuments } from './quick-yaml.ts';
import { applyTextEdits, movedOffset } from './text.ts';
import { parseStream, parseStreamAsync, parseStreamSpan, reparseEdited, stringIn, toJS, isMap, isScalar, type Node, type ParseSource, type ParsedDocument, type ParsedStream } from './yaml.ts';

/** The 1-based line of an offset in `text`, by a binary search of its line starts. */
export function lineIndex(text: string): (offset: number) => number {
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

const KIND = ['kind'];
const API_VERSION = ['apiVersion'];
const NAMESPACE = ['metadata', 'namespace'];
const NAME = ['metadata', 'name'];

/** apiVersion, kind and metadata read straight off the tree: converting a whole document
 *  to plain data just to name it costs more than parsing it. */
function objectOf(doc: ParsedDocument): ObjectRef | undefined {
  if (!isMap(doc.contents)) return undefined;
  const kind = stringIn(doc, KIND);
  if (kind === undefined) return undefined;
  return { apiVersion: stringIn(doc, API_VERSION), kind, namespace: stringIn(doc, NAMESPACE), name: stringIn(doc, NAME) ?? '' };
}

/** A document whose plain-data form is computed on first use; most documents a scan
 *  parses are never looked at that way. A class, not an object literal with a getter:
 *  V8 gives each such literal its own accessor pair in the old generation, which keeps
 *  every young node of the document alive through scavenges until a full collection
 *  (finding the images of 5,000 files spent 450 ms collecting garbage so). */
class LazyDoc implements ManifestDoc {
  #value: unknown;
  #done = false;
  readonly object: ObjectRef | undefined;

  constructor(
    readonly index: number,
    readonly doc: ParsedDocument,
    private readonly where: () => Location,
  ) {
    this.object = objectOf(doc);
  }

  get value(): unknown {
    if (!this.#done) {
      // parseStream already converted every document with aliases, so this cannot
      // meet an alias bomb; any other conversion failure is still this file's problem.
      try {
        this.#value = toJS(this.doc);
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        throw new ParseError('PARSE_YAML', `invalid YAML: ${err.message.split('\n')[0]}`, this.where(), { cause: err });
      }
      this.#done = true;
    }
    return this.#value;
  }
}

function manifestDoc(doc: ParsedDocument, index: number, where: () => Location): ManifestDoc {
  return new LazyDoc(index, doc, where);
}

/** Parses a manifest file. Throws ParseError naming the file and line when any document
 *  fails, is nested too deep (PARSE_TOO_DEEP) or has aliases that expand too far (PARSE_ALIASES). */
export function parseManifest(path: string, text: string): ManifestFile {
  return manifestOf(path, text, takeConfirmed(text) ?? parseStream(text));
}

/** parseManifest for a reader of values and of where they sit (finding images, the Flux
 *  policies): a text in the plain block subset quick-yaml.ts reads is built without the
 *  full parse. Its nodes hold what the full parse gives but the ends of collections and
 *  comments, so an edit or a check that places text still parses in full. */
export function readManifest(path: string, text: string): ManifestFile {
  return quickManifest(path, text) ?? parseManifest(path, text);
}

/** readManifest when the quick reader takes the text, else undefined (no parse). A large
 *  text is left to the full parse, which lets other work run meanwhile. */
export function quickManifest(path: string, text: string): ManifestFile | undefined {
  const docs = text.length < ASYNC_FROM ? quickDocuments(text) : undefined;
  return docs && manifestOf(path, text, { docs });
}

/** readManifest, a large file's parse letting other work run meanwhile. */
export async function readManifestAsync(path: string, text: string): Promise<ManifestFile> {
  return quickManifest(path, text) ?? parseManifestAsync(path, text);
}

/** parseManifest for the jobs: a large file's parse lets other work run meanwhile. */
export async function parseManifestAsync(path: string, text: string): Promise<ManifestFile> {
  return manifestOf(path, text, takeConfirmed(text) ?? (text.length < ASYNC_FROM ? parseStream(text) : await parseStreamAsync(text)));
}

// What the parse of a file about to be edited keeps for the confirm step of that edit
// (reparseKept): the lexemes and the CST, used up by the one confirm they serve.
const sources = new WeakMap<ManifestFile, ParseSource>();

/** How often the confirm step re-parsed from what a parse kept, for tests and the bench. */
export const confirmCounters = { kept: 0 };

/** parseManifestAsync for a file a plan is about to edit: a single document's parse keeps
 *  what lets the confirm step re-parse the edited text without the parser. Several
 *  documents keep nothing: the confirm step re-parses just the edited ones. */
export async function parseManifestToEdit(path: string, text: string): Promise<ManifestFile> {
  const handed = takeConfirmed(text);
  if (handed || text.length >= ASYNC_FROM) return manifestOf(path, text, handed ?? (await parseStreamAsync(text)));
  const stream = parseStream(text, { keep: true });
  const file = manifestOf(path, text, stream);
  if (stream.source && stream.docs.length === 1) sources.set(file, stream.source);
  return file;
}

/** The lexemes the parse of a file about to be edited kept, while its confirm step has
 *  not used them up (the planner keeps them with the text's facts). */
export function keptLexemes(file: ManifestFile): readonly string[] | undefined {
  return sources.get(file)?.lexemes;
}

// The confirm step parses each edited text whole, and the analysis of the change parses
// the same text next (src/analysis/view.ts): it gets the confirm step's parse instead,
// once. Parsing is a function of the text, and nothing changes a parsed document. Bounded
// by text size, as a change nobody analyzes leaves its parses here until pushed out.
const confirmedParses = new Map<string, ParsedStream>();
const CONFIRMED_MAX_CHARS = 2 * 1024 * 1024;
let confirmedChars = 0;

function keepConfirmed(text: string, stream: ParsedStream): void {
  if (stream.error || text.length > CONFIRMED_MAX_CHARS || confirmedParses.has(text)) return;
  // the documents reparseChanged left out are holes, which `some` would skip
  for (let i = 0; i < stream.docs.length; i++) if (!stream.docs[i]) return;
  confirmedParses.set(text, stream);
  confirmedChars += text.length;
  for (const old of confirmedParses.keys()) {
    if (confirmedChars <= CONFIRMED_MAX_CHARS) break;
    confirmedParses.delete(old);
    confirmedChars -= old.length;
  }
}

function takeConfirmed(text: string): ParsedStream | undefined {
  const stream = confirmedParses.get(text);
  if (stream) {
    confirmedParses.delete(text);
    confirmedChars -= text.length;
  }
  return stream;
}

// Below this many characters a parse takes a few milliseconds: no point pausing in it.
const ASYNC_FROM = 64 * 1024;

function manifestOf(path: string, text: string, stream: ParsedStream): ManifestFile {
  // most files are never asked for a line: the index is made on the first question
  let index: ((offset: number) => number) | undefined;
  const lineOf = (offset: number) => (index ??= lineIndex(text))(offset);
  if (stream.error) {
    const { code, message, offset } = stream.error;
    throw new ParseError(code, code === 'PARSE_YAML' ? `invalid YAML: ${message}` : message, { file: path, line: lineOf(offset) });
  }
  return { path, text, docs: stream.docs.map((d, i) => manifestDoc(d, i, () => ({ file: path, line: lineOf(d.range[0]) }))), lineOf };
}

/** An anchored value is shared by every alias of it: editing it would change fields the
 *  plan does not name. Throws EDIT_ANCHORED for such a scalar. Image changes whose
 *  aliases were vetted (anchored-images.ts) carry them and are let through by `edited`. */
export function refuseAnchored(node: unknown, where: Location): void {
  if (isScalar(node) && node.anchor) {
    throw new EditError('EDIT_ANCHORED', `value is anchored (&${node.anchor}) and may be aliased elsewhere; edit it by hand`, where);
  }
}

/** Applies the changes to the file text, re-parses it and checks every changed value.
 *  Returns the new text; throws EditError (and writes nothing) when a check fails. */
export function applyAndConfirm(file: ManifestFile, changes: Change[]): string {
  const next = edited(file, changes);
  const reparsed = reparseKept(file, changes, next) ?? reparseChanged(file, changes, next) ?? parseStream(next);
  const out = confirmed(file, changes, next, reparsed);
  confirmAliases(file, changes, reparsed);
  keepConfirmed(next, reparsed);
  return out;
}

/** applyAndConfirm for the jobs: a large file's re-parse lets other work run meanwhile. */
export async function applyAndConfirmAsync(file: ManifestFile, changes: Change[]): Promise<string> {
  const next = edited(file, changes);
  const small = next.length < ASYNC_FROM;
  const reparsed = (small ? reparseKept(file, changes, next) : undefined) ?? reparseChanged(file, changes, next) ?? (small ? parseStream(next) : await parseStreamAsync(next));
  const out = confirmed(file, changes, next, reparsed);
  confirmAliases(file, changes, reparsed);
  keepConfirmed(next, reparsed);
  return out;
}

/** A change writes an anchored value, or one an aliased collection copies, only as its
 *  own field and only with every alias of it vetted and carried (`aliases`); anything
 *  else would change fields the plan does not name. */
function refuseAliased(file: ManifestFile, c: Change): void {
  const doc = file.docs[c.docIndex]?.doc;
  if (!doc) return;
  const at = (node: Node): Location => ({ file: file.path, line: file.lineOf(node.range?.[0] ?? 0), field: c.edit.field });
  const own = c.source === null ? undefined : doc.getIn(c.source ?? c.path, true);
  // the rule for every change nobody vetted, traffic weights among them
  if (isScalar(own) && !c.aliases) refuseAnchored(own, at(own));
  if (!file.text.includes('*')) return; // no alias anywhere: nothing else can change
  for (const node of writtenScalars(doc, c.text)) {
    const vetted = node === own ? c.aliases : undefined;
    if (!vetted) refuseAnchored(node, at(node));
    const use = aliasUses(doc, node).find((u) => !(u.kind === 'value' && vetted?.some((a) => samePath(a.path, u.path))));
    if (use) {
      throw new EditError('EDIT_ANCHORED', `value is ${use.kind === 'collection' ? 'copied by an alias of a collection holding it' : 'aliased'} at ${file.path}:${file.lineOf(use.start)}; edit it by hand`, at(node));
    }
  }
}

/** The re-parse the confirm step needs, from what the file's parse kept (see
 *  reparseEdited in yaml.ts): only when the edits replace flow scalars by flow scalars
 *  and the result parses cleanly. Anything else (an inserted line, a text that no longer
 *  parses) is left to the re-parses below, which report it as they always did. */
function reparseKept(file: ManifestFile, changes: Change[], next: string): ParsedStream | undefined {
  const source = sources.get(file);
  if (!source) return undefined;
  sources.delete(file);
  const reparsed = reparseEdited(source, next, changes.flatMap((c) => c.text));
  if (!reparsed || reparsed.error || reparsed.docs.length !== file.docs.length) return undefined;
  confirmCounters.kept++;
  return reparsed;
}

// A directive line (`%YAML 1.1`) changes how every later document reads.
const DIRECTIVE = /^%/m;

/** The re-parse the confirm step needs, of only the documents the edits touch: each one
 *  parsed from its span of the new text, at the offsets it has there. The documents
 *  between are byte for byte the same and start after a `---` line that ends whatever
 *  came before, so they parse as they did. Undefined (re-parse everything) when that
 *  cannot be told cheaply, and whenever a span does not give back exactly one sound
 *  document: the full re-parse then reports what is wrong as it always did. The result
 *  holds the touched documents at their indexes; confirmed() and confirmAliases() look
 *  at no others. */
function reparseChanged(file: ManifestFile, changes: Change[], next: string): ParsedStream | undefined {
  const n = file.docs.length;
  const edits = changes.flatMap((c) => c.text);
  if (n < 2 || edits.length === 0 || DIRECTIVE.test(file.text)) return undefined;
  // span i = [bounds[i], bounds[i + 1]): the documents tile the text
  const bounds = [0, ...file.docs.slice(0, -1).map((d) => d.doc.range[2]), file.text.length];
  for (let i = 1; i < n; i++) if (bounds[i] <= bounds[i - 1] || !file.text.startsWith('---', bounds[i])) return undefined;
  const touched = new Set(changes.map((c) => c.docIndex));
  for (const e of edits) {
    const i = spanOf(bounds, e.start);
    // an edit on a boundary or across one could move it
    if (i < 0 || e.start === bounds[i] && i > 0 || e.end >= bounds[i + 1] && i < n - 1) return undefined;
    touched.add(i);
  }
  const shift = (offset: number) => movedOffset(offset, edits);
  const docs: ParsedStream['docs'] = new Array<ParsedStream['docs'][number]>(n);
  for (const i of touched) {
    if (i < 0 || i >= n) return undefined;
    const part = parseStreamSpan(next, shift(bounds[i]), i === n - 1 ? next.length : shift(bounds[i + 1]));
    if (part.error || part.docs.length !== 1) return undefined;
    docs[i] = part.docs[0];
  }
  return { docs };
}

/** The document span holding `offset`, or -1. */
function spanOf(bounds: number[], offset: number): number {
  for (let i = 0; i < bounds.length - 1; i++) if (offset >= bounds[i] && offset < bounds[i + 1]) return i;
  return offset === bounds[bounds.length - 1] ? bounds.length - 2 : -1;
}

function edited(file: ManifestFile, changes: Change[]): string {
  for (const c of changes) refuseAliased(file, c);
  return applyTextEdits(file.text, changes.flatMap((c) => c.text));
}

function confirmed(file: ManifestFile, changes: Change[], next: string, reparsed: ParsedStream): string {
  if (reparsed.error) {
    throw new EditError('EDIT_BROKE_YAML', `edit would produce invalid YAML (${reparsed.error.message})`, { file: file.path });
  }
  if (reparsed.docs.length !== file.docs.length) {
    throw new EditError('EDIT_DOC_COUNT', `edit changed the number of documents (${file.docs.length} -> ${reparsed.docs.length})`, { file: file.path });
  }
  for (const c of changes) {
    const doc = reparsed.docs[c.docIndex];
    const node = doc?.getIn(c.path, true);
    const got = isScalar(node) ? node.value : node;
    const why = c.absent
      ? node === undefined ? undefined : `${c.path.join('.')} is still present`
      : got === c.expect ? undefined : `re-parsed value is ${JSON.stringify(got)}, expected ${JSON.stringify(c.expect)}`;
    const also = why ?? (doc && c.confirm?.(doc));
    if (also) throw new EditError('EDIT_CONFIRM', also, { file: file.path, field: c.edit.field });
  }
  return next;
}
