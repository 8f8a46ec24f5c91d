// The projection the quick reader is held to: what the editors and the analysis read
// of a parse (kinds, classes, values, sources, types, range starts and value ends).
import { BotError } from '../../src/errors.ts';
import { parseManifest, readManifest } from '../../src/manifests/parse.ts';
import { changedDocuments, maskedShape, movedMasks, quickConfirm, sameButSpliced, splicesKeepShape, type MaskedScalar, type ScalarSplice } from '../../src/manifests/quick-confirm.ts';
import { quickDocuments } from '../../src/manifests/quick-yaml.ts';
import type { ImageEditor, ManifestFile } from '../../src/manifests/types.ts';
import { isMap, isPair, isScalar, isSeq, parseStream, toJS } from '../../src/manifests/yaml.ts';

export function project(node: unknown): unknown {
  if (node === null || node === undefined) return node;
  if (isScalar(node)) {
    return { cls: node.constructor.name, v: node.value, s: node.source, t: node.type, r: node.range?.slice(0, 2), f: node.format ?? null, m: (node as { minFractionDigits?: number }).minFractionDigits ?? null };
  }
  if (isMap(node)) return { map: node.items.map((p) => (isPair(p) ? [project(p.key), project(p.value)] : 'not a pair')), r: node.range?.[0], flow: !!node.flow };
  if (isSeq(node)) return { seq: node.items.map(project), r: node.range?.[0], flow: !!node.flow };
  return { other: String(node) };
}

/** Undefined when the quick reader declines `text` or gives what the full parse gives;
 *  otherwise what differs. */
export function quickDiffers(text: string): string | undefined {
  const quick = quickDocuments(text);
  if (!quick) return undefined;
  const full = parseStream(text);
  if (full.error) return `the full parse fails (${full.error.message}) but the quick reader accepted`;
  // the nodes, and the plain value each document converts to
  const a = JSON.stringify(full.docs.map((d) => [d.range[0], project(d.contents), toJS(d)]));
  const b = JSON.stringify(quick.map((d) => [d.range[0], project(d.contents), toJS(d)]));
  if (a === b) return undefined;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `differs at ${i}: full …${a.slice(Math.max(0, i - 120), i + 80)}… quick …${b.slice(Math.max(0, i - 120), i + 80)}…`;
}

/** Undefined when every image editor finds the same references in the quick reading of
 *  `text` as in its full parse (or the quick reader declines it); otherwise what differs. */
export function quickFindsDiffer(rel: string, text: string, editors: ImageEditor[]): string | undefined {
  if (!quickDocuments(text)) return undefined;
  const outcome = (file: () => ManifestFile) =>
    JSON.stringify(
      editors.map((e) => {
        if (!e.screen(text)) return 'screened out';
        try {
          return e.find(file());
        } catch (err) {
          return { error: err instanceof BotError ? err.code : String(err), message: (err as Error).message };
        }
      }),
    );
  const full = outcome(() => parseManifest(rel, text));
  const quick = outcome(() => readManifest(rel, text));
  return full === quick ? undefined : `image references differ: full ${full.slice(0, 400)} quick ${quick.slice(0, 400)}`;
}

/** Undefined when the quick confirm (quick-confirm.ts) of splices into `text`'s values
 *  says yes only where the full parse of the spliced text agrees: every value scalar
 *  bumped on its own (up to `max`), and all of them at once. Otherwise what differs. */
export function quickConfirmDiffers(text: string, max = 40): string | undefined {
  const full = parseStream(text);
  // the quick confirm reads only the documents a splice is in: a text it declines whole
  // may have such documents it reads
  if (full.error || full.docs.some((d) => d.errors.length > 0)) return undefined;
  const values: ScalarSplice[] = [];
  const masks = new Map<number, MaskedScalar>();
  const walk = (n: unknown): void => {
    if (isPair(n)) walk(n.value);
    else if (isMap(n) || isSeq(n)) n.items.forEach(walk);
    else if (isScalar(n) && n.range && typeof n.value === 'string' && (n.type === 'PLAIN' || n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE')) {
      const [start, end] = n.range;
      const value = `${n.value}-9.9.9`;
      const quote = n.type === 'PLAIN' ? '' : n.type === 'QUOTE_DOUBLE' ? '"' : "'";
      values.push({ start, end, text: `${quote}${value}${quote}`, value });
      masks.set(start, { start, end, type: n.type, value: n.value });
    }
  };
  for (const d of full.docs) walk(d.contents);
  // a splice that says it writes another value than its text reads as is never confirmed
  if (values.length > 0) {
    const [v] = values;
    const wrong = { ...v, value: `${v.value}-not` };
    if (quickConfirm(text, text.slice(0, v.start) + v.text + text.slice(v.end), [wrong])) return `quick confirm accepted ${JSON.stringify(wrong)}, which reads otherwise`;
  }
  const cases = [...values.slice(0, max).map((v) => [v]), values];
  for (const splices of cases) {
    if (splices.length === 0) continue;
    let next = text;
    for (const s of [...splices].reverse()) next = next.slice(0, s.start) + s.text + next.slice(s.end);
    // the confirm from the new text alone (a kept shape) says what quickConfirm says
    const masked = splices.map((sp) => masks.get(sp.start)!);
    const shape = maskedShape(text, masked);
    const quick = quickConfirm(text, next, splices) === true;
    if (shape !== undefined) {
      const moved = movedMasks(masked, splices);
      if ((moved !== undefined && maskedShape(next, moved) === shape) !== quick) return `the confirm by shape says ${!quick} where quick confirm says ${quick} for ${JSON.stringify(splices[0])}…`;
      // and the confirm from the written scalars alone says yes only where it does
      if (splicesKeepShape(masked, splices) && !quick) return `the confirm from the written scalars says true where quick confirm says false for ${JSON.stringify(splices[0])}…`;
    }
    if (!quick) continue;
    const after = parseStream(next);
    if (after.error || after.docs.some((d) => d.errors.length > 0)) return `quick confirm accepted ${JSON.stringify(splices[0])}… but the full parse fails`;
    const [from, to] = changedDocuments(text, splices);
    const grown = next.length - text.length;
    const inside = (docs: typeof full.docs, a: number, b: number) => docs.filter((d) => d.range[0] >= a && d.range[0] < b);
    const outside = (docs: typeof full.docs, a: number, b: number) => docs.filter((d) => d.range[0] < a || d.range[0] >= b).map((d) => JSON.stringify(d.toJS()));
    if (!sameButSpliced(inside(full.docs, from, to), inside(after.docs, from, to + grown), splices)) return `quick confirm accepted ${JSON.stringify(splices[0])}… but the full parse reads otherwise`;
    if (JSON.stringify(outside(full.docs, from, to)) !== JSON.stringify(outside(after.docs, from, to + grown))) return `quick confirm accepted ${JSON.stringify(splices[0])}… but the full parse reads another document otherwise`;
    // and, apart from the walk both share, each written value where it was written
    const read = new Map<number, unknown>();
    const collect = (n: unknown): void => {
      if (isPair(n)) collect(n.value);
      else if (isMap(n) || isSeq(n)) n.items.forEach(collect);
      else if (isScalar(n) && n.range) read.set(n.range[0], n.value);
    };
    for (const d of after.docs) collect(d.contents);
    let shift = 0;
    for (const s of splices) {
      if (read.get(s.start + shift) !== s.value) return `quick confirm accepted ${JSON.stringify(s)} but the full parse reads ${JSON.stringify(read.get(s.start + shift))} there`;
      shift += s.text.length - (s.end - s.start);
    }
  }
  return undefined;
}
