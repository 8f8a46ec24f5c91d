// A file parsed to be edited (parseManifestToEdit) keeps its lexemes and CST, and the
// confirm step re-parses the edited text from them. Each case is checked against the
// same file parsed plainly, whose confirm step parses the edited text whole.
import { describe, expect, it } from 'vitest';
import { EditError } from '../../src/errors.ts';
import { applyAndConfirm, applyAndConfirmAsync, confirmCounters, parseManifest, parseManifestToEdit } from '../../src/manifests/parse.ts';
import type { Change, ManifestFile } from '../../src/manifests/types.ts';
import { parseStream } from '../../src/manifests/yaml.ts';

const DEPLOY = `# the web app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: "ghcr.io/acme/web:1.0.0"   # pinned by the release bot
        - name: side
          image: ghcr.io/acme/side:2.0
          args: [--level, info]
      volumes:
        - name: conf
          configMap: {name: web}
`;

/** A change replacing the first `from` by `to`, where `path` must read `expect` afterwards. */
function change(file: ManifestFile, from: string, to: string, path: (string | number)[], expect: string): Change {
  const start = file.text.indexOf(from);
  if (start < 0) throw new Error(`no ${from}`);
  return {
    edit: { file: file.path, object: { kind: 'Deployment', name: 'web' }, field: path.join('.'), old: from, new: expect },
    docIndex: 0,
    path,
    expect,
    source: null,
    text: [{ start, end: start + from.length, text: to }],
  };
}

const WEB = ['spec', 'template', 'spec', 'containers', 0, 'image'];
const SIDE = ['spec', 'template', 'spec', 'containers', 1, 'image'];

function outcome(run: () => string): string {
  try {
    return `ok ${run()}`;
  } catch (err) {
    if (err instanceof EditError) return err.code;
    throw err;
  }
}

type Case = [string, Array<[string, string, (string | number)[], string]>];

const CASES: Case[] = [
  ['a quoted image', [['"ghcr.io/acme/web:1.0.0"', '"ghcr.io/acme/web:1.0.1"', WEB, 'ghcr.io/acme/web:1.0.1']]],
  ['a plain image made quoted', [['ghcr.io/acme/side:2.0', '"ghcr.io/acme/side:2.10"', SIDE, 'ghcr.io/acme/side:2.10']]],
  ['a quoted image made plain', [['"ghcr.io/acme/web:1.0.0"', 'ghcr.io/acme/web:1.0.1', WEB, 'ghcr.io/acme/web:1.0.1']]],
  [
    'two images at once',
    [
      ['"ghcr.io/acme/web:1.0.0"', '"ghcr.io/acme/web:1.0.1-longer-tag"', WEB, 'ghcr.io/acme/web:1.0.1-longer-tag'],
      ['ghcr.io/acme/side:2.0', 'ghcr.io/acme/side:3', SIDE, 'ghcr.io/acme/side:3'],
    ],
  ],
  ['a value that re-reads as something else', [['ghcr.io/acme/side:2.0', '2.10', SIDE, '2.10']]], // EDIT_CONFIRM
  ['an open quote', [['"ghcr.io/acme/web:1.0.0"', '"ghcr.io/acme/web:1.0.1', WEB, 'ghcr.io/acme/web:1.0.1']]], // EDIT_BROKE_YAML
  ['an escape the composer refuses', [['"ghcr.io/acme/web:1.0.0"', '"ghcr.io/acme/web:\\q"', WEB, 'ghcr.io/acme/web:q']]], // EDIT_BROKE_YAML
  ['a document marker', [['ghcr.io/acme/side:2.0', 'x\n---\nb: 1', SIDE, 'x']]], // EDIT_BROKE_YAML
  ['a mapping where the scalar was', [['ghcr.io/acme/side:2.0', 'a: b', SIDE, 'a: b']]], // EDIT_BROKE_YAML
];

