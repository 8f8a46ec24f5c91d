// Property: the quick reader's confirm of a splice (quick-confirm.ts) says yes only when
// yaml's full parse agrees: the edited text parses without error into the old text's
// documents (as the full parse gives them) but for each replaced scalar, which holds
// exactly the written text and reads as the intended value. It does say yes for the
// values the editors write, and where the lexer's confirm answers, the two agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changedDocuments, maskedShape, movedMasks, quickConfirm, sameButSpliced, splicesKeepShape, type MaskedScalar, type ScalarSplice } from '../../src/manifests/quick-confirm.ts';
import { quickDocuments } from '../../src/manifests/quick-yaml.ts';
import { isMap, isPair, isScalar, isSeq, lexemesOf, onlyScalarsReplaced, parseStream, plainStructure, type ParsedStream } from '../../src/manifests/yaml.ts';
import { applied, flowScalars, replacement, stream } from '../helpers/yaml-arbitraries.ts';

// Streams in the quick reader's subset (the shared generator mostly writes texts it
// declines: flow maps, anchors, quoted keys), in the layouts manifests use.
const value = fc.constantFrom('plain', '"double"', "'single'", '1.10', 'true', '~', 'ghcr.io/acme/app:1.2.3', '"ghcr.io/acme/app:1.2.3"', 'a b c', "'it''s'");
const entry = fc.tuple(fc.constantFrom('image', 'name', 'tag', 'kind', 'metadata', 'x', 'spec', 'y'), value, fc.nat(5)).map(([k, v, shape]) =>
  [
    `${k}: ${v}`,
    `${k}: ${v}  # a comment`,
    `${k}:\n  - ${v}\n  - name: n\n    image: ${v}`,
    `${k}:\n  nested: ${v}\n  deeper:\n    leaf: ${v}`,
    `${k}: |\n  block text\n  more\n# a comment line`,
    `${k}: []`,
  ][shape],
);
const quickStream = fc
  .array(fc.uniqueArray(entry, { minLength: 1, maxLength: 6, selector: (l) => l.split(':')[0] }), { minLength: 1, maxLength: 3 })
  .map((docs) => `${docs.map((d) => d.join('\n')).join('\n---\n')}\n`);

// mostly what editors write (the shared generator's are mostly hostile)
const written = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('v2', '"v2"', "'v2'", 'ghcr.io/acme/app:9.9.9', '"ghcr.io/acme/app:9.9.9"', "'ghcr.io/acme/app:9.9.9'") }, { weight: 2, arbitrary: replacement });

/** What a written text would read as if it reads as the scalar it looks like. */
function intended(text: string): string {
  return text[0] === '"' || text[0] === "'" ? text.slice(1, -1) : text;
}

function scalarAt(parsed: ParsedStream, start: number): unknown {
  let found: unknown;
  const walk = (n: unknown): void => {
    if (found !== undefined || n === null || typeof n !== 'object') return;
    if (isScalar(n) && n.range?.[0] === start) found = n;
    for (const k of ['key', 'value', 'items', 'contents'] as const) {
      const v = (n as Record<string, unknown>)[k];
      if (Array.isArray(v)) v.forEach(walk);
      else walk(v);
    }
  };
  parsed.docs.forEach(walk);
  return found;
}

/** The scalar a splice replaces, as a shape masks it; undefined unless it is a string. */
function maskOf(parsed: ParsedStream, sp: ScalarSplice): MaskedScalar | undefined {
  const n = scalarAt(parsed, sp.start) as { value?: unknown; type?: string; range?: number[] } | undefined;
  if (!n || typeof n.value !== 'string' || n.range?.[1] !== sp.end || !n.type) return undefined;
  return { start: sp.start, end: sp.end, type: n.type, value: n.value };
}

function keyStarts(parsed: ParsedStream): Set<number> {
  const out = new Set<number>();
  const walk = (n: unknown): void => {
    if (isPair(n)) {
      if (isScalar(n.key) && n.key.range) out.add(n.key.range[0]);
      walk(n.value);
    } else if (isMap(n) || isSeq(n)) n.items.forEach(walk);
  };
  for (const d of parsed.docs) walk(d.contents);
  return out;
}

