// What an image edit needs of a text, kept by content so a text planned before is not
// parsed again: every image reference in it (all images, per editor, as the image index
// finds them), where each container image value sits (span, quoting, the value), its
// lexemes, and its objects as plain data for the analysis. Kept per (policies, repo,
// path, content hash): it cannot be stale, only absent.
//
// An edit that only replaces container image values is then planned from these facts,
// spliced into the text, and confirmed by the lexer alone (see onlyScalarsReplaced in
// yaml.ts): the edited text must lex to the old lexemes but for each replaced scalar,
// which must be exactly the written text and read back as the intended string. Such a
// text has the old documents with those values changed, so its facts (and objects) are
// derived from the old ones, and the next edit of it needs no parse either. Anything
// else (an anchor, alias, tag or directive anywhere, a value over several lines or in
// a block scalar, a duplicate key on the way, a reference another editor found) keeps
// no span and is planned by the full path: parse, edit, confirm.
//
// A persistent reader (the CLI) also keeps each text's facts and objects, without the
// lexemes (the lexer reads the text again for less than it costs to keep them), in a
// file of the repo's own (kept-facts.ts), so a cold process plans such a text with no
// parse either. Facts read from there are checked against the text they are used for.
//
// Most texts are in the quick reader's subset, and their facts hold the text's shape:
// their splices are confirmed by it instead (quick-confirm.ts), mostly from the written
// scalars alone.
import { hash } from 'node:crypto';
import type { ObjectRef } from '../plan.ts';
import { parseImageRef } from '../policy/image.ts';
import type { FluxPolicy } from './flux-policies.ts';
import type { FactsFile } from './kept-facts.ts';
import { maskedShape, movedMasks, quickConfirm, splicesKeepShape, type MaskedScalar, type ScalarSplice } from './quick-confirm.ts';
import { applyTextEdits, movedOffset } from './text.ts';
import { slices } from './turns.ts';
import type { ImageEditor, ImageRef, ManifestDoc, ManifestFile, TextEdit } from './types.ts';
import { findingSites, nodeAt, scalarText } from './workload-images.ts';
import { inSlices, isMap, isScalar, isSeq, lexing, onlyScalarsReplaced, parseDocument, PAUSE, plainStructure, readsAsNodes, toEnd, type Pause } from './yaml.ts';

export type ScalarStyle = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';

/** A container image value as the text holds it. */
export interface ValueSpan {
  start: number;
  end: number;
  style: ScalarStyle;
  /** The value as the editor reads it (scalarText). */
  current: string;
}

/** An object of a text as the analysis reads it (see analysis/view.ts). */
export interface KeptObject {
  ref: ObjectRef;
  value: Record<string, unknown>;
  doc: number;
  /** The line the document's contents start on (where a finding on the whole object
   *  goes): a splice of values on one line each moves no line. */
  line?: number;
}

export interface EditFacts {
  /** Every editor's references to any image, undefined where its screen said no. */
  byEditor: Array<ImageRef[] | undefined>;
  /** By offset: the workload image values an edit may splice. */
  spans: Map<number, ValueSpan>;
  lexemes?: readonly string[];
  /** The text's shape with the spans masked (quick-confirm.ts maskedShape): a splice of
   *  them is confirmed by reading the new text alone. */
  shape?: string;
  /** Read from a kept facts file: each span is checked against the text it splices. */
  stored?: true;
  /** Where these facts are kept in the file (a CLI's): a whole entry, and the splices
   *  made since (see SplicedFacts). */
  origin?: { from: string; step?: StoredStep };
}

/** An entry of a kept facts file: the facts without the lexemes, and the objects. */
interface StoredFacts {
  byEditor: Array<ImageRef[] | undefined>;
  spans: Array<[number, ValueSpan]>;
  shape?: string;
  objects?: KeptObject[];
}

/** The values spliced into a text: the edits of it ([start, end, text], in order and
 *  apart), and what was written at each workload reference ([offset, value, written
 *  text]), all at offsets of that text. */
type StoredStep = { edits: Array<[number, number, string]>; writes: Array<[number, string, string]> };

/** An entry kept as the text of a whole entry (`from`) with `step` spliced in: what a CLI
 *  keeps of a text it spliced, in place of the facts it would derive (the objects were
 *  most of the ~80 ms a sidecar's 801 entries took to derive and serialize). A splice of
 *  such a text is kept as one step from the same whole entry (composed), so a chain of
 *  bumps reads two entries a text. It is derived when a later plan asks (unspliced), and
 *  then checked against its text as any entry. */