describe('the confirm step on a file parsed to be edited', () => {
  it.each(CASES)('%s: the same text or the same refusal as the whole re-parse', async (_name, specs) => {
    const outcomes: string[] = [];
    for (const parse of [async (p: string, t: string) => parseManifest(p, t), parseManifestToEdit]) {
      const file = await parse('web.yaml', DEPLOY);
      const changes = specs.map(([from, to, path, expect]) => change(file, from, to, path, expect));
      outcomes.push(outcome(() => applyAndConfirm(file, changes)));
    }
    expect(outcomes[1]).toBe(outcomes[0]);
  });

  it('re-parses from what the parse kept for a scalar replaced by a scalar', async () => {
    const before = confirmCounters.kept;
    for (const [, specs] of CASES.slice(0, 4)) {
      const file = await parseManifestToEdit('web.yaml', DEPLOY);
      applyAndConfirm(file, specs.map(([from, to, path, expect]) => change(file, from, to, path, expect)));
    }
    expect(confirmCounters.kept - before).toBe(4);
    // a plain parse keeps nothing
    const plain = parseManifest('web.yaml', DEPLOY);
    applyAndConfirm(plain, [change(plain, 'ghcr.io/acme/side:2.0', 'ghcr.io/acme/side:2.5', SIDE, 'ghcr.io/acme/side:2.5')]);
    expect(confirmCounters.kept - before).toBe(4);
  });

  it('refuses the cases that must be refused', async () => {
    const refused = await Promise.all(
      CASES.slice(4).map(async ([, specs]) => {
        const file = await parseManifestToEdit('web.yaml', DEPLOY);
        return outcome(() => applyAndConfirm(file, specs.map(([from, to, path, expect]) => change(file, from, to, path, expect))));
      }),
    );
    expect(refused).toEqual(['EDIT_CONFIRM', 'EDIT_BROKE_YAML', 'EDIT_BROKE_YAML', 'EDIT_BROKE_YAML', 'EDIT_BROKE_YAML']);
  });

  it('hands the analysis a parse of the new text that is the same as a fresh one', async () => {
    const file = await parseManifestToEdit('web.yaml', DEPLOY);
    let confirmedDoc: unknown;
    // a text no other case produces: the confirm step keeps each new text's parse once
    const c = { ...change(file, '"ghcr.io/acme/web:1.0.0"', '"ghcr.io/acme/web:7.0.0"', WEB, 'ghcr.io/acme/web:7.0.0'), confirm: (doc: unknown) => void (confirmedDoc = doc) };
    const next = await applyAndConfirmAsync(file, [c]);
    const handed = parseManifest('web.yaml', next);
    expect(handed.docs[0].doc).toBe(confirmedDoc);
    const fresh = parseStream(next);
    expect(handed.docs[0].value).toEqual(fresh.docs[0].toJS());
    expect(handed.docs[0].doc.range).toEqual(fresh.docs[0].range);
    const node = (d: { getIn(p: unknown[], keep: true): unknown }) => d.getIn(SIDE, true) as { range: unknown };
    expect(node(handed.docs[0].doc).range).toEqual(node(fresh.docs[0]).range);
  });

  it('uses what the parse kept once: a second edit of the same file is confirmed by a whole re-parse', async () => {
    const file = await parseManifestToEdit('web.yaml', DEPLOY);
    const first = applyAndConfirm(file, [change(file, 'ghcr.io/acme/side:2.0', 'ghcr.io/acme/side:2.1', SIDE, 'ghcr.io/acme/side:2.1')]);
    const second = applyAndConfirm(file, [change(file, 'ghcr.io/acme/side:2.0', 'ghcr.io/acme/side:2.2', SIDE, 'ghcr.io/acme/side:2.2')]);
    expect(first).toBe(DEPLOY.replace('side:2.0', 'side:2.1'));
    expect(second).toBe(DEPLOY.replace('side:2.0', 'side:2.2'));
    // and a refusal the first time leaves nothing half-patched behind
    const again = await parseManifestToEdit('web.yaml', DEPLOY);
    expect(outcome(() => applyAndConfirm(again, [change(again, 'ghcr.io/acme/side:2.0', '"open', SIDE, 'open')]))).toBe('EDIT_BROKE_YAML');
    expect(outcome(() => applyAndConfirm(again, [change(again, 'ghcr.io/acme/side:2.0', 'ghcr.io/acme/side:2.3', SIDE, 'ghcr.io/acme/side:2.3')]))).toBe(`ok ${DEPLOY.replace('side:2.0', 'side:2.3')}`);
  });
});
