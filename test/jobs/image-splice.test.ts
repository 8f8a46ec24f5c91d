// A text planned before is planned again from the facts kept of it (no parse), and its
// change analyzed from the objects kept of it. Property: over generated repos (quoted,
// digest-pinned, block and multi-line values, anchors and aliases, flow maps, comments
// after values, CRLF, several documents, duplicate keys, schema problems), a chain of
// plans (a full one, then plans of the texts it wrote and of the texts it started from)
// plans and analyzes exactly what planning everything afresh does: the same writes byte
// for byte, edits, references, skipped files and findings.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeChange } from '../../src/analysis/analyze.ts';
import { planImages, type ImagePlan } from '../../src/jobs/images.ts';
import { directoryFiles } from '../../src/manifests/files.ts';
import { indexedEditCounters } from '../../src/manifests/indexed-edits.ts';

const IMAGE = 'ghcr.io/acme/app';

type Quote = 'plain' | 'double' | 'single';
const q = (v: string, quote: Quote) => (quote === 'plain' ? v : quote === 'double' ? `"${v}"` : `'${v}'`);

const value = fc.oneof(
  { weight: 6, arbitrary: fc.record({ tag: fc.constantFrom('1.0.0', '2.1', 'v3', '1.10'), quote: fc.constantFrom<Quote>('plain', 'double', 'single'), digest: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom('block', 'folded', 'multiline', 'anchor', 'alias', 'tagged', 'flow', 'duplicate', 'escaped') },
);

const doc = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom('Deployment', 'Pod', 'CronJob'),
      value,
      comment: fc.boolean(),
      sidecar: fc.constantFrom('none', 'same', 'other', 'bad'),
      schema: fc.constantFrom('ok', 'ok', 'replicas', 'field'),
      // the container list anchored, and copied by an alias elsewhere
      copied: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'ConfigMap' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'Kustomization' as const }) },
);
type Doc = typeof doc extends fc.Arbitrary<infer T> ? T : never;
type Value = typeof value extends fc.Arbitrary<infer T> ? T : never;

function imageValue(v: Value): { before?: string; field: string } {
  if (typeof v !== 'string') {
    const ref = `${IMAGE}:${v.tag}${v.digest ? `@sha256:${'a'.repeat(64)}` : ''}`;
    return { field: q(ref, v.quote) };
  }
  switch (v) {
    case 'block':
      return { field: `|-\n            ${IMAGE}:1.0.0` };
    case 'folded':
      return { field: `>-\n            ${IMAGE}:1.0.0` };
    case 'multiline':
      return { field: `${IMAGE}:1.0.0\n            # a comment line between` };
    case 'anchor':
      return { field: `&img ${IMAGE}:1.0.0` };
    case 'alias':
      return { before: `  x: &img ${IMAGE}:1.0.0\n`, field: '*img' };
    case 'tagged':
      return { field: `!!str ${IMAGE}:1.0.0` };
    case 'flow':
      return { field: `${IMAGE}:1.0.0, imagePullPolicy: Always}` };
    case 'duplicate':
      return { field: `${IMAGE}:1.0.0\n          image: ${IMAGE}:1.0.1` };
    default:
      return { field: `"ghcr.io/acme/\\x61pp:1.0.0"` };
  }
}