interface SplicedFacts {
  from: string;
  step: StoredStep;
  /** Which of byEditor the workload editor's references are. */
  workload: number;
  shape?: string;
}

const WORKLOAD = 'workload-images';
// a text's facts hold its lexemes (some 15 KB for a 2 KB manifest): 2,048 texts (about
// 30 MB at most) cover the ~800 files of a fleet-wide sidecar and the texts one bump
// moves them to
const FACTS_LIMIT = 2048;
const facts = new Map<string, EditFacts>();
const objects = new Map<string, KeptObject[]>();
const policyKeys = new WeakMap<ReadonlyMap<string, FluxPolicy>, string>();

/** How often a text was planned from kept facts, how often the full path had to run for
 *  a text with facts, how often facts were read from a kept file, confirmed by a kept
 *  shape, and derived from a kept splice (SplicedFacts), for tests and the bench. */
export const indexedEditCounters = { spliced: 0, declined: 0, stored: 0, shaped: 0, unspliced: 0 };

// A text's hash names its facts and its objects, and a plan asks for it several times
// (the text planned, the text written, the analysis of each): some 6 hashes a file of a
// sidecar bump, kept here per text (the strings are held by the plan anyway).
const digests = new Map<string, string>();

function digest(s: string): string {
  let d = digests.get(s);
  if (d === undefined) {
    // one call, no Hash object a text: 801 texts hashed in ~3 ms, against ~16 ms through
    // createHash, in a cold process (the CLI's), measured
    d = hash('sha256', s, 'base64');
    if (digests.size >= FACTS_LIMIT * 2) digests.delete(digests.keys().next().value as string);
    digests.set(s, d);
  }
  return d;
}

function policiesKey(policies: ReadonlyMap<string, FluxPolicy>): string {
  let key = policyKeys.get(policies);
  if (key === undefined) policyKeys.set(policies, (key = digest(JSON.stringify([...policies]))));
  return key;
}

/** Where the facts of one text are kept: the references depend on the ImagePolicies. */
export function factsKey(root: string, rel: string, text: string, policies: ReadonlyMap<string, FluxPolicy>): string {
  return `${policiesKey(policies)}\0${root}\0${rel}\0${digest(text)}`;
}

function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= FACTS_LIMIT) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** The facts of the text `key` names, from this process or else from `store`. */
export function keptFacts(key: string, store?: FactsFile): EditFacts | undefined {
  return facts.get(key) ?? madeLater(key) ?? resolvePending(key) ?? (store && storedFacts(key, store));
}

/** The facts of texts a change wrote, to be derived once the change is on its way
 *  (deriveWrittenFacts, beside its commit and push) or when a plan asks for them first:
 *  without a store (the bot), for the next plan of this process. */
const later = new Map<string, () => EditFacts | undefined>();

function madeLater(key: string): EditFacts | undefined {
  const make = later.get(key);
  if (!make) return undefined;
  later.delete(key);
  return make();
}

/** How many written texts' facts are still to be derived (for tests). */
export function writtenFactsPending(): number {
  return later.size;
}

/** Derives the facts of the texts written since, in slices that let git's processes
 *  start and end meanwhile (see turns.ts). */
export async function deriveWrittenFacts(): Promise<void> {
  const turn = slices();
  for (const key of [...later.keys()]) {
    await turn();
    try {
      madeLater(key);
    } catch {
      // the change is made already: a text whose facts cannot be derived is planned afresh
    }
  }
}

// factsKey less its policies: the objects do not depend on them
const objectsKeyOf = (key: string) => key.slice(key.indexOf('\0') + 1);

function save(store: FactsFile | undefined, key: string, kept: EditFacts, objects: KeptObject[] | undefined): void {
  if (!store) return;
  store.set(key, storedOf(kept, objects));
  kept.origin = { from: key };
}

function storedOf(kept: EditFacts, objects: KeptObject[] | undefined): StoredFacts {
  return { byEditor: kept.byEditor, spans: [...kept.spans], ...(kept.shape ? { shape: kept.shape } : {}), ...(objects ? { objects } : {}) };
}

