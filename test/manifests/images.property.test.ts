// Property: setting a tag changes the file only inside the edited value, and setting the
// old tag back gives the original bytes, whatever the layout around it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFluxMarkerEditor } from '../../src/manifests/flux-markers.ts';
import { kustomizeImages } from '../../src/manifests/kustomize-images.ts';
import { applyAndConfirm, parseManifest } from '../../src/manifests/parse.ts';
import type { ImageEditor } from '../../src/manifests/types.ts';
import { workloadImages } from '../../src/manifests/workload-images.ts';

const IMAGE = 'ghcr.io/acme/podinfo';
const anyTag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,15}$/);
// A plain scalar stays plain only for tags that cannot read as a number or boolean.
const plainTag = fc.stringMatching(/^v[A-Za-z0-9._-]{0,15}$/);
type Quote = 'plain' | 'single' | 'double';

function quote(v: string, q: Quote): string {
  return q === 'plain' ? v : q === 'single' ? `'${v}'` : `"${v}"`;
}

interface Layout {
  indent: number;
  indentSeq: boolean;
  comment: boolean;
  crlf: boolean;
  finalNewline: boolean;
  before: number;
  after: number;
  quote: Quote;
}

const layout = fc.record({
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  comment: fc.boolean(),
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  before: fc.integer({ min: 0, max: 2 }),
  after: fc.integer({ min: 0, max: 2 }),
  quote: fc.constantFrom<Quote>('plain', 'single', 'double'),
});

const filler = (i: number) => `# unrelated document ${i}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\ndata:\n  image: ${IMAGE}:keep\n  note: |\n    line one\n    line two\n`;

function wrap(body: string, l: Layout): string {
  const docs = [...Array.from({ length: l.before }, (_, i) => filler(i)), body, ...Array.from({ length: l.after }, (_, i) => filler(10 + i))];
  let text = docs.join('---\n');
  if (!l.finalNewline) text = text.replace(/\n$/, '');
  return l.crlf ? text.replace(/\n/g, '\r\n') : text;
}

function deployment(value: string, l: Layout): string {
  const p = ' '.repeat(l.indent);
  const s = l.indentSeq ? p : '';
  const c = l.comment ? '   # the app' : '';
  return wrap(
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n${p}name: podinfo\nspec:\n${p}template:\n${p}${p}spec:\n${p}${p}${p}containers:\n${p}${p}${p}${s}- name: podinfo\n${p}${p}${p}${s}  image: ${value}${c}\n${p}${p}${p}${s}  ports: [{containerPort: 9898}]\n`,
    l,
  );
}

function kustomization(value: string, l: Layout): string {
  const p = ' '.repeat(l.indent);
  const s = l.indentSeq ? p : '';
  const c = l.comment ? ' # {"$imagepolicy": "flux-system:podinfo:tag"}' : '';
  return wrap(`kind: Kustomization\nimages:\n${s}- name: ${IMAGE}\n${s}  newTag: ${value}${c}\n${s}- name: other\n${s}  newTag: "1"\n`, l);
}

function values(value: string, l: Layout): string {
  const p = ' '.repeat(l.indent);
  return wrap(`image:\n${p}repository: ${IMAGE}\n${p}tag: ${value} # {"$imagepolicy": "flux-system:podinfo:tag"}\n${p}pullPolicy: Always\n`, l);
}

function setTag(editor: ImageEditor, path: string, text: string, tag: string): { text: string; start: number; end: number } {
  const file = parseManifest(path, text);
  const refs = editor.find(file, IMAGE);
  expect(refs).toHaveLength(1);
  const change = editor.set(file, refs[0], { tag });
  if (!change) return { text, start: 0, end: 0 };
  expect(change.text).toHaveLength(1);
  return { text: applyAndConfirm(file, [change]), start: change.text[0].start, end: change.text[0].end };
}

function checkRoundTrip(editor: ImageEditor, path: string, original: string, oldTag: string, newTag: string): void {
  const once = setTag(editor, path, original, newTag);
  // Bytes outside the replaced value are untouched.
  expect(once.text.slice(0, once.start)).toBe(original.slice(0, once.start));
  expect(once.text.slice(once.text.length - (original.length - once.end))).toBe(original.slice(once.end));
  expect(once.text.length - (original.length - once.end)).toBeGreaterThanOrEqual(once.start);
  if (newTag === oldTag) expect(once.text).toBe(original);
  const back = setTag(editor, path, once.text, oldTag);
  expect(back.text).toBe(original);
}

const markers = createFluxMarkerEditor(new Map([['flux-system:podinfo', { repository: IMAGE }]]));

describe('image editors: edits stay inside the value and are reversible', () => {
  it('workload images (any tag, any quoting)', () => {
    fc.assert(
      fc.property(layout, anyTag, anyTag, (l, oldTag, newTag) => {
        checkRoundTrip(workloadImages, 'apps/podinfo.yaml', deployment(quote(`${IMAGE}:${oldTag}`, l.quote), l), oldTag, newTag);
      }),
      { numRuns: 150 },
    );
  });

  it('workload images without a tag get one appended in place', () => {
    fc.assert(
      fc.property(layout, anyTag, (l, tag) => {
        const original = deployment(quote(IMAGE, l.quote), l);
        const once = setTag(workloadImages, 'apps/podinfo.yaml', original, tag);
        expect(once.text).toBe(deployment(quote(`${IMAGE}:${tag}`, l.quote), l));
      }),
      { numRuns: 100 },
    );
  });

  const tagPair = (q: Quote) => (q === 'plain' ? fc.tuple(plainTag, plainTag) : fc.tuple(anyTag, anyTag));

  it('kustomize newTag', () => {
    fc.assert(
      fc.property(
        layout.chain((l) => fc.tuple(fc.constant(l), tagPair(l.quote))),
        ([l, [oldTag, newTag]]) => {
          checkRoundTrip(kustomizeImages, 'overlays/prod/kustomization.yaml', kustomization(quote(oldTag, l.quote), l), oldTag, newTag);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('Flux :tag markers in values files', () => {
    fc.assert(
      fc.property(
        layout.chain((l) => fc.tuple(fc.constant(l), tagPair(l.quote))),
        ([l, [oldTag, newTag]]) => {
          checkRoundTrip(markers, 'charts/podinfo/values.yaml', values(quote(oldTag, l.quote), l), oldTag, newTag);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a plain tag that reads as a number is written quoted and still confirms', () => {
    fc.assert(
      fc.property(layout, fc.stringMatching(/^[0-9]{1,3}(\.[0-9]{0,3})?(e[0-9])?$/), (l, tag) => {
        const original = values('vX', { ...l, quote: 'plain' });
        const once = setTag(markers, 'charts/podinfo/values.yaml', original, tag);
        const reparsed = parseManifest('v.yaml', once.text);
        const doc = reparsed.docs.find((d) => d.doc.getIn(['image', 'tag']) !== undefined);
        expect(doc?.doc.getIn(['image', 'tag'])).toBe(tag);
      }),
      { numRuns: 100 },
    );
  });
});
