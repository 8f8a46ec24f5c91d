// The quick reader against the full parse: every text it accepts must read exactly as
// yaml reads it (node by node, and image reference by image reference); anything it is
// not sure of it must decline, leaving it to the full parse.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectFluxPolicies } from '../../src/manifests/flux-policies.ts';
import { parseManifest } from '../../src/manifests/parse.ts';
import { quickDocuments } from '../../src/manifests/quick-yaml.ts';
import { imageEditors } from '../../src/manifests/registry.ts';
import { quickDiffers, quickFindsDiffer } from './quick-yaml-compare.ts';

const DEPLOYMENT = `# owned by team ads (#ads-oncall)
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
  annotations:
    fluxcd.io/tag.api: semver:~0.1
    prometheus.io/port: "9090"
spec:
  replicas: 3  # HPA overrides this
  template:
    spec:
      containers:
        - name: api
          image: 'ghcr.io/acme/api:0.1.8' # {"$imagepolicy": "flux-system:api"}
          args: ["--port", '8080', -v]
          resources:
            requests: {cpu: 250m, memory: 448Mi}
            limits: {}
          env:
          - name: EMPTY
            value:
          - name: N
            value: 1.50
        - name: sidecar
          image: otel/collector:0.88.0
      volumes: []
---
apiVersion: v1
kind: ConfigMap
metadata: {name: scripts}
data:
  run.sh: |
    #!/bin/sh
      indented more

    exec app
  folded: >-
    one
    two

      three
    four
  stripped: |-
    x
`;

const accepted: Record<string, string> = {
  deployment: DEPLOYMENT,
  'kustomization with a marker and a patch': `resources:
  - ../../base
images:
  - name: registry.example.com/ads/api
    newTag: 0.1.8 # {"$imagepolicy": "flux-system:api:tag"}
patches:
  - target:
      kind: Deployment
    patch: |-
      - op: replace
        path: /spec/replicas
`,
  'scalars of every core type': 'a: ~\nb: null\nc: true\nd: False\ne: 0o17\nf: 0x1F\ng: -12\nh: 1.50\ni: 1e3\nj: .inf\nk: .NaN\nl: 1.\nm: y\nn: "true"\no: \'it\'\'s\'\np: http://x:80/a#b\nq: -x\n',
  'empty documents and comments': '# leading\n---\n# only a comment\n---\na: 1\n--- # trailing\n',
  'a document without a marker, then two': 'a: 1\n---\n---\nb:\n',
  'nested sequences of maps': 'a:\n- b:\n  - c: 1\n    d: 2\n  - e\n-\n  f: 3\n- # empty\n',
  'root at an indent': '  a: 1\n  b:\n    c: 2\n',
  'keys an object already answers to': 'a:\n  __proto__: {polluted: yes}\n  constructor: 1\n  toString: [x]\n',
};

const declined: Record<string, string> = {
  anchor: 'a: &x 1\nb: *x\n',
  tag: 'a: !!str 1\n',
  directive: '%YAML 1.2\n---\na: 1\n',
  'document end': 'a: 1\n...\n',
  'flow collection spanning lines': 'a: [1,\n  2]\n',
  'nested flow collection': 'a: {b: [1]}\n',
  'multi-line plain scalar': 'a: one\n  two\n',
  'multi-line quoted scalar': 'a: "one\n  two"\n',
  'escape in a double-quoted scalar': 'a: "x\\ty"\n',
  tab: 'a:\n\tb: 1\n',
  CRLF: 'a: 1\r\nb: 2\r\n',
  BOM: '\uFEFFa: 1\n',
  'duplicate key': 'a: 1\na: 2\n',
  'explicit key': '? a\n: 1\n',
  'quoted key': '"a": 1\n',
  'numeric key': '80: http\n',
  'block scalar keeping its end': 'a: |+\n  x\n\n',
  'block scalar with an indentation indicator': 'a: |2\n   x\n',
  'block scalar line between parent and content column': 'a:\n  b: |\n      x\n     y\n',
  'compact nested map': 'a: b: c\n',
  'bad indentation': 'a:\n    b: 1\n  c: 2\n',
  'sequence in a compact sequence': '- - a\n',
  'a second root': 'a: 1\n- b\n',
  'trailing comma in flow': 'a: [1, 2, ]\n',
  'a key of more than 1,024 characters': `${'k'.repeat(1100)}: 1\n`,
  'a flow key that long': `a: {${'k'.repeat(1100)}: 1}\n`,
  // the full parse refuses past 256 levels; nothing the reader makes may be deeper than it reads
  'nesting deeper than manifests do': Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n',
  'a sequence item nested that deep': Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + `\n${' '.repeat(200)}- x\n`,
};

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out.sort();
}

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const fixtures = yamlFilesUnder(FIXTURES).map((f) => ({ rel: path.relative(FIXTURES, f), text: readFileSync(f, 'utf8') }));

describe('quick YAML reader', () => {
  it.each(Object.entries(accepted))('reads %s as the full parse does', (_, text) => {
    expect(quickDocuments(text)).toBeDefined();
    expect(quickDiffers(text)).toBeUndefined();
  });

  it.each(Object.entries(declined))('declines %s', (_, text) => {
    expect(quickDocuments(text)).toBeUndefined();
  });

  it('finds the same image references as the full parse, filters and markers included', () => {
    const policies = collectFluxPolicies([parseManifest('p.yaml', 'apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata: {name: api, namespace: flux-system}\nspec: {image: ghcr.io/acme/api}\n')]);
    const editors = imageEditors(policies);
    for (const [name, text] of Object.entries(accepted)) expect(quickFindsDiffer(name === 'kustomization with a marker and a patch' ? 'kustomization.yaml' : `${name}.yaml`, text, editors)).toBeUndefined();
    const refs = editors.flatMap((e) => e.find(parseManifest('d.yaml', DEPLOYMENT)));
    expect(refs.map((r) => `${r.repository} ${r.filter ?? ''} ${r.policy ?? ''}`)).toEqual(['ghcr.io/acme/api semver:~0.1 flux-system:api', 'otel/collector  ']);
  });

  it('reads every fixture it accepts as the full parse does, and accepts most of them', () => {
    const editors = imageEditors(new Map());
    let taken = 0;
    for (const { rel, text } of fixtures) {
      if (quickDocuments(text)) taken++;
      expect(quickDiffers(text), rel).toBeUndefined();
      expect(quickFindsDiffer(rel, text, editors), rel).toBeUndefined();
    }
    expect(taken).toBeGreaterThan(fixtures.length / 3);
  });

  it('never reads a damaged manifest otherwise than the full parse (property)', () => {
    const pieces = [' ', '  ', '-', '- ', ':', ': ', '#', ' #', "'", '"', '|', '>', '|-', '>-', '{', '}', '[', ']', ',', '\n', '\n  ', '&a', '*a', '!', '?', 'a', '0', '.', '---\n', '...', '\\', 'true', '~', ' x: y', '- a: b'];
    const texts = [DEPLOYMENT, accepted['kustomization with a marker and a patch'], ...fixtures.map((f) => f.text).filter((t) => quickDocuments(t))];
    const edit = fc.record({ at: fc.nat(), piece: fc.constantFrom(...pieces), cut: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.nat({ max: texts.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }), (which, edits) => {
        let text = texts[which];
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + (e.cut > 0 ? '' : e.piece) + text.slice(at + e.cut);
        }
        expect(quickDiffers(text)).toBeUndefined();
      }),
      { numRuns: 1500, seed: 42 },
    );
  });
});
