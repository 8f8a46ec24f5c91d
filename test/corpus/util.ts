// Helpers for the corpus conformance checks: outcomes, plain-data comparison with the
// first differing path, and where two texts part ways.
import { isDeepStrictEqual } from 'node:util';
import { BotError } from '../../src/errors.ts';
import { parseManifest } from '../../src/manifests/parse.ts';
import type { ManifestFile, TextEdit } from '../../src/manifests/types.ts';

type Path = (string | number)[];

/** One check on one reference or route. `refused` = the editor declined with a BotError
 *  (a clear, located refusal is allowed; it is listed, not counted as a failure). */
export type Outcome = { status: 'pass'; note?: string } | { status: 'refused'; code: string; reason: string } | { status: 'fail'; reason: string };

export class CheckFailure extends Error {}

export function fail(reason: string): never {
  throw new CheckFailure(reason);
}

/** Runs a check: CheckFailure -> fail, BotError -> refused, anything else -> fail (crash). */
export function outcomeOf(check: () => string | undefined): Outcome {
  try {
    const note = check();
    return note ? { status: 'pass', note } : { status: 'pass' };
  } catch (err) {
    if (err instanceof CheckFailure) return { status: 'fail', reason: err.message };
    if (err instanceof BotError) return { status: 'refused', code: err.code, reason: err.message };
    return { status: 'fail', reason: `crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` };
  }
}

/** A deep copy of `root` with `value` at `path` (missing maps created on the way). */
export function withValueAt(root: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (next === null || typeof next !== 'object') cur[path[i]] = {};
    cur = cur[path[i]] as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]] = value;
  return copy;
}

export function valueAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** The first path where `a` and `b` differ, as `docs[i].a.b[2]`, or undefined when equal. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const sub = Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`;
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub);
      if (d) return d;
    }
  }
  return `${at || '(root)'}: ${short(a)} != ${short(b)}`;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Plain data of every document of `text`, parsed as `path`. */
export function docsOf(path: string, text: string): unknown[] {
  return parseManifest(path, text).docs.map((d) => d.value);
}

export function docValues(file: ManifestFile): unknown[] {
  return file.docs.map((d) => d.value);
}

/** Where two texts first differ: line number and both versions of that line. */
export function textDifference(want: string, got: string): string | undefined {
  if (want === got) return undefined;
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  const line = want.slice(0, i).split('\n').length;
  const lineOf = (t: string) => JSON.stringify(t.split('\n')[line - 1] ?? '(end of file)');
  return `line ${line}: expected ${lineOf(want)}, got ${lineOf(got)} (lengths ${want.length} vs ${got.length})`;
}

/** Text edits that turn `edited` (the result of applying `edits` to the original) back
 *  into the original: the fallback when the editor cannot express the old value. */
export function inverseEdits(original: string, edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let shift = 0;
  return sorted.map((e) => {
    const start = e.start + shift;
    shift += e.text.length - (e.end - e.start);
    return { start, end: start + e.text.length, text: original.slice(e.start, e.end) };
  });
}

export function pathKey(docIndex: number, path: Path): string {
  return `${docIndex}|${path.join('\u0000')}`;
}