function lexerConfirms(text: string, next: string, edits: ScalarSplice[]): boolean {
  const old = lexemesOf(text);
  return plainStructure(old) && onlyScalarsReplaced(old, lexemesOf(next), edits);
}

describe('the quick confirm of a splice', () => {
  it('says yes only where the full parse reads the old documents with the written values', () => {
    const seen = { yes: 0, no: 0, declined: 0, shapes: 0 };
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: quickStream }, { weight: 1, arbitrary: stream }), fc.array(fc.tuple(fc.nat(), written), { minLength: 1, maxLength: 3 }), (text, picks) => {
        const first = parseStream(text);
        fc.pre(!first.error);
        const scalars = flowScalars(first);
        // values mostly (the editors write values), keys now and then
        const keys = keyStarts(first);
        const values = scalars.filter(([start]) => !keys.has(start));
        fc.pre(values.length > 0);
        const byStart = new Map<number, ScalarSplice>();
        for (const [n, written] of picks) {
          const pool = n % 5 === 0 ? scalars : values;
          const [start, end] = pool[n % pool.length];
          byStart.set(start, { start, end, text: written, value: intended(written) });
        }
        const splices = [...byStart.values()].sort((a, b) => a.start - b.start);
        const next = applied(text, splices);
        const quick = quickConfirm(text, next, splices);
        if (quick === undefined) seen.declined++;
        else seen[quick ? 'yes' : 'no']++;
        // the old text's shape with the spliced scalars masked, compared with the new
        // text's: the confirm from the new text alone says what quickConfirm says
        const masks = splices.map((sp) => maskOf(first, sp));
        const shape = masks.every((m) => m !== undefined) ? maskedShape(text, masks as MaskedScalar[]) : undefined;
        if (shape !== undefined) {
          seen.shapes++;
          const moved = movedMasks(masks as MaskedScalar[], splices);
          expect(moved && maskedShape(next, moved) === shape, JSON.stringify({ text, splices })).toBe(quick === true);
        }
        if (!quick) return;
        const parsed = parseStream(next);
        expect(parsed.error).toBeUndefined();
        expect(parsed.docs.every((d) => d.errors.length === 0)).toBe(true);
        // the documents the splices are in read as before but for them; the others (which
        // the quick confirm does not read, and may hold anchors and aliases) are unchanged
        const [from, to] = changedDocuments(text, splices);
        const grown = next.length - text.length;
        const within = (docs: ParsedStream['docs'], a: number, b: number) => docs.filter((d) => d.range[0] >= a && d.range[0] < b);
        expect(sameButSpliced(within(first.docs, from, to), within(parsed.docs, from, to + grown), splices)).toBe(true);
        const outside = (docs: ParsedStream['docs'], a: number, b: number) => docs.filter((d) => d.range[0] < a || d.range[0] >= b).map((d) => JSON.stringify(d.toJS()));
        expect(outside(parsed.docs, from, to + grown)).toEqual(outside(first.docs, from, to));
        // the lexer's confirm refuses a splice where a document's contents start (a key
        // there, after the document mark it lexes before it): elsewhere the two agree on
        // the documents the quick confirm reads (the lexer's reads all, and refuses an
        // anchor in a document no splice is in)
        const starts = new Set(first.docs.map((d) => (d.contents as { range?: number[] } | null)?.range?.[0]));
        const inWindow = splices.map((s) => ({ ...s, start: s.start - from, end: s.end - from }));
        if (!splices.some((sp) => starts.has(sp.start))) expect(lexerConfirms(text.slice(from, to), next.slice(from, to + grown), inWindow)).toBe(true);
        let shift = 0;
        for (const s of splices) {
          const node = scalarAt(parsed, s.start + shift) as { value?: unknown; range?: number[] } | undefined;
          expect(node?.value).toBe(s.value);
          expect(node?.range?.[1]).toBe(s.start + shift + s.text.length);
          shift += s.text.length - (s.end - s.start);
        }
      }),
      { numRuns: 1500 },
    );
    // not vacuous either way: many splices are confirmed, many hostile ones refused
    expect(seen.yes, JSON.stringify(seen)).toBeGreaterThan(300);
    expect(seen.no, JSON.stringify(seen)).toBeGreaterThan(40);
    expect(seen.shapes, JSON.stringify(seen)).toBeGreaterThan(300);
  });

  it('confirms an image bumped in a manifest, plain or quoted, and refuses a value read otherwise', () => {
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:web"}\n        - name: side\n          image: "ghcr.io/acme/side:2.0"\n';
    const splice = (from: string, to: string, value = intended(to)): [string, ScalarSplice[]] => {
      const start = text.indexOf(from);
      const s = [{ start, end: start + from.length, text: to, value }];
      return [applied(text, s), s];
    };
    for (const [from, to] of [
      ['ghcr.io/acme/web:1.0.0', 'ghcr.io/acme/web:1.0.1'],
      ['ghcr.io/acme/web:1.0.0', '"ghcr.io/acme/web:1.10"'],
      ['"ghcr.io/acme/side:2.0"', "'ghcr.io/acme/side:2.1'"],
    ]) {
      expect(quickConfirm(text, ...splice(from, to)), `${from} -> ${to}`).toBe(true);
    }
    for (const [from, to, value] of [
      ['ghcr.io/acme/web:1.0.0', 'a: b', 'a: b'],
      ['ghcr.io/acme/web:1.0.0', 'x #y', 'x #y'],
      ['ghcr.io/acme/web:1.0.0', '1.10', '1.10'], // a number
      ['ghcr.io/acme/web:1.0.0', 'web:2', 'web:3'], // not what it reads as
      ['"ghcr.io/acme/side:2.0"', 'two\n  lines', 'two lines'],
    ]) {
      expect(quickConfirm(text, ...splice(from, to, value)), `${from} -> ${to}`).not.toBe(true);
    }
    // a splice at no scalar's start confirms nothing
    const start = text.indexOf('acme/web');
    expect(quickConfirm(text, applied(text, [{ start, end: start + 4, text: 'beta' }]), [{ start, end: start + 4, text: 'beta', value: 'beta' }])).toBe(false);
    // a text the reader declines is left to the lexer
    const anchored = text.replace('name: web\n', 'name: &n web\n');
    const at = anchored.indexOf('ghcr.io/acme/web:1.0.0');
    const s = [{ start: at, end: at + 22, text: 'ghcr.io/acme/web:1.0.1', value: 'ghcr.io/acme/web:1.0.1' }];
    expect(quickConfirm(anchored, applied(anchored, s), s)).toBeUndefined();
  });

  it('reads only the documents the splices are in, unless a directive or an end marker ties documents together', () => {
    const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:1.0.0\n';
    // documents the reader declines (an anchor and alias, a flow map) around the one edited
    const before = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &n conf\ndata:\n  name: *n\n';
    const after = 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\n';
    const bump = (text: string, to = 'ghcr.io/acme/web:1.0.1'): [string, string, ScalarSplice[]] => {
      const start = text.indexOf('ghcr.io/acme/web:1.0.0');
      const s = [{ start, end: start + 22, text: to, value: intended(to) }];
      return [text, applied(text, s), s];
    };
    const stream = `${before}---\n${deployment}---\n${after}`;
    expect(quickDocuments(stream)).toBeUndefined();
    const [, next, s] = bump(stream);
    expect(changedDocuments(stream, s)).toEqual([before.length, before.length + 4 + deployment.length]);
    expect(quickConfirm(stream, next, s)).toBe(true);
    // still refused where the edited document reads otherwise
    expect(quickConfirm(...bump(stream, '1.10'))).toBe(false);
    // a directive or a document end marker: the whole text is read (and declined here)
    for (const tied of [`%YAML 1.1\n---\n${before}---\n${deployment}`, `${before}...\n---\n${deployment}`]) {
      expect(changedDocuments(tied, bump(tied)[2])).toEqual([0, tied.length]);
      expect(quickConfirm(...bump(tied))).toBeUndefined();
    }
  });
});