function storedFacts(key: string, store: FactsFile): EditFacts | undefined {
  const got = store.get(key);
  const spliced = validSpliced(got) ? got : undefined;
  const x = spliced ? unspliced(spliced, store) : got;
  if (!validStored(x)) return undefined;
  indexedEditCounters.stored++;
  if (spliced) indexedEditCounters.unspliced++;
  const origin = spliced ? { from: spliced.from, step: spliced.step } : { from: key };
  const kept: EditFacts = { byEditor: x.byEditor, spans: new Map(x.spans), ...(x.shape ? { shape: x.shape } : {}), stored: true, origin };
  bounded(facts, key, kept);
  if (x.objects) bounded(objects, objectsKeyOf(key), x.objects);
  return kept;
}

const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const isOffset = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const STYLES = new Set(['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE']);

function validRef(r: unknown): boolean {
  return (
    isObject(r) &&
    typeof r.file === 'string' &&
    typeof r.field === 'string' &&
    typeof r.repository === 'string' &&
    typeof r.editor === 'string' &&
    isOffset(r.offset) &&
    isOffset(r.docIndex) &&
    isObject(r.object) &&
    typeof r.object.kind === 'string' &&
    Array.isArray(r.path) &&
    r.path.every((p) => typeof p === 'string' || isOffset(p))
  );
}

function validSpan(e: unknown): boolean {
  if (!Array.isArray(e) || e.length !== 2 || !isOffset(e[0]) || !isObject(e[1])) return false;
  const s = e[1];
  return isOffset(s.start) && isOffset(s.end) && (s.start as number) < (s.end as number) && typeof s.style === 'string' && STYLES.has(s.style) && typeof s.current === 'string';
}

function validObject(o: unknown): boolean {
  return isObject(o) && isObject(o.ref) && typeof o.ref.kind === 'string' && typeof o.ref.name === 'string' && isObject(o.value) && isOffset(o.doc) && (o.line === undefined || isOffset(o.line));
}

function validSpliced(x: unknown): x is SplicedFacts {
  if (!isObject(x) || typeof x.from !== 'string' || !isOffset(x.workload) || (x.shape !== undefined && typeof x.shape !== 'string')) return false;
  const step = x.step;
  if (!isObject(step) || !Array.isArray(step.edits) || !Array.isArray(step.writes)) return false;
  // edits in order and apart, as a splice makes them
  let end = 0;
  for (const e of step.edits as unknown[]) {
    if (!Array.isArray(e) || e.length !== 3 || !isOffset(e[0]) || !isOffset(e[1]) || typeof e[2] !== 'string' || e[0] < end || e[1] < e[0]) return false;
    end = e[1];
  }
  return (step.writes as unknown[]).every((w) => Array.isArray(w) && w.length === 3 && isOffset(w[0]) && typeof w[1] === 'string' && typeof w[2] === 'string');
}

/** The entry `x` stands for: its whole entry with the step spliced in, as factsOfSplice
 *  derives them; undefined when that entry is gone or the step does not fit it. */
function unspliced(x: SplicedFacts, store: FactsFile): StoredFacts | undefined {
  const from = store.get(x.from);
  if (!validStored(from)) return undefined;
  const refs = new Map((from.byEditor[x.workload] ?? []).map((r) => [r.offset, r]));
  const writes: SpanWrite[] = [];
  for (const [offset, value, text] of x.step.writes) {
    const ref = refs.get(offset);
    if (!ref) return undefined;
    writes.push({ ref, value, text });
  }
  const facts = splicedFacts({ byEditor: from.byEditor, spans: new Map(from.spans) }, x.step.edits.map(([start, end, text]) => ({ start, end, text })), writes, x.workload);
  const objects = from.objects && derivedObjects(from.objects, writes);
  return { byEditor: facts.byEditor, spans: [...facts.spans], ...(x.shape ? { shape: x.shape } : {}), ...(objects ? { objects } : {}) };
}

/** `step` (from a whole entry's text to a text) followed by the splice of `edits` writing
 *  `writes` (of that text): one step from the whole entry's text. Each edit either is one
 *  region `step` wrote, written again, or lies outside all of them; undefined otherwise. */
