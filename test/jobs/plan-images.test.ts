// planImages parses each hit just before its turn and confirms each edited file from the
// lexemes and CST its parse kept. Property: over generated repos (files of several
// documents, with and without the image, some broken), it plans exactly what the plain
// path plans: every file parsed with parseManifest, every change confirmed by parsing
// the new text whole — the same writes byte for byte, edits, references and skipped files.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BotError } from '../../src/errors.ts';
import { planImages } from '../../src/jobs/images.ts';
import { followAliases } from '../../src/manifests/anchored-images.ts';
import { directoryFiles, YAML_FILE, type RepoFiles } from '../../src/manifests/files.ts';
import { applyAndConfirm, confirmCounters, parseManifest } from '../../src/manifests/parse.ts';
import { imageEditors } from '../../src/manifests/registry.ts';
import { imageTokens, loadFluxPolicies } from '../../src/manifests/scan.ts';
import type { Change, ImageRef, ManifestFile } from '../../src/manifests/types.ts';
import type { Edit, Skipped } from '../../src/plan.ts';

const IMAGE = 'ghcr.io/acme/app';
const TAG = '99.0.0';

const FLUX = `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ${IMAGE}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: '>=1.0.0'}}
`;

type Quote = 'plain' | 'double' | 'single';
const q = (v: string, quote: Quote) => (quote === 'plain' ? v : quote === 'double' ? `"${v}"` : `'${v}'`);

const piece = fc.oneof(
  fc.record({
    kind: fc.constant('deploy' as const),
    image: fc.constantFrom(IMAGE, 'nginx', 'docker.io/library/busybox'),
    tag: fc.constantFrom('1.0.0', '2.1', 'v3'),
    quote: fc.constantFrom<Quote>('plain', 'double', 'single'),
    marker: fc.boolean(),
    digest: fc.boolean(),
    sidecar: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('kustomize' as const), image: fc.constantFrom(IMAGE, 'nginx'), tag: fc.constantFrom('1.0.0', '"2.1"') }),
  fc.record({ kind: fc.constant('helm' as const), image: fc.constantFrom(IMAGE, 'nginx'), tag: fc.constantFrom('1.0.0', '"2.1"') }),
  fc.record({ kind: fc.constant('config' as const), note: fc.constantFrom('plain text', `mentions ${IMAGE} in passing`) }),
  fc.record({ kind: fc.constant('broken' as const), image: fc.constantFrom(IMAGE, 'nginx') }),
);
type Piece = typeof piece extends fc.Arbitrary<infer T> ? T : never;