function render(d: Doc, i: number): string {
  if (d.kind === 'ConfigMap') return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\ndata:\n  note: uses ${IMAGE}:1.0.0\n`;
  if (d.kind === 'Kustomization') return `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: ${IMAGE}\n    newTag: 1.0.0\n`;
  const { before = '', field } = imageValue(d.value);
  const flow = d.value === 'flow';
  const container = flow ? `        - {name: c, image: ${field}\n` : `        - name: c\n          image: ${field}${d.comment ? '  # pinned by hand' : ''}\n`;
  const sidecar =
    d.sidecar === 'same' ? `        - name: s\n          image: "${IMAGE}:0.9.0"\n` : d.sidecar === 'other' ? `        - name: s\n          image: nginx:1.25\n` : d.sidecar === 'bad' ? `        - name: s\n          image: "UPPER/Case:x"\n` : '';
  const replicas = d.schema === 'replicas' ? '  replicas: many\n' : '  replicas: 2\n';
  const extra = d.schema === 'field' ? '          bogus: 1\n' : '';
  const head = `apiVersion: ${d.kind === 'Pod' ? 'v1' : d.kind === 'CronJob' ? 'batch/v1' : 'apps/v1'}\nkind: ${d.kind}\nmetadata:\n  name: w${i}\n${before}`;
  const copies = d.copied && !flow ? `      initContainers: *cs\n` : '';
  const pod = `      containers:${d.copied && !flow ? ' &cs' : ''}\n${container}${extra}${sidecar}${copies}`;
  if (d.kind === 'Pod') return `${head}spec:\n  containers:\n${pod.split('\n').slice(1).map((l) => l.slice(4)).join('\n')}`;
  if (d.kind === 'CronJob') return `${head}spec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${pod.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n')}`;
  return `${head}spec:\n${replicas}  selector: {matchLabels: {app: w${i}}}\n  template:\n    metadata: {labels: {app: w${i}}}\n    spec:\n${pod}`;
}

const file = fc.record({
  name: fc.constantFrom('a/x.yaml', 'a/y.yml', 'b/z.yaml', 'c/w.yaml'),
  docs: fc.array(doc, { minLength: 1, maxLength: 3 }),
  crlf: fc.boolean(),
  bom: fc.boolean(),
});
type File = typeof file extends fc.Arbitrary<infer T> ? T : never;

async function writeRepo(dir: string, texts: Map<string, string>): Promise<void> {
  for (const [rel, text] of texts) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
}

function textsOf(files: File[]): Map<string, string> {
  return new Map(
    files.map((f) => {
      const text = f.docs.map(render).join('---\n');
      return [f.name, `${f.bom ? '\uFEFF' : ''}${f.crlf ? text.replace(/\n/g, '\r\n') : text}`];
    }),
  );
}

/** The plan and the findings on it, from whatever was kept for `dir`. */
async function planned(dir: string, tag: string) {
  const plan = await planImages(directoryFiles(dir), { image: IMAGE, tag });
  const findings = await analyzeChange(directoryFiles(dir), { plan: { action: 'set-image', title: 't', edits: plan.edits, skipped: plan.skipped, trailers: {} }, writes: plan.writes });
  return { plan, findings };
}

/** The same, planned afresh: in a copy of the repo nothing was kept for. */
async function afresh(texts: Map<string, string>, tag: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-splice-fresh-'));
  try {
    await writeRepo(dir, texts);
    const { plan, findings } = await planned(dir, tag);
    return { plan, findings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function same(got: { plan: ImagePlan; findings: unknown }, want: { plan: ImagePlan; findings: unknown }): void {
  expect([...got.plan.writes]).toEqual([...want.plan.writes]);
  expect(got.plan.edits).toEqual(want.plan.edits);
  expect(got.plan.refs).toEqual(want.plan.refs);
  expect(got.plan.skipped).toEqual(want.plan.skipped);
  expect(got.findings).toEqual(want.findings);
}

describe('planning from kept facts', () => {
  it('plans and analyzes a chain of changes as planning afresh does, byte for byte', async () => {
    const before = { ...indexedEditCounters };
    let findings = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(file, { minLength: 1, maxLength: 4, selector: (f) => f.name }), fc.constantFrom('0.5', '1.0.0'), async (files, older) => {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'image-splice-'));
        try {
          const texts = textsOf(files);
          await writeRepo(dir, texts);
          // the full path, keeping the facts of every text it parses and writes
          const first = await planned(dir, '5.0.0');
          // the texts it wrote, planned again and again: from what the full path kept,
          // then from what each plan from facts derived (an older tag: skipped)
          let current = new Map([...texts, ...first.plan.writes]);
          await writeRepo(dir, first.plan.writes);
          for (const tag of ['6.10.0', '8.0.1234', older]) {
            const got = await planned(dir, tag);
            same(got, await afresh(current, tag));
            findings += got.findings.length;
            current = new Map([...current, ...got.plan.writes]);
            await writeRepo(dir, got.plan.writes);
          }
          // the texts it started from, planned again
          await writeRepo(dir, texts);
          same(await planned(dir, '7.0.0-rc.1'), await afresh(texts, '7.0.0-rc.1'));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 120 },
    );
    // not vacuous: most texts were planned from kept facts, tricky ones fell back, and
    // the analysis found problems to compare
    expect(indexedEditCounters.spliced - before.spliced).toBeGreaterThan(100);
    expect(findings).toBeGreaterThan(20);
  }, 120_000);
});