function composed(step: StoredStep | undefined, edits: readonly TextEdit[], writes: readonly SpanWrite[]): StoredStep | undefined {
  const before = step?.edits ?? [];
  const placed = new Map<number, [number, number, string]>(before.map((e) => [e[0], e]));
  for (const e of edits) {
    const at = wasAt(e.start, e.end, before);
    if (!at) return undefined;
    placed.set(at[0], [at[0], at[1], e.text]);
  }
  const ordered = [...placed.values()].sort((a, b) => a[0] - b[0]);
  if (ordered.some((e, i) => i > 0 && e[0] < ordered[i - 1][1])) return undefined;
  const written = new Map<number, [number, string, string]>((step?.writes ?? []).map((w) => [w[0], w]));
  for (const w of writes) {
    const at = wasAt(w.ref.offset, w.ref.offset, before);
    if (!at) return undefined;
    written.set(at[0], [at[0], w.value, w.text]);
  }
  return { edits: ordered, writes: [...written.values()] };
}

/** Where [start, end) of a text made by `edits` was in the text they were made in: the
 *  region an edit wrote is where that edit was; any other maps by the edits before it.
 *  Undefined for a region that overlaps a written one otherwise. */
function wasAt(start: number, end: number, edits: ReadonlyArray<[number, number, string]>): [number, number] | undefined {
  let delta = 0;
  for (const [from, to, text] of edits) {
    const at = from + delta;
    if (start === at && end === at + text.length) return [from, to];
    if (end <= at) break;
    if (start < at + text.length) return undefined;
    delta += text.length - (to - from);
  }
  return [start - delta, end - delta];
}

// a kept file is read whole by every later plan: an entry of another shape is ignored
function validStored(x: unknown): x is StoredFacts {
  if (!isObject(x) || !Array.isArray(x.byEditor) || !Array.isArray(x.spans)) return false;
  if (!x.byEditor.every((refs) => refs === undefined || (Array.isArray(refs) && refs.every(validRef)))) return false;
  if (!x.spans.every(validSpan) || (x.shape !== undefined && typeof x.shape !== 'string')) return false;
  return x.objects === undefined || (Array.isArray(x.objects) && x.objects.every(validObject));
}

const objectsKey = (root: string, rel: string, text: string) => `${root}\0${rel}\0${digest(text)}`;

/** The objects of `text` at `rel` in the repo at `root` when some plan kept or derived them. */
export function keptObjectsOf(root: string, rel: string, text: string): KeptObject[] | undefined {
  return objects.get(objectsKey(root, rel, text));
}

