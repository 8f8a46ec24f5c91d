// The confirm step re-parses only the documents an edit touches. Each case here is
// checked against the whole-text parse, which is what the confirm step did before.
import { describe, expect, it } from 'vitest';
import { applyAndConfirm, parseManifest } from '../../src/manifests/parse.ts';
import { isScalar, parseStream, parseStreamSpan } from '../../src/manifests/yaml.ts';
import { EditError } from '../../src/errors.ts';
import type { Change, ManifestFile } from '../../src/manifests/types.ts';

const THREE = `kind: ConfigMap
metadata: {name: a}
data: {x: "1"}
---
# the one edited
kind: ConfigMap
metadata: {name: b}
data:
  x: "old"
  y: keep
---
kind: ConfigMap
metadata: {name: c}
data: {x: "3"}
`;

/** A change replacing the first occurrence of `from` (in the second document) by `to`,
 *  expecting data.x to read `expect` afterwards. */
function change(file: ManifestFile, from: string, to: string, expect: string, confirm?: Change['confirm']): Change {
  const start = file.text.indexOf(from, file.text.indexOf('name: b'));
  return {
    edit: { file: file.path, object: { kind: 'ConfigMap', name: 'b' }, field: 'data.x', old: 'old', new: expect },
    docIndex: 1,
    path: ['data', 'x'],
    expect,
    source: null,
    confirm,
    text: [{ start, end: start + from.length, text: to }],
  };
}

function outcome(run: () => string): string {
  try {
    return `ok ${run()}`;
  } catch (err) {
    if (err instanceof EditError) return `${err.code}`;
    throw err;
  }
}

describe('confirming only the edited documents', () => {
  it('parses a span with the offsets and errors of the whole text', () => {
    const whole = parseStream(THREE);
    const start = whole.docs[0].range[2];
    const end = whole.docs[1].range[2];
    const part = parseStreamSpan(THREE, start, end);
    expect(part.error).toBeUndefined();
    expect(part.docs).toHaveLength(1);
    expect(part.docs[0].range).toEqual(whole.docs[1].range);
    const node = part.docs[0].getIn(['data', 'y'], true);
    expect(isScalar(node) && node.range).toEqual((whole.docs[1].getIn(['data', 'y'], true) as { range: unknown }).range);
    const broken = `${THREE.slice(0, end)}x: "open\n${THREE.slice(end)}`;
    // a broken span says so (the confirm step then re-parses everything, as before)
    expect(parseStreamSpan(broken, start, end + 10).error?.offset).toBeGreaterThanOrEqual(end);
  });

  it('gives the new text, and the re-parsed document at its place in it', () => {
    const file = parseManifest('cm.yaml', THREE);
    let at = -1;
    const out = applyAndConfirm(file, [change(file, '"old"', '"newer value"', 'newer value', (doc) => {
      at = doc.range[0];
      return undefined;
    })]);
    expect(out).toBe(THREE.replace('"old"', '"newer value"'));
    expect(at).toBe(parseStream(out).docs[1].range[0]);
  });

  it('refuses what the whole re-parse refuses, with the same codes', () => {
    const file = parseManifest('cm.yaml', THREE);
    const cases: Array<[string, string, string]> = [
      ['"old"', '"wrong"', 'new'], // EDIT_CONFIRM
      ['"old"', '"new"\n---\nz: 1', 'new'], // EDIT_DOC_COUNT: a document split in two
      ['"old"', '"new', 'new'], // EDIT_BROKE_YAML: a quote left open swallows what follows
      ['"old"', '[new', 'new'], // EDIT_BROKE_YAML: an open flow sequence
      ['"old"', '"new"\n...\n', 'new'], // a document end marker
    ];
    for (const [from, to, expect_] of cases) {
      const got = outcome(() => applyAndConfirm(file, [change(file, from, to, expect_)]));
      const next = THREE.replace(from, to);
      const whole = parseStream(next);
      const want = whole.error ? 'EDIT_BROKE_YAML' : whole.docs.length !== 3 ? 'EDIT_DOC_COUNT' : whole.docs[1].get('data') && (whole.docs[1].getIn(['data', 'x']) === expect_ ? `ok ${next}` : 'EDIT_CONFIRM');
      expect([to, got]).toEqual([to, want]);
    }
  });

  it('falls back to the whole text under a directive, which every later document reads', () => {
    const text = `%YAML 1.1\n---\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  x: "old"\n`;
    const file = parseManifest('cm.yaml', text);
    expect(outcome(() => applyAndConfirm(file, [change(file, '"old"', '"new"', 'new')]))).toBe(`ok ${text.replace('"old"', '"new"')}`);
  });

  it('hands the confirm step\'s parse of a new text to the next parse of that text, once, the same as a fresh parse', () => {
    const single = parseManifest('one.yaml', THREE.split('---\n')[2]);
    let confirmedDoc: unknown;
    const seen: Change['confirm'] = (doc) => {
      confirmedDoc = doc;
      return undefined;
    };
    const one = applyAndConfirm(single, [{ ...change(single, '"3"', '"4"', '4', seen), docIndex: 0, path: ['data', 'x'] }]);
    const multi = parseManifest('cm.yaml', THREE);
    const three = applyAndConfirm(multi, [change(multi, '"old"', '"new"', 'new')]);
    for (const [name, text] of [['one.yaml', one], ['cm.yaml', three]] as const) {
      const handed = parseManifest(name, text);
      const fresh = parseManifest(name, text);
      expect(handed.docs).toHaveLength(fresh.docs.length);
      handed.docs.forEach((d, i) => {
        expect(d.value).toEqual(fresh.docs[i].value);
        expect(d.object).toEqual(fresh.docs[i].object);
        expect(d.doc.range).toEqual(fresh.docs[i].doc.range);
      });
      if (name === 'one.yaml') expect(handed.docs[0].doc).toBe(confirmedDoc);
      // the second parse was a parse of its own
      expect(fresh.docs[0].doc).not.toBe(handed.docs[0].doc);
    }
  });
});
