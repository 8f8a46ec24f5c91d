// Property: re-parsing an edited text from the first parse's lexemes and CST
// (reparseEdited) gives exactly what parsing the edited text whole gives — the same
// documents, nodes, ranges, comments and errors — whenever it answers at all; and it does
// answer for the edits the planners make (one scalar replaced by another).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAlias, isMap, isPair, isScalar, isSeq, parseStream, reparseEdited, type ParsedStream } from '../../src/manifests/yaml.ts';
import { applied, flowScalars, replacement, stream } from '../helpers/yaml-arbitraries.ts';

/** Everything a parse says about its text, ranges included, as one string. */
function described(stream: ParsedStream): string {
  const node = (n: unknown): unknown => {
    if (n === null || n === undefined) return n;
    if (isPair(n)) return { key: node(n.key), value: node(n.value) };
    const x = n as { range?: unknown; anchor?: string; tag?: string; comment?: string; commentBefore?: string; spaceBefore?: boolean; flow?: boolean };
    const common = { range: x.range, anchor: x.anchor, tag: x.tag, comment: x.comment, before: x.commentBefore, space: x.spaceBefore, flow: x.flow };
    if (isScalar(n)) return { ...common, type: n.type, value: typeof n.value === 'bigint' ? `${n.value}n` : n.value, source: n.source };
    if (isAlias(n)) return { ...common, alias: n.source };
    if (isMap(n) || isSeq(n)) return { ...common, map: isMap(n), items: n.items.map(node) };
    return { unknown: String(n) };
  };
  return JSON.stringify({
    error: stream.error,
    docs: stream.docs.map((d) => ({
      range: d.range,
      comment: d.comment,
      before: d.commentBefore,
      errors: d.errors.map((e) => [e.code, e.message, e.pos]),
      warnings: d.warnings.map((e) => [e.code, e.message, e.pos]),
      contents: node(d.contents),
    })),
  });
}

describe('re-parsing an edited text from its first parse', () => {
  it('gives what the whole parse gives, whenever it answers', () => {
    let answered = 0;
    fc.assert(
      fc.property(stream, fc.array(fc.tuple(fc.nat(), replacement), { minLength: 1, maxLength: 3 }), (text, picks) => {
        const first = parseStream(text);
        fc.pre(!first.error);
        const scalars = flowScalars(first);
        fc.pre(scalars.length > 0);
        const byStart = new Map<number, { start: number; end: number; text: string }>();
        for (const [n, text] of picks) {
          const [start, end] = scalars[n % scalars.length];
          byStart.set(start, { start, end, text });
        }
        const edits = [...byStart.values()];
        const next = applied(text, edits);
        const kept = parseStream(text, { keep: true });
        const got = reparseEdited(kept.source!, next, edits);
        if (got) {
          answered++;
          expect(described(got)).toBe(described(parseStream(next)));
        }
      }),
      { numRuns: 600 },
    );
    // not vacuous: many edits are scalars replacing scalars
    expect(answered).toBeGreaterThan(100);
  });

  it('answers for a replaced image, plain or quoted, in a manifest', () => {
    const text = 'apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata: {name: web}\r\nspec:\r\n  template:\r\n    spec:\r\n      containers:\r\n        - name: web\r\n          image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:web"}\r\n        - {name: side, image: "ghcr.io/acme/side:2.0"}\r\n';
    for (const [from, to] of [
      ['ghcr.io/acme/web:1.0.0', 'ghcr.io/acme/web:1.0.1'],
      ['ghcr.io/acme/web:1.0.0', '"ghcr.io/acme/web:1.10"'],
      ['"ghcr.io/acme/side:2.0"', '"ghcr.io/acme/side:2.1"'],
      ['"ghcr.io/acme/side:2.0"', 'ghcr.io/acme/side:2.1'],
    ]) {
      const start = text.indexOf(from);
      const edits = [{ start, end: start + from.length, text: to }];
      const next = applied(text, edits);
      const got = reparseEdited(parseStream(text, { keep: true }).source!, next, edits);
      expect(got, `${from} -> ${to}`).toBeDefined();
      expect(described(got!)).toBe(described(parseStream(next)));
    }
  });

  it('leaves an edit that is not a scalar replaced by a scalar to the whole parse', () => {
    const text = 'a: 1\nb: "two"\nc: [x]\n';
    const cases: Array<[string, string]> = [
      ['"two"', '"open'], // swallows what follows: other lexemes
      ['"two"', 'k: v'], // a mapping where a scalar was
      ['[x]', '[y]'], // not a scalar
      ['1', '*anchor'], // an alias
    ];
    for (const [from, to] of cases) {
      const start = text.indexOf(from);
      const edits = [{ start, end: start + from.length, text: to }];
      expect(reparseEdited(parseStream(text, { keep: true }).source!, applied(text, edits), edits), `${from} -> ${to}`).toBeUndefined();
    }
    // an insertion replaces nothing
    const at = text.indexOf('c:');
    const insert = [{ start: at, end: at, text: 'z: 0\n' }];
    expect(reparseEdited(parseStream(text, { keep: true }).source!, applied(text, insert), insert)).toBeUndefined();
  });

  it('keeps nothing unless asked, and nothing for a text that does not parse', () => {
    expect(parseStream('a: 1\n').source).toBeUndefined();
    expect(parseStream('a: 1\n', { keep: true }).source).toBeDefined();
    expect(parseStream('a: "open\n', { keep: true }).source).toBeUndefined();
  });
});
