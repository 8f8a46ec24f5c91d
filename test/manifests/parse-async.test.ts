// The asynchronous parse used by the jobs gives exactly what the synchronous one gives,
// limits included, and lets other work run while it parses a large file.
import { describe, expect, it } from 'vitest';
import { applyAndConfirm, applyAndConfirmAsync, parseManifest, parseManifestAsync } from '../../src/manifests/parse.ts';
import { parseStream, parseStreamAsync } from '../../src/manifests/yaml.ts';
import { aliasBomb } from '../helpers/hostile.ts';

const deployment = (i: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: app-${i}, namespace: ns }
spec:
  template:
    spec:
      containers:
        - name: main   # a comment
          image: ghcr.io/acme/app-${i}:1.0.${i}
`;

const bundle = (n: number) => Array.from({ length: n }, (_, i) => deployment(i)).join('---\n');

function shapeOf(stream: ReturnType<typeof parseStream>) {
  return { error: stream.error, docs: stream.docs.map((d) => ({ range: d.range, errors: d.errors.map((e) => e.message), js: d.errors.length || stream.error ? null : d.toJS() })) };
}

describe('parseStreamAsync', () => {
  it('gives the same documents, errors and limits as parseStream', async () => {
    const inputs = [
      '',
      'a: 1\n',
      bundle(3),
      `${bundle(2)}---\nkey: [unclosed\n`,
      'a: &x 1\nb: *x\n',
      `data:\n${aliasBomb(7, 2)}`,
      '['.repeat(5000),
      `${'- '.repeat(300)}x\n`,
      '\uFEFFa: 1\r\nb: 2',
      '%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n',
      bundle(4000),
    ];
    for (const text of inputs) {
      expect(shapeOf(await parseStreamAsync(text))).toEqual(shapeOf(parseStream(text)));
    }
  });

  it('lets a timer run while it parses a large stream; the synchronous parse does not', async () => {
    const text = bundle(12_000);
    let fired = false;
    setTimeout(() => (fired = true), 0);
    parseStream(text);
    expect(fired).toBe(false);
    await parseStreamAsync(text);
    expect(fired).toBe(true);
  });

  it('parseManifestAsync and applyAndConfirmAsync agree with their synchronous forms', async () => {
    const text = bundle(3000);
    const file = await parseManifestAsync('apps/bundle.yaml', text);
    expect(file.docs.map((d) => d.object)).toEqual(parseManifest('apps/bundle.yaml', text).docs.map((d) => d.object));
    const at = text.indexOf('ghcr.io/acme/app-7:1.0.7');
    const change = {
      edit: { file: 'apps/bundle.yaml', object: file.docs[7].object!, field: 'image', old: 'ghcr.io/acme/app-7:1.0.7', new: 'ghcr.io/acme/app-7:2.0.0' },
      docIndex: 7,
      path: ['spec', 'template', 'spec', 'containers', 0, 'image'],
      expect: 'ghcr.io/acme/app-7:2.0.0',
      text: [{ start: at, end: at + 'ghcr.io/acme/app-7:1.0.7'.length, text: 'ghcr.io/acme/app-7:2.0.0' }],
    };
    const next = await applyAndConfirmAsync(file, [change]);
    expect(next).toBe(applyAndConfirm(file, [change]));
    expect(next.length - text.length).toBe(0);
    await expect(applyAndConfirmAsync(file, [{ ...change, expect: 'something else' }])).rejects.toThrow(/re-parsed value/);
  });
});
