// Container image sites are found by reading a workload's identity and annotations off
// its nodes instead of converting the whole document. Property: that reading gives what
// the converted value gives — the last of duplicate keys, annotation keys as plain data
// names them, in its order — checked against the same document with an alias added,
// which the workload editor reads through the converted value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BotError } from '../../../src/errors.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import { createWorkloadImageEditor, workloadImageSites } from '../../../src/manifests/workload-images.ts';
import { readsAsNodes } from '../../../src/manifests/yaml.ts';

const IMAGE = 'ghcr.io/acme/app';

const annotation = fc.constantFrom(
  'fluxcd.io/tag.c: semver:~1.0',
  'fluxcd.io/tag.c: semver:~2.0',
  'flux.weave.works/tag.c: glob:1.*',
  'filter.fluxcd.io/c: regexp:^1',
  '"fluxcd.io/tag.side": "semver:>=0"',
  '1: one',
  '10: ten',
  'null: nothing',
  'true: yes',
  'number: 5',
  'list: [a, b]',
  'empty:',
);
const head = fc.record({
  apiVersion: fc.constantFrom('apiVersion: apps/v1\n', 'apiVersion: 1\n', ''),
  kinds: fc.array(fc.constantFrom('Deployment', 'Pod', 'CronJob', 'Service', '"Deployment"', '[Deployment]'), { minLength: 1, maxLength: 2 }),
  names: fc.array(fc.constantFrom('web', '"quoted"', '1', ''), { minLength: 0, maxLength: 2 }),
  namespace: fc.constantFrom('', '  namespace: apps\n', '  namespace: 3\n'),
  annotations: fc.option(fc.array(annotation, { minLength: 0, maxLength: 5 })),
  metadataTwice: fc.boolean(),
});
type Head = typeof head extends fc.Arbitrary<infer T> ? T : never;

function object(h: Head, indent: string): string {
  const meta = `metadata:\n${h.names.map((n) => `  name: ${n}\n`).join('')}${h.namespace}${h.annotations ? `  annotations:\n${h.annotations.map((a) => `    ${a}\n`).join('')}` : ''}`;
  const kinds = h.kinds.map((k) => `kind: ${k}\n`).join('');
  const spec = (k: string) =>
    k.includes('CronJob') ? 'spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n' : k.includes('Pod') ? 'spec:\n' : 'spec:\n  template:\n    spec:\n';
  const last = h.kinds[h.kinds.length - 1];
  const pad = spec(last).split('\n').slice(-2)[0].replace(/spec:$/, '');
  const containers = `${pad}  containers:\n${pad}    - name: c\n${pad}      image: ${IMAGE}:1.0.0\n${pad}    - name: side\n${pad}      image: "${IMAGE}:2.0.0"\n`;
  const text = `${h.apiVersion}${kinds}${meta}${h.metadataTwice ? 'metadata: {name: again}\n' : ''}${spec(last)}${containers}`;
  return text
    .split('\n')
    .map((l, i) => (l && i > 0 ? indent + l : l))
    .join('\n');
}

const doc = fc.oneof(
  head.map((h) => object(h, '')),
  fc.array(head, { minLength: 1, maxLength: 2 }).map((hs) => `apiVersion: v1\nkind: List\nitems:\n${hs.map((h) => `  - ${object(h, '    ')}`).join('')}`),
);

/** What the sites and the editor's references say, ranges included, or its error. */
function found(text: string): string {
  const file = parseManifest('w.yaml', text);
  let refs: unknown;
  try {
    refs = createWorkloadImageEditor().find(file, IMAGE);
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    refs = `${err.code} ${err.message}`;
  }
  const sites = workloadImageSites(file).map(({ node, ...site }) => ({ ...site, at: node.range }));
  return JSON.stringify({ sites, refs });
}

describe('container image sites read off the nodes', () => {
  it('are the sites the converted value gives', () => {
    let withSites = 0;
    fc.assert(
      fc.property(doc, (text) => {
        // the same document with an alias at its end: read through the converted value
        const aliased = `${text}x-anchor: &a 1\nx-alias: *a\n`;
        const plain = parseManifest('w.yaml', text);
        fc.pre(plain.docs.every((d) => readsAsNodes(d.doc)));
        expect(parseManifest('w.yaml', aliased).docs.some((d) => readsAsNodes(d.doc))).toBe(false);
        const a = found(text);
        // the alias lines come after every site: the offsets stay the same
        expect(a).toBe(found(aliased));
        if (workloadImageSites(plain).length > 0) withSites++;
      }),
      { numRuns: 400 },
    );
    expect(withSites).toBeGreaterThan(100);
  });

  it('take the last of duplicate keys and name annotation keys as plain data does', () => {
    const text = `kind: Service\nkind: Deployment\nmetadata:\n  name: first\n  annotations:\n    1: one\n    fluxcd.io/tag.c: semver:~1.0\n    null: x\n    fluxcd.io/tag.c: semver:~2.0\nmetadata:\n  name: second\n  annotations:\n    10: ten\n    2: two\n    fluxcd.io/tag.c: semver:~3.0\n    null: x\n    true: t\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: ${IMAGE}:1.0.0\n`;
    const [site] = workloadImageSites(parseManifest('w.yaml', text));
    expect(site.object).toEqual({ kind: 'Deployment', name: 'second' });
    expect(JSON.stringify(site.annotations)).toBe(JSON.stringify({ 2: 'two', 10: 'ten', 'fluxcd.io/tag.c': 'semver:~3.0', '': 'x', true: 't' }));
    expect(createWorkloadImageEditor().find(parseManifest('w.yaml', text), IMAGE)[0].filter).toBe('semver:~3.0');
  });
});
