// YAML anchors and aliases within one document (anchors never reach past their own
// document). Writing a value writes it wherever it is aliased, directly (`image: *app`)
// or as part of an aliased collection (`template: *pod`); these helpers find those uses,
// so the apply step can refuse an edit that would change fields the plan does not name,
// and the confirm step can check the ones a plan does name.
import { EditError } from '../errors.ts';
import type { Change, ManifestFile } from './types.ts';
import { isAlias, isMap, isPair, isScalar, isSeq, toJS, type Node, type ParsedDocument, type ParsedStream } from './yaml.ts';

type Path = (string | number)[];

export interface AliasUse {
  path: Path;
  /** Offsets of the `*name` token. */
  start: number;
  end: number;
  /** `value`: the alias names the value itself, as a map or list value; `key`: it names
   *  it as a map key; `collection`: it names a collection holding the value (or holding
   *  an alias of it), copying the value along. */
  kind: 'value' | 'key' | 'collection';
}

interface SeenAlias {
  path: Path;
  start: number;
  end: number;
  target?: Node;
  key: boolean;
  ancestors: Node[];
}

export function samePath(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((p, i) => String(p) === String(b[i]));
}

function keySegment(key: unknown): string | number {
  if (isScalar(key) && (typeof key.value === 'string' || typeof key.value === 'number')) return key.value;
  return '?';
}

/** Every use of `node` through an alias in `doc`, in source order. */
export function aliasUses(doc: ParsedDocument, node: Node): AliasUse[] {
  const anchors = new Map<string, Node>();
  const seen: SeenAlias[] = [];
  let holders: Node[] = [];
  // One path and one ancestor stack for the whole walk, copied only at aliases: a big
  // document nested deep costs no more than its size.
  const path: Path = [];
  const ancestors: Node[] = [];
  // preorder is source order, so `anchors` holds the anchor each alias refers to when
  // the walk reaches it (a later anchor of the same name redefines it)
  const walk = (n: unknown, key: boolean): void => {
    if (isAlias(n)) {
      seen.push({ path: [...path], start: n.range?.[0] ?? 0, end: n.range?.[1] ?? 0, target: anchors.get(n.source), key, ancestors: [...ancestors] });
      return;
    }
    if (!isScalar(n) && !isMap(n) && !isSeq(n)) return;
    if (n.anchor) anchors.set(n.anchor, n);
    if (n === node) holders = [...ancestors];
    ancestors.push(n);
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        path.push(keySegment(pair.key));
        walk(pair.key, true);
        walk(pair.value, false);
        path.pop();
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        path.push(i);
        walk(item, false);
        path.pop();
      });
    }
    ancestors.pop();
  };
  walk(doc.contents, false);
  // a collection holding the value, or holding an alias of it, copies the value wherever
  // it is aliased
  const carriers = new Set<Node>(holders);
  for (const a of seen) if (a.target === node) for (const h of a.ancestors) carriers.add(h);
  return seen
    .filter((a) => a.target !== undefined && (a.target === node || carriers.has(a.target)))
    .map((a): AliasUse => ({ path: a.path, start: a.start, end: a.end, kind: a.target !== node ? 'collection' : a.key ? 'key' : 'value' }));
}

/** Scalars of `doc` that the text edits write into. */
export function writtenScalars(doc: ParsedDocument, edits: Change['text']): Node[] {
  const out: Node[] = [];
  const hit = (s: number, e: number) => edits.some((t) => (t.start === t.end ? s < t.start && t.start < e : t.start < e && s < t.end));
  const walk = (n: unknown): void => {
    if (isScalar(n)) {
      if (n.range && hit(n.range[0], n.range[1])) out.push(n);
    } else if (isMap(n)) {
      for (const pair of n.items) if (isPair(pair)) walk(pair.value);
    } else if (isSeq(n)) {
      for (const item of n.items) walk(item);
    }
  };
  walk(doc.contents);
  return out;
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The confirm step for aliases a change carries: each must read the new value. */
export function confirmAliases(file: ManifestFile, changes: Change[], reparsed: ParsedStream): void {
  for (const c of changes) {
    if (!c.aliases?.length) continue;
    const doc = reparsed.docs[c.docIndex];
    const value = doc ? toJS(doc) : undefined;
    for (const a of c.aliases) {
      const got = valueAt(value, a.path);
      if (got !== c.expect) {
        throw new EditError('EDIT_CONFIRM', `alias of the edited value re-parsed as ${JSON.stringify(got)}, expected ${JSON.stringify(c.expect)}`, {
          file: file.path,
          line: a.line,
          field: a.edit.field,
        });
      }
    }
  }
}
