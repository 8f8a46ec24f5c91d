// Planning one file's image change from the facts kept for its text (see
// manifests/indexed-edits.ts) instead of a parse: the same references, gate verdicts,
// edits and written text as the full path in ./images.ts gives, or undefined whenever
// that cannot be vouched for without the parse (the full path then plans the file).
import { BotError } from '../errors.ts';
import { objectLabel, type Edit, type Skipped } from '../plan.ts';
import type { FluxPolicy } from '../manifests/flux-policies.ts';
import { keptFacts, spliceConfirmed, type SpanWrite } from '../manifests/indexed-edits.ts';
import type { FactsFile } from '../manifests/kept-facts.ts';
import type { ImageEditor, ImageRef } from '../manifests/types.ts';
import { nextRef, writeScalar } from '../manifests/workload-images.ts';
import { Scalar } from '../manifests/yaml.ts';
import type { ImageTarget, Verdict } from './images.ts';

export interface SpliceContext {
  root: string;
  editors: ImageEditor[];
  policies: ReadonlyMap<string, FluxPolicy>;
  image: string;
  matches: (repository: string) => boolean;
  target: ImageTarget;
  gate: (ref: ImageRef) => Verdict;
  /** The scalar text written per quoting style and value: the same for every file. */
  written: Map<string, string>;
  /** Where a persistent reader keeps the facts between processes. */
  store?: FactsFile;
}

export interface FilePlan {
  refs: ImageRef[];
  skipped: Skipped[];
  edits: Edit[];
  write?: string;
}

const copy = (r: ImageRef): ImageRef => ({ ...r, object: { ...r.object }, path: [...r.path] });

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

export async function planFromFacts(ctx: SpliceContext, key: string, rel: string, text: string): Promise<FilePlan | undefined> {
  const facts = keptFacts(key, ctx.store);
  if (!facts) return undefined;
  const found: ImageRef[] = [];
  ctx.editors.forEach((e, j) => {
    const refs = facts.byEditor[j];
    if (refs && e.screen(text, ctx.image)) for (const r of refs) if (ctx.matches(r.repository)) found.push(copy(r));
  });
  if (found.some((r) => r.editor !== 'workload-images' || !facts.spans.has(r.offset))) return undefined;
  const out: FilePlan = { refs: [], skipped: [], edits: [] };
  const writes: SpanWrite[] = [];
  const to = { tag: ctx.target.tag, digest: ctx.target.digest };
  for (const ref of found) {
    out.refs.push(ref);
    const verdict = ctx.gate(ref);
    if (!verdict.ok) {
      out.skipped.push({ file: ref.file, object: ref.object, field: ref.field, code: verdict.code, reason: verdict.reason });
      continue;
    }
    const span = facts.spans.get(ref.offset)!;
    let value: string | null;
    try {
      // the line is counted only for an error: counting it for each of thousands of
      // references in a large file was quadratic in its size
      value = nextRef(span.current, to, { file: rel, get line() { return lineOf(text, ref.offset); }, object: objectLabel(ref.object), field: ref.field });
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      // the registry is asked for the new tag's digest on the full path, once
      if (err.code === 'EDIT_DIGEST_PINNED' && ctx.target.digest === undefined && ctx.target.pinned) return undefined;
      out.skipped.push({ file: ref.file, object: ref.object, field: ref.field, code: err.code, reason: err.message });
      continue;
    }
    if (value === null) continue;
    writes.push({ ref, value, text: writtenText(ctx, span.style, span.current, value, rel, ref.field) });
    out.edits.push({ file: rel, object: ref.object, field: ref.field, old: span.current, new: value });
  }
  if (writes.length === 0) return out;
  const next = await spliceConfirmed(ctx.root, rel, text, facts, writes, ctx.editors, ctx.policies, ctx.store);
  return next === undefined ? undefined : { ...out, write: next };
}

/** What the workload editor writes for `value` over a scalar of `style` (writeScalar). */
function writtenText(ctx: SpliceContext, style: string, current: string, value: string, file: string, field: string): string {
  const key = `${style}\0${value}`;
  let text = ctx.written.get(key);
  if (text === undefined) {
    const node = new Scalar(current);
    node.type = style as Scalar.Type;
    node.range = [0, 0, 0];
    ctx.written.set(key, (text = writeScalar(node, value, { file, field }).text));
  }
  return text;
}