/** The document's object when it is a named mapping that converts. */
export function objectValue(d: ManifestDoc): Record<string, unknown> | undefined {
  if (!d.object || !d.object.name) return undefined;
  let value: unknown;
  try {
    value = d.value;
  } catch {
    return undefined;
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function objectsOfFile(file: ManifestFile): KeptObject[] {
  const out: KeptObject[] = [];
  file.docs.forEach((d, doc) => {
    const kept = keptObject(file, d, doc);
    if (kept) out.push(kept);
  });
  return out;
}

function keptObject(file: ManifestFile, d: ManifestDoc, doc: number): KeptObject | undefined {
  const value = objectValue(d);
  return value ? { ref: d.object!, value, doc, line: file.lineOf((d.doc.contents?.range?.[0] ?? 0) as number) } : undefined;
}

/** Whether each map on `path` holds its key once: the node the editor reads is then the
 *  value the plain data has there (of duplicate keys the last wins). */
function uniquePath(root: unknown, path: readonly (string | number)[]): boolean {
  let node = root;
  for (const seg of path) {
    if (isMap(node)) {
      const hits = node.items.filter((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (hits.length !== 1 || !isScalar(hits[0].key) || typeof hits[0].key.value !== 'string') return false;
      node = hits[0].value;
    } else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return false;
  }
  return true;
}

function spanOf(file: ManifestFile, ref: ImageRef): ValueSpan | undefined {
  let node;
  try {
    node = nodeAt(file, ref);
  } catch {
    return undefined;
  }
  if (!isScalar(node) || !node.range || node.anchor || node.tag) return undefined;
  const style = node.type;
  if (style !== 'PLAIN' && style !== 'QUOTE_DOUBLE' && style !== 'QUOTE_SINGLE') return undefined;
  const [start, end] = node.range;
  const current = scalarText(node);
  if (current === undefined || /[\r\n]/.test(file.text.slice(start, end))) return undefined;
  if (!uniquePath(file.docs[ref.docIndex].doc.contents, ref.path)) return undefined;
  return { start, end, style, current };
}

/** Keeps what the full path's parse of `file` tells an image edit; `lexemes` when the
 *  parse kept them. Nothing is kept where finding every image fails. A large file's
 *  facts pause for other work (webhooks, ticks) between editors and documents. */
export async function keepFactsOf(root: string, key: string, file: ManifestFile, editors: readonly ImageEditor[], lexemes?: readonly string[], store?: FactsFile): Promise<EditFacts | undefined> {
  return inSlices(keepingFacts(root, key, file, editors, lexemes, store));
}

// references or documents between two pauses
const PAUSE_EVERY = 255;

function* keepingFacts(root: string, key: string, file: ManifestFile, editors: readonly ImageEditor[], lexemes?: readonly string[], store?: FactsFile): Generator<Pause, EditFacts | undefined> {
  if (!file.docs.every((d) => readsAsNodes(d.doc))) return undefined;
  const byEditor: Array<ImageRef[] | undefined> = [];
  try {
    if (editors.some((e) => e.name === WORKLOAD && e.screen(file.text))) yield* findingSites(file);
  } catch {
    return undefined;
  }
  for (const e of editors) {
    try {
      byEditor.push(e.screen(file.text) ? e.find(file) : undefined);
    } catch {
      return undefined;
    }
    yield PAUSE;
  }
  const spans = new Map<number, ValueSpan>();
  let n = 0;
  for (const [j, e] of editors.entries()) {
    if (e.name !== WORKLOAD) continue;
    for (const ref of byEditor[j] ?? []) {
      const span = spanOf(file, ref);
      if (span) spans.set(ref.offset, span);
      if ((++n & PAUSE_EVERY) === 0) yield PAUSE;
    }
  }
  const shape = maskedShape(file.text, masksOf(spans));
  yield PAUSE;
  const objs: KeptObject[] = [];
  for (const [doc, d] of file.docs.entries()) {
    const kept = keptObject(file, d, doc);
    if (kept) objs.push(kept);
    if ((doc & PAUSE_EVERY) === PAUSE_EVERY) yield PAUSE;
  }
  const kept: EditFacts = { byEditor, spans, ...(lexemes ? { lexemes } : {}), ...(shape ? { shape } : {}) };
  bounded(facts, key, kept);
  bounded(objects, objectsKey(root, file.path, file.text), objs);
  save(store, key, kept, objs);
  return kept;
}

/** One value to write: the reference found at `ref.offset`, its new value, and the text
 *  the editor writes for it. */
export interface SpanWrite {
  ref: ImageRef;
  value: string;
  text: string;
}

const plainMemo = new Map<string, boolean>();

/** A plain scalar `value` alone reads back as that string. */
function plainReads(value: string): boolean {
  let ok = plainMemo.get(value);
  if (ok === undefined) {
    const doc = parseDocument(value);
    ok = doc.errors.length === 0 && isScalar(doc.contents) && doc.contents.value === value;
    if (plainMemo.size > 1000) plainMemo.clear();
    plainMemo.set(value, ok);
  }
  return ok;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

/** Whether the flow scalar `written`, lexed as one scalar, reads as `value`: quoted with
 *  no escape or quote inside, or plain and reading as the string alone. */
function readsAs(written: string, value: string): boolean {
  if (!PRINTABLE.test(value)) return false;
  if (written[0] === '"') return written === `"${value}"` && !/["\\]/.test(value);
  if (written[0] === "'") return written === `'${value}'` && !value.includes("'");
  return written === value && value !== '' && plainReads(value);
}

/** The spans as the scalars a shape leaves out, one a start. */
function masksOf(spans: ReadonlyMap<number, ValueSpan>): MaskedScalar[] {
  const byStart = new Map<number, MaskedScalar>();
  for (const s of spans.values()) byStart.set(s.start, { start: s.start, end: s.end, type: s.style, value: s.current });
  return [...byStart.values()];
}

const styleOf = (written: string): ScalarStyle => (written[0] === '"' ? 'QUOTE_DOUBLE' : written[0] === "'" ? 'QUOTE_SINGLE' : 'PLAIN');

/** `text` with the writes spliced in, confirmed by the lexer (see the top of this file),
 *  with the facts and objects of the new text kept; undefined when it cannot be confirmed
 *  that way (the full path then plans the file). */
export async function spliceConfirmed(
  root: string,
  rel: string,
  text: string,
  kept: EditFacts,
  writes: readonly SpanWrite[],
  editors: readonly ImageEditor[],
  policies: ReadonlyMap<string, FluxPolicy>,
  store?: FactsFile,
): Promise<string | undefined> {
  // a large text's lexes pause for other work (webhooks, ticks) as its parse would
  const c = await inSlices(confirming(text, kept, writes));
  if (!c) return decline();
  indexedEditCounters.spliced++;
  deriveFacts(root, rel, text, c, kept, writes, editors, policies, store);
  return c.next;
}

interface Splice {
  next: string;
  edits: TextEdit[];
  /** The new text's lexemes, when the lexer confirmed it. */
  lexemes?: string[];
  /** The new text's shape (the old one's, spans masked), when the quick reader read it. */
  shape?: string;
}

function confirmSplice(text: string, kept: EditFacts, writes: readonly SpanWrite[]): Splice | undefined {
  return toEnd(confirming(text, kept, writes));
}

function* confirming(text: string, kept: EditFacts, writes: readonly SpanWrite[]): Generator<Pause, Splice | undefined> {
  const splices: ScalarSplice[] = [];
  for (const w of writes) {
    const span = kept.spans.get(w.ref.offset);
    if (!span || !readsAs(w.text, w.value)) return undefined;
    // a stored span must still hold the value it names, in its style, in this text
    if (kept.stored && (span.end > text.length || styleOf(text.slice(span.start, span.end)) !== span.style || !readsAs(text.slice(span.start, span.end), span.current))) return undefined;
    splices.push({ start: span.start, end: span.end, text: w.text, value: w.value });
  }
  splices.sort((a, b) => a.start - b.start);
  const edits: TextEdit[] = splices.map(({ start, end, text }) => ({ start, end, text }));
  const next = applyTextEdits(text, edits);
  // a text in the quick reader's subset is confirmed by it (quick-confirm.ts): where its
  // shape was kept, from the written scalars alone when each is one the reader reads as
  // the old one's twin, else from the new text; any other by the lexer, as is a splice
  // the reader finds changes more than the values
  const masked = kept.shape === undefined ? undefined : masksOf(kept.spans);
  if (masked && splicesKeepShape(masked, splices)) {
    indexedEditCounters.shaped++;
    return { next, edits, shape: kept.shape };
  }
  const masks = masked && movedMasks(masked, splices);
  const shape = masks && maskedShape(next, masks);
  if (shape !== undefined && shape === kept.shape) {
    indexedEditCounters.shaped++;
    return { next, edits, shape };
  }
  // (a kept shape that is not the text's: the new text's, as just read, is kept instead)
  if (quickConfirm(text, next, splices)) return { next, edits, ...(shape ? { shape } : {}) };
  // facts read from a kept file are used once by a process that plans once: their
  // lexemes are not kept in it either (some 15 KB a text, for the collector to move)
  const old = kept.lexemes ?? (kept.stored ? yield* lexing(text) : (kept.lexemes = yield* lexing(text)));
  if (!plainStructure(old)) return undefined;
  const lexemes = yield* lexing(next);
  yield PAUSE;
  return onlyScalarsReplaced(old, lexemes, edits) ? { next, edits, lexemes } : undefined;
}

interface Pending {
  root: string;
  rel: string;
  text: string;
  next: string;
  kept: EditFacts;
  writes: readonly SpanWrite[];
  editors: readonly ImageEditor[];
  policies: ReadonlyMap<string, FluxPolicy>;
  store?: FactsFile;
}

// Texts the full path wrote by splicing values alone: their facts are derived (the lexer
// run) only when a later plan asks for them, so a one-off run pays nothing for them.
const pending = new Map<string, Pending>();

/** Keeps, for a later plan, that `next` is `text` (whose facts `kept` are) with the values
 *  of `writes` spliced in, as the full path wrote it. */
export function keepSpliced(
  root: string,
  rel: string,
  text: string,
  next: string,
  kept: EditFacts,
  writes: readonly SpanWrite[],
  editors: readonly ImageEditor[],
  policies: ReadonlyMap<string, FluxPolicy>,
  store?: FactsFile,
): void {
  bounded(pending, factsKey(root, rel, next, policies), { root, rel, text, next, kept, writes, editors, policies, ...(store ? { store } : {}) });
}

/** Derives the facts of a text the full path wrote by splicing values (keepSpliced), for
 *  a later process to read from the store. */
export function derivePending(key: string): void {
  resolvePending(key);
}

function resolvePending(key: string): EditFacts | undefined {
  const p = pending.get(key);
  if (!p) return undefined;
  pending.delete(key);
  const c = confirmSplice(p.text, p.kept, p.writes);
  if (!c || c.next !== p.next) return undefined;
  deriveFacts(p.root, p.rel, p.text, c, p.kept, p.writes, p.editors, p.policies, p.store);
  return facts.get(key) ?? madeLater(key);
}

/** Keeps the objects of a text a change writes, as the analysis read them. */
export function keepObjects(root: string, rel: string, text: string, kept: KeptObject[]): void {
  bounded(objects, objectsKey(root, rel, text), kept);
}

function decline(): undefined {
  indexedEditCounters.declined++;
  return undefined;
}

/** The facts of `next`, the confirmed splice of `writes` into `text`: the same references
 *  at moved offsets, the written ones reading their new values. Kept only while no other
 *  editor could find anything in either text but Flux markers apart from the written
 *  lines (see markersApart); other finds are not derived here. The objects (plain data,
 *  which no editor's finds decide) are derived in any case. */
function deriveFacts(
  root: string,
  rel: string,
  text: string,
  splice: Splice,
  kept: EditFacts,
  writes: readonly SpanWrite[],
  editors: readonly ImageEditor[],
  policies: ReadonlyMap<string, FluxPolicy>,
  store: FactsFile | undefined,
): void {
  const before = keptObjectsOf(root, rel, text);
  const after = before && derivedObjects(before, writes);
  if (after) bounded(objects, objectsKey(root, rel, splice.next), after);
  const key = factsKey(root, rel, splice.next, policies);
  const keep = (): EditFacts | undefined => {
    const derived = factsOfSplice(text, splice, kept, writes, editors, store);
    if (derived) bounded(facts, key, derived);
    return derived;
  };
  // the analysis reads the objects now; the facts are for a later plan: with a store (the
  // CLI, which plans once a process) they are derived as it is flushed, beside the commit;
  // without one (the bot), beside the commit and push (deriveWrittenFacts); either way
  // unless a plan of this process asks for them first
  if (!store) bounded(later, key, keep);
  else
    store.setLater(key, () => {
      // kept as the splice of an entry the file holds, where one is known and the new
      // facts would be derived at all
      const workload = editors.findIndex((e) => e.name === WORKLOAD);
      const step = kept.origin && workload >= 0 ? composed(kept.origin.step, splice.edits, writes) : undefined;
      if (kept.origin && step && othersAgree(text, splice, kept, editors)) {
        store.touch(kept.origin.from);
        return { from: kept.origin.from, step, workload, ...(splice.shape ? { shape: splice.shape } : {}) } satisfies SplicedFacts;
      }
      const derived = keep();
      return derived && storedOf(derived, after);
    });
}

/** The facts of the splice's new text (see deriveFacts), or undefined. */
function factsOfSplice(
  text: string,
  splice: Splice,
  kept: EditFacts,
  writes: readonly SpanWrite[],
  editors: readonly ImageEditor[],
  store: FactsFile | undefined,
): EditFacts | undefined {
  if (!othersAgree(text, splice, kept, editors)) return undefined;
  const { byEditor, spans } = splicedFacts(kept, splice.edits, writes, editors.findIndex((e) => e.name === WORKLOAD));
  return { byEditor, spans, ...(store || !splice.lexemes ? {} : { lexemes: splice.lexemes }), ...(splice.shape ? { shape: splice.shape } : {}) };
}

/** Whether no editor but the workload one could find anything in either text but Flux
 *  markers apart from the written lines (see deriveFacts). */
function othersAgree(text: string, { next, edits }: Splice, kept: EditFacts, editors: readonly ImageEditor[]): boolean {
  for (const [j, e] of editors.entries()) {
    if (e.name === WORKLOAD) continue;
    const screened = e.screen(text);
    if (screened !== e.screen(next)) return false;
    if (!screened || (e.name === 'kustomize-images' && kept.byEditor[j]?.length === 0)) continue;
    if (e.name !== 'flux-markers' || !markersApart(text, kept.byEditor[j], edits)) return false;
  }
  return true;
}

/** The references and spans of a text once `edits` (writing `writes`) are spliced in:
 *  the same at moved offsets, the written ones reading their new values. `workload` is
 *  the index of the workload editor's references. */
function splicedFacts(kept: Pick<EditFacts, 'byEditor' | 'spans'>, edits: readonly TextEdit[], writes: readonly SpanWrite[], workload: number): Pick<EditFacts, 'byEditor' | 'spans'> {
  const moved = (offset: number) => movedOffset(offset, edits);
  const written = new Map(writes.map((w) => [w.ref.offset, w]));
  const spans = new Map<number, ValueSpan>();
  for (const [offset, span] of kept.spans) {
    const w = written.get(offset);
    const start = moved(span.start);
    spans.set(start, w ? { start, end: start + w.text.length, style: styleOf(w.text), current: w.value } : { start, end: start + span.end - span.start, style: span.style, current: span.current });
  }
  const byEditor = kept.byEditor.map((refs, j) => {
    if (!refs) return refs;
    if (j !== workload) return refs.map((r) => ({ ...r, offset: moved(r.offset) }));
    return refs.map((r) => {
      const w = written.get(r.offset);
      return w ? rewritten(r, w.value, moved(r.offset)) : { ...r, offset: moved(r.offset) };
    });
  });
  return { byEditor, spans };
}

/** Whether the splice leaves every marked value as it was: a Flux marker is a comment
 *  after an unclaimed scalar on its line, and only workload image values (claimed) were
 *  written, so the markers, the scalars they mark and their values stay, at moved
 *  offsets. A marked value on a written line is left to the full path all the same. */
function markersApart(text: string, refs: readonly ImageRef[] | undefined, edits: readonly TextEdit[]): boolean {
  if (!refs) return false;
  return edits.every((e) => {
    const from = text.lastIndexOf('\n', e.start - 1) + 1;
    let to = text.indexOf('\n', e.end);
    if (to === -1) to = text.length;
    return refs.every((r) => r.offset < from || r.offset > to);
  });
}

/** Forgets every text's facts and objects kept in this process (tests run several
 *  "processes" in one). */
export function forgetKeptFacts(): void {
  facts.clear();
  objects.clear();
  pending.clear();
  later.clear();
}

/** The reference the workload editor finds at a value now reading `value`. */
function rewritten(r: ImageRef, value: string, offset: number): ImageRef {
  const parts = parseImageRef(value);
  return {
    file: r.file,
    object: r.object,
    field: r.field,
    docIndex: r.docIndex,
    path: r.path,
    part: r.part,
    repository: parts.repository,
    ...(parts.tag !== undefined ? { tag: parts.tag } : {}),
    ...(parts.digest !== undefined ? { digest: parts.digest } : {}),
    ...(r.filter !== undefined ? { filter: r.filter } : {}),
    ...(r.policy !== undefined ? { policy: r.policy } : {}),
    editor: r.editor,
    offset,
  };
}

/** The objects with each written value set at its path, copying only the containers on
 *  the way (the rest is shared: nothing changes a kept object). */
function derivedObjects(before: readonly KeptObject[], writes: readonly SpanWrite[]): KeptObject[] | undefined {
  const out = before.map((o) => ({ ...o }));
  for (const w of writes) {
    const o = out.find((x) => x.doc === w.ref.docIndex);
    if (!o) continue;
    const value = setIn(o.value, w.ref.path, w.value);
    if (!value) return undefined;
    o.value = value as Record<string, unknown>;
  }
  return out;
}

function setIn(node: unknown, path: readonly (string | number)[], value: string): unknown {
  if (path.length === 0) return value;
  const [seg, ...rest] = path;
  if (Array.isArray(node) && typeof seg === 'number' && seg < node.length) {
    const inner = setIn(node[seg], rest, value);
    if (inner === undefined) return undefined;
    const copy = node.slice();
    copy[seg] = inner;
    return copy;
  }
  if (node && typeof node === 'object' && !Array.isArray(node) && Object.prototype.hasOwnProperty.call(node, seg)) {
    const inner = setIn((node as Record<string, unknown>)[seg], rest, value);
    return inner === undefined ? undefined : { ...(node as Record<string, unknown>), [seg]: inner };
  }
  return undefined;
}

