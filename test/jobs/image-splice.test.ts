// A text planned before is planned again from the facts kept of it (no parse), and its
// change analyzed from the objects kept of it. Property: over generated repos (quoted,
// digest-pinned, block and multi-line values, anchors and aliases, flow maps, comments
// after values, CRLF, several documents, duplicate keys, schema problems), a chain of
// plans (a full one, then plans of the texts it wrote and of the texts it started from)
// plans and analyzes exactly what planning everything afresh does: the same writes byte
// for byte, edits, references, skipped files and findings. The same holds when each plan
// runs in a "new process" of a persistent reader (the CLI's), from the facts kept on disk
// (manifests/kept-facts.ts), and when that file is corrupt, foreign or forged.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { deserialize, serialize } from 'node:v8';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeChange } from '../../src/analysis/analyze.ts';
import { planImages, type ImagePlan } from '../../src/jobs/images.ts';
import { directoryFiles, type RepoFiles } from '../../src/manifests/files.ts';
import { deriveWrittenFacts, forgetKeptFacts, indexedEditCounters, writtenFactsPending } from '../../src/manifests/indexed-edits.ts';
import { closeTreeStores, flushStores, persistentRepo } from '../../src/manifests/tree-store.ts';
import { decodeShard, encodeShard } from '../../src/manifests/kept-facts.ts';
import { packageVersion } from '../../src/version.ts';

const IMAGE = 'ghcr.io/acme/app';
const OTHER = 'ghcr.io/acme/other';

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
      // a Flux marker: on another image's annotation, on this image's, on the edited line
      marker: fc.constantFrom('none', 'none', 'none', 'other', 'same', 'claimed'),
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
  const after = d.marker === 'claimed' ? '  # {"$imagepolicy": "flux-system:app"}' : d.comment ? '  # pinned by hand' : '';
  const container = flow ? `        - {name: c, image: ${field}\n` : `        - name: c\n          image: ${field}${after}\n`;
  const sidecar =
    d.sidecar === 'same' ? `        - name: s\n          image: "${IMAGE}:0.9.0"\n` : d.sidecar === 'other' ? `        - name: s\n          image: nginx:1.25\n` : d.sidecar === 'bad' ? `        - name: s\n          image: "UPPER/Case:x"\n` : '';
  const replicas = d.schema === 'replicas' ? '  replicas: many\n' : '  replicas: 2\n';
  const extra = d.schema === 'field' ? '          bogus: 1\n' : '';
  const marked = d.marker === 'other' ? `${OTHER}:1.0.0 # {"$imagepolicy": "flux-system:other"}` : d.marker === 'same' ? `${IMAGE}:1.0.0 # {"$imagepolicy": "flux-system:app"}` : undefined;
  const annotations = marked ? `  annotations:\n    pinned: ${marked}\n` : '';
  const head = `apiVersion: ${d.kind === 'Pod' ? 'v1' : d.kind === 'CronJob' ? 'batch/v1' : 'apps/v1'}\nkind: ${d.kind}\nmetadata:\n  name: w${i}\n${annotations}${before}`;
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

/** The plan and the findings on it, from whatever was kept for `dir`: in this process,
 *  or (`cold`) only what a persistent reader kept on disk, as a new CLI process. */
async function planned(dir: string, tag: string, cold = false, image = IMAGE) {
  if (cold) {
    closeTreeStores();
    forgetKeptFacts();
  }
  const files: RepoFiles = cold ? persistentRepo(directoryFiles(dir)) : directoryFiles(dir);
  const plan = await planImages(files, { image, tag });
  if (cold) await flushStores(files);
  const findings = await analyzeChange(directoryFiles(dir), { plan: { action: 'set-image', title: 't', edits: plan.edits, skipped: plan.skipped, trailers: {} }, writes: plan.writes });
  return { plan, findings };
}