describe('the confirm of a splice from the written scalars alone', () => {
  it('says yes only where reading the new text gives the kept shape', () => {
    const seen = { yes: 0, no: 0 };
    fc.assert(
      fc.property(quickStream, fc.array(fc.tuple(fc.nat(), written), { minLength: 1, maxLength: 3 }), (text, picks) => {
        const first = parseStream(text);
        const keys = keyStarts(first);
        // values only: the spans an editor splices are values
        const values = flowScalars(first).filter(([start]) => !keys.has(start));
        fc.pre(values.length > 0);
        const byStart = new Map<number, ScalarSplice>();
        for (const [n, written] of picks) {
          const [start, end] = values[n % values.length];
          // half in the style of the scalar replaced, as an editor writes it
          const quote = { '"': '"', "'": "'" }[text[start]] ?? '';
          const styled = n % 2 === 0 ? `${quote}${intended(written)}${quote}` : written;
          byStart.set(start, { start, end, text: styled, value: n % 7 === 0 ? `${intended(styled)}x` : intended(styled) });
        }
        const splices = [...byStart.values()].sort((a, b) => a.start - b.start);
        const masks = splices.map((sp) => maskOf(first, sp));
        fc.pre(masks.every((m) => m !== undefined));
        const shape = maskedShape(text, masks as MaskedScalar[]);
        fc.pre(shape !== undefined);
        const keeps = splicesKeepShape(masks as MaskedScalar[], splices);
        seen[keeps ? 'yes' : 'no']++;
        if (!keeps) return;
        const next = applied(text, splices);
        const moved = movedMasks(masks as MaskedScalar[], splices);
        expect(moved && maskedShape(next, moved), JSON.stringify({ text, splices })).toBe(shape);
        expect(quickConfirm(text, next, splices), JSON.stringify({ text, splices })).toBe(true);
      }),
      { numRuns: 1500 },
    );
    expect(seen.yes, JSON.stringify(seen)).toBeGreaterThan(300);
    expect(seen.no, JSON.stringify(seen)).toBeGreaterThan(100);
  });

  it('refuses a scalar written in another style, one that reads otherwise, and one not at a masked value', () => {
    const text = 'spec:\n  containers:\n    - name: web\n      image: ghcr.io/acme/web:1.0.0 # pinned\n    - name: side\n      image: "ghcr.io/acme/side:2.0"\n';
    const at = (s: string) => text.indexOf(s);
    const web = { start: at('ghcr.io/acme/web'), end: at('ghcr.io/acme/web') + 22, type: 'PLAIN', value: 'ghcr.io/acme/web:1.0.0' };
    const side = { start: at('"ghcr.io/acme/side'), end: at('"ghcr.io/acme/side') + 23, type: 'QUOTE_DOUBLE', value: 'ghcr.io/acme/side:2.0' };
    expect(maskedShape(text, [web, side])).toBeDefined();
    const keeps = (m: MaskedScalar, written: string, value = intended(written)) => splicesKeepShape([web, side], [{ start: m.start, end: m.end, text: written, value }]);
    expect(keeps(web, 'ghcr.io/acme/web:1.0.1')).toBe(true);
    expect(keeps(side, '"ghcr.io/acme/side:2.1"')).toBe(true);
    for (const [m, written, value] of [
      [web, '"ghcr.io/acme/web:1.0.1"', undefined], // another style: the new text is read
      [side, "'ghcr.io/acme/side:2.1'", undefined],
      [web, 'a: b', undefined],
      [web, 'x #y', undefined],
      [web, 'x:', undefined],
      [web, '1.10', undefined], // a number
      [web, 'web:2', 'web:3'], // not what it reads as
      [web, 'two\n  lines', 'two lines'],
      [side, '"a\\"b"', 'a"b'],
    ] as Array<[MaskedScalar, string, string | undefined]>) {
      expect(keeps(m, written, value), written).toBe(false);
    }
    // nowhere but at a masked value, as masked
    expect(splicesKeepShape([web], [{ start: side.start, end: side.end, text: '"v"', value: 'v' }])).toBe(false);
    expect(splicesKeepShape([web], [{ start: web.start, end: web.end - 1, text: 'v', value: 'v' }])).toBe(false);
  });
});