function render(p: Piece, i: number): string {
  switch (p.kind) {
    case 'deploy': {
      const ref = `${p.image}:${p.tag}${p.digest ? `@sha256:${'a'.repeat(64)}` : ''}`;
      const marker = p.marker ? ' # {"$imagepolicy": "flux-system:app"}' : '';
      const side = p.sidecar ? `        - name: side\n          image: ${IMAGE}:0.9.0\n` : '';
      return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d${i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: ${q(ref, p.quote)}${marker}\n${side}`;
    }
    case 'kustomize':
      return `images:\n  - name: ${p.image}\n    newTag: ${p.tag}\n`;
    case 'helm':
      return `image:\n  repository: ${p.image}\n  tag: ${p.tag}\n`;
    case 'config':
      return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\ndata:\n  note: ${p.note}\n`;
    case 'broken':
      return `image: ${p.image}:1.0.0\n  nginx: [unclosed\n`;
  }
}

const file = fc.record({
  name: fc.constantFrom('a/x.yaml', 'a/y.yml', 'b/kustomization.yaml', 'b/values.yaml', 'c/z.yaml'),
  // one document (confirmed from what its parse kept) or several (the edited ones re-parsed)
  pieces: fc.oneof(fc.array(piece, { minLength: 1, maxLength: 1 }), fc.array(piece, { minLength: 2, maxLength: 4 })),
  crlf: fc.boolean(),
});

async function repoOf(files: Array<{ name: string; pieces: Piece[]; crlf: boolean }>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'plan-images-'));
  const content: Record<string, string> = { 'flux/policies.yaml': FLUX };
  for (const f of files) {
    const text = f.pieces.map(render).join('---\n');
    content[f.name] = f.crlf ? text.replace(/\n/g, '\r\n') : text;
  }
  for (const [rel, text] of Object.entries(content)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

/** The plain path: each hit parsed as it always was, the planner's steps taken one by
 *  one, each change confirmed by a parse of the whole new text. */
async function plainPlan(repo: RepoFiles) {
  const { policies } = await loadFluxPolicies(repo);
  const editors = imageEditors(policies);
  const hits = (await repo.grep(imageTokens(policies, IMAGE))).filter((rel) => YAML_FILE.test(rel)).sort();
  const writes = new Map<string, string>();
  const edits: Edit[] = [];
  const refs: ImageRef[] = [];
  const skipped: Skipped[] = [];
  for (const rel of hits) {
    let file: ManifestFile;
    try {
      file = parseManifest(rel, await repo.read(rel));
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      skipped.push({ file: rel, code: err.code, reason: err.message });
      continue;
    }
    try {
      const changes: Change[] = [];
      const found = editors.flatMap((editor) => (editor.screen(file.text, IMAGE) ? editor.find(file, IMAGE).map((ref) => ({ ref, editor })) : []));
      for (const { ref, editor } of found) {
        refs.push(ref);
        try {
          const change = editor.set(file, ref, { tag: TAG });
          if (change) changes.push(followAliases(file, change, ref, editors).change);
        } catch (err) {
          if (!(err instanceof BotError)) throw err;
          skipped.push({ file: ref.file, object: ref.object, field: ref.field, code: err.code, reason: err.message });
        }
      }
      if (changes.length === 0) continue;
      writes.set(rel, applyAndConfirm(file, changes));
      edits.push(...changes.map((c) => c.edit));
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      skipped.push({ file: rel, code: err.code, reason: err.message });
    }
  }
  return { writes, edits, refs, skipped };
}

const byFile = (s: Skipped[]) => s.map((x) => `${x.file} ${x.field ?? ''} ${x.code}`).sort();

describe('planImages over generated repos', () => {
  it('plans what the plain path plans, byte for byte', async () => {
    const before = confirmCounters.kept;
    let written = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(file, { minLength: 1, maxLength: 6, selector: (f) => f.name }), async (files) => {
        const dir = await repoOf(files);
        try {
          const repo = directoryFiles(dir);
          const want = await plainPlan(repo);
          const got = await planImages(directoryFiles(dir), { image: IMAGE, tag: TAG });
          expect([...got.writes]).toEqual([...want.writes]);
          expect(got.edits).toEqual(want.edits);
          expect(got.refs).toEqual(want.refs);
          expect(byFile(got.skipped)).toEqual(byFile(want.skipped));
          written += got.writes.size;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 80 },
    );
    // not vacuous: files were written, most of them confirmed from what their parse kept
    expect(written).toBeGreaterThan(20);
    expect(confirmCounters.kept - before).toBeGreaterThan(8);
  }, 60_000);

  it('reports what it cannot parse or may not change as the plain path does', async () => {
    const dir = await repoOf([]);
    try {
      // an anchored image aliased where it may not move, and a file that does not parse
      await writeFile(path.join(dir, 'a.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: &img ${IMAGE}:1.0.0\n  initContainers:\n    - name: i\n      image: *img\n      args: [*img]\n`);
      await writeFile(path.join(dir, 'b.yaml'), `image: ${IMAGE}:1.0.0\n  nginx: [unclosed\n`);
      await writeFile(path.join(dir, 'c.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  containers:\n    - name: c\n      image: ${IMAGE}:1.0.0\n`);
      const got = await planImages(directoryFiles(dir), { image: IMAGE, tag: TAG });
      const want = await plainPlan(directoryFiles(dir));
      expect([...got.writes.keys()]).toEqual(['c.yaml']);
      expect(got.skipped.map((s) => `${s.file} ${s.code}`)).toEqual(['a.yaml EDIT_ANCHORED', 'b.yaml PARSE_YAML']);
      expect(byFile(got.skipped)).toEqual(byFile(want.skipped));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