/** The same, planned afresh: in a copy of the repo nothing was kept for. */
async function afresh(texts: Map<string, string>, tag: string, image = IMAGE) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-splice-fresh-'));
  try {
    await writeRepo(dir, texts);
    const { plan, findings } = await planned(dir, tag, false, image);
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

const repoFiles = fc.uniqueArray(file, { minLength: 1, maxLength: 4, selector: (f) => f.name });

/** A temp repo with a git directory (where a persistent reader keeps what it derived). */
async function tempRepo(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await mkdir(path.join(dir, '.git'));
  return dir;
}

const storeDir = (dir: string) => path.join(dir, '.git', 'gitops-canary');
/** Every entry of the kept facts files, deserialized. */
async function keptEntries(dir: string): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = [];
  for (const f of await factsFiles(dir)) for (const [k, v] of shardOf(await readFile(f)).entries) out.push([k, deserialize(v)]);
  return out;
}
/** A kept facts file's entries (its format is kept-facts.ts's), and the file of others. */
const shardOf = (bytes: Buffer) => ({ entries: decodeShard(bytes)! });
const shardFile = (x: { entries: Map<string, Uint8Array> }) => Buffer.concat(encodeShard(x.entries));
/** The files the kept facts are spread over. */
const factsFiles = async (dir: string) => (await readdir(storeDir(dir)).catch(() => [] as string[])).filter((n) => /^facts-[0-9a-f]{2}\.v8$/.test(n)).map((n) => path.join(storeDir(dir), n));

describe('planning from kept facts', () => {
  for (const cold of [false, true]) {
    it(`plans and analyzes a chain of changes as planning afresh does, byte for byte${cold ? ', each plan in a new process' : ''}`, async () => {
      const before = { ...indexedEditCounters };
      let findings = 0;
      await fc.assert(
        fc.asyncProperty(repoFiles, fc.constantFrom('0.5', '1.0.0'), async (files, older) => {
          const dir = await tempRepo('image-splice-');
          try {
            const texts = textsOf(files);
            await writeRepo(dir, texts);
            // the full path, keeping the facts of every text it parses and writes
            const first = await planned(dir, '5.0.0', cold);
            // the texts it wrote, planned again and again: from what the full path kept,
            // then from what each plan from facts derived (an older tag: skipped)
            let current = new Map([...texts, ...first.plan.writes]);
            await writeRepo(dir, first.plan.writes);
            for (const tag of ['6.10.0', '8.0.1234', older]) {
              const got = await planned(dir, tag, cold);
              same(got, await afresh(current, tag));
              findings += got.findings.length;
              current = new Map([...current, ...got.plan.writes]);
              await writeRepo(dir, got.plan.writes);
            }
            // another image, which only a Flux marker names: its references were carried
            // over to the texts the plans wrote
            same(await planned(dir, '2.0.0', cold, OTHER), await afresh(current, '2.0.0', OTHER));
            // the texts it started from, planned again
            await writeRepo(dir, texts);
            same(await planned(dir, '7.0.0-rc.1', cold), await afresh(texts, '7.0.0-rc.1'));
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: cold ? 80 : 120 },
      );
      // not vacuous: most texts were planned from kept facts (read from disk, when
      // cold), tricky ones fell back, and the analysis found problems to compare
      expect(indexedEditCounters.spliced - before.spliced).toBeGreaterThan(cold ? 40 : 60);
      if (cold) expect(indexedEditCounters.stored - before.stored).toBeGreaterThan(40);
      // and the texts the plans wrote were kept as splices, derived when asked for
      if (cold) expect(indexedEditCounters.unspliced - before.unspliced).toBeGreaterThan(20);
      expect(findings).toBeGreaterThan(cold ? 10 : 20);
    }, 180_000);
  }

  it('confirms a splice of a text in the quick reader\'s subset from the new text alone, run after run', async () => {
    // plain block manifests, as most are: a shape is kept for each (maskedShape)
    const deploy = (name: string, image: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${name}\n          image: ${image}\n          args: [--level, info]\n        - name: side\n          image: "ghcr.io/acme/side:1.0"\n`;
    const texts = new Map([
      ['apps/a/deployment.yaml', deploy('a', `${IMAGE}:1.0.0`)],
      ['apps/b/deployment.yaml', `${deploy('b', `"${IMAGE}:1.0.0"`)}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n`],
      ['apps/c/deployment.yaml', deploy('c', `'${IMAGE}:1.0.0'`)],
    ]);
    const dir = await tempRepo('image-splice-shape-');
    try {
      await writeRepo(dir, texts);
      let current = texts;
      const tags = ['2.0.0', '3.0.0', '3.10.0', '4.0.0-rc.1', '4.0.0', '4.1.0', '4.2.0', '4.3.0', '4.4.0', '4.5.0', '5.0.0'];
      for (const [i, tag] of tags.entries()) {
        const before = { ...indexedEditCounters };
        // the sidecar now and then: a chain that writes other values of the same texts
        const image = i % 3 === 2 ? 'ghcr.io/acme/side' : IMAGE;
        const got = await planned(dir, tag, true, image);
        same(got, await afresh(current, tag, image));
        // the first plan parses every text and derives the facts of what it wrote by the
        // shape just kept; each later one (a new process) splices each text from its kept
        // facts and confirms it by the kept shape
        expect(indexedEditCounters.shaped - before.shaped).toBe(texts.size);
        if (i > 0) expect(indexedEditCounters.stored - before.stored).toBe(texts.size);
        expect(got.plan.writes.size).toBe(texts.size);
        // each text written is kept as one splice of the entry kept whole for the text
        // the chain started from, however long the chain; the next plan derives its
        // facts from there
        const kept = await keptEntries(dir);
        const keyOf = (rel: string, text: string) => kept.find(([k]) => k.endsWith(`\0${rel}\0${createHash('sha256').update(text).digest('base64')}`))?.[0];
        for (const [rel, text] of got.plan.writes) {
          const entry = kept.find(([k]) => k === keyOf(rel, text))?.[1] as { from?: string; step?: { edits: unknown[] }; spans?: unknown[] } | undefined;
          expect(entry?.spans, `${tag} ${rel}`).toBeUndefined();
          expect(entry?.from, `${tag} ${rel}`).toBe(keyOf(rel, texts.get(rel)!));
          expect(entry?.step?.edits.length, `${tag} ${rel}`).toBe(i < 2 ? 1 : 2);
        }
        if (i > 0) expect(indexedEditCounters.unspliced - before.unspliced).toBe(texts.size);
        current = new Map([...current, ...got.plan.writes]);
        await writeRepo(dir, got.plan.writes);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without a store (the bot): the facts of the texts a plan wrote are derived beside the commit, or when the next plan asks first', async () => {
    const deploy = (name: string, image: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${name}\n          image: ${image}\n`;
    const texts = new Map([
      ['apps/a/deployment.yaml', deploy('a', `${IMAGE}:1.0.0`)],
      ['apps/b/deployment.yaml', deploy('b', `"${IMAGE}:1.0.0"`)],
    ]);
    forgetKeptFacts();
    const dir = await tempRepo('image-splice-later-');
    try {
      await writeRepo(dir, texts);
      let current = texts;
      const step = async (tag: string) => {
        const got = await planned(dir, tag);
        const pending = writtenFactsPending();
        same(got, await afresh(current, tag));
        current = new Map([...current, ...got.plan.writes]);
        await writeRepo(dir, got.plan.writes);
        return pending;
      };
      // the full path, then a plan from the facts of what it wrote: the facts of the texts
      // this one wrote wait to be derived
      await step('2.0.0');
      expect(await step('3.0.0')).toBe(texts.size);
      await deriveWrittenFacts();
      expect(writtenFactsPending()).toBe(0);
      // the next plan splices each text from those facts
      let before = { ...indexedEditCounters };
      expect(await step('4.0.0')).toBe(texts.size);
      expect(indexedEditCounters.spliced - before.spliced).toBe(texts.size);
      // not derived beside anything: the next plan derives them as it asks, and splices
      before = { ...indexedEditCounters };
      await step('5.0.0');
      expect(indexedEditCounters.spliced - before.spliced).toBe(texts.size);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ignores a kept facts file that is corrupt, foreign or forged, planning as afresh', async () => {
    const spoilers: Array<[string, (file: string, bytes: Buffer) => Promise<void>]> = [
      ['corrupt', (file, bytes) => writeFile(file, bytes.subarray(0, bytes.length >> 1))],
      ['garbage', (file) => writeFile(file, 'not a facts file')],
      [
        'an entry cut short',
        (file, bytes) => {
          const x = shardOf(bytes);
          for (const [k, v] of x.entries) x.entries.set(k, v.subarray(0, v.length >> 1));
          return writeFile(file, shardFile(x));
        },
      ],
      [
        'another version',
        (file, bytes) => {
          const other = Buffer.from(bytes);
          const at = other.indexOf(`"version":${JSON.stringify(packageVersion())}`) + '"version":"'.length;
          other[at] = other[at] === 0x39 ? 0x38 : 0x39;
          return writeFile(file, other);
        },
      ],
      [
        'entries of another shape',
        (file, bytes) => {
          const x = shardOf(bytes);
          for (const k of x.entries.keys()) x.entries.set(k, serialize({ byEditor: 'all', spans: [[1, { start: 'x' }]] }));
          return writeFile(file, shardFile(x));
        },
      ],
      [
        // the shape of another text, or none that any text has: the splice is confirmed
        // by reading both texts, as without one
        'shapes swapped or made up',
        (file, bytes) => {
          const x = shardOf(bytes);
          const shapes = [...x.entries.values()].map((v) => (deserialize(v) as { shape?: string }).shape).reverse();
          let i = 0;
          for (const [k, v] of x.entries) x.entries.set(k, serialize({ ...(deserialize(v) as object), shape: shapes[i++] ?? 'made up' }));
          return writeFile(file, shardFile(x));
        },
      ],
      [
        // onto the `image` key before the value: a plain scalar the lexer would let a
        // splice replace
        'spans moved off their values',
        (file, bytes) => {
          const x = shardOf(bytes);
          for (const [k, bytes] of x.entries) {
            const e = deserialize(bytes) as { spans?: Array<[number, { start: number; end: number; style: string }]> };
            for (const [, s] of e.spans ?? []) Object.assign(s, { start: s.start - 'image: '.length, end: s.start - ': '.length, style: 'PLAIN' });
            x.entries.set(k, serialize(e));
          }
          return writeFile(file, shardFile(x));
        },
      ],
      [
        // a text kept as the splice of another entry (SplicedFacts): a value it says it
        // wrote, or its writes left out, reads otherwise than its text
        'splices forged',
        (file, bytes) => {
          const x = shardOf(bytes);
          let n = 0;
          for (const [k, bytes] of x.entries) {
            const e = deserialize(bytes) as { step?: { writes: Array<[number, string, string]> } };
            if (!e.step) continue;
            if (n++ % 2 === 0) for (const w of e.step.writes) w[1] = `${w[1]}-forged`;
            else e.step.writes = [];
            x.entries.set(k, serialize(e));
          }
          return writeFile(file, shardFile(x));
        },
      ],
    ];
    const before = { ...indexedEditCounters };
    await fc.assert(
      fc.asyncProperty(repoFiles, fc.constantFrom(...spoilers.keys()), async (files, which) => {
        const dir = await tempRepo('image-splice-spoilt-');
        try {
          const texts = textsOf(files);
          await writeRepo(dir, texts);
          // the texts a plan wrote too: kept as splices of the entries of the first ones
          const first = await planned(dir, '5.0.0', true);
          await writeRepo(dir, first.plan.writes);
          const current = new Map([...texts, ...first.plan.writes]);
          for (const f of await factsFiles(dir)) await spoilers[which][1](f, await readFile(f));
          const stored = indexedEditCounters.stored;
          same(await planned(dir, '6.10.0', true), await afresh(current, '6.10.0'));
          // only a forged span can pass the shape: the text it is used for refuses it
          if (!['spans moved off their values', 'shapes swapped or made up', 'splices forged'].includes(spoilers[which][0])) expect(indexedEditCounters.stored).toBe(stored);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
    // not vacuous: the forged spans were read, and each was refused
    expect(indexedEditCounters.stored - before.stored).toBeGreaterThan(0);
  }, 120_000);

  it("ignores the facts kept by another checkout of the same texts", async () => {
    const texts = textsOf([{ name: 'a/x.yaml', docs: [{ kind: 'Deployment', value: { tag: '1.0.0', quote: 'plain', digest: false }, comment: false, sidecar: 'none', schema: 'ok', copied: false, marker: 'none' }], crlf: false, bom: false }]);
    const a = await tempRepo('image-splice-a-');
    const b = await tempRepo('image-splice-b-');
    try {
      await writeRepo(a, texts);
      await writeRepo(b, texts);
      await planned(a, '5.0.0', true);
      await mkdir(storeDir(b), { recursive: true });
      const kept = await factsFiles(a);
      expect(kept.length).toBeGreaterThan(0);
      for (const f of kept) await copyFile(f, path.join(storeDir(b), path.basename(f)));
      const stored = indexedEditCounters.stored;
      same(await planned(b, '5.0.0', true), await afresh(texts, '5.0.0'));
      expect(indexedEditCounters.stored).toBe(stored);
      // while the checkout that kept them reads them
      same(await planned(a, '5.0.0', true), await afresh(texts, '5.0.0'));
      expect(indexedEditCounters.stored).toBe(stored + 1);
    } finally {
      await rm(a, { recursive: true, force: true });
      await rm(b, { recursive: true, force: true });
    }
  });
});
