// Golden cases: every file under <case>/original goes through every registered image
// editor and the confirm step, and must come out byte for byte as <case>/expected.
// References an editor refuses (a pinned digest, an anchored value) are listed in the
// case's `refused` with their error code; the aliases an anchored change carries are
// listed after it in `edits`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BotError } from '../../../src/errors.ts';
import { decodeText, encodeText, type TextEncoding } from '../../../src/repo-io/encoding.ts';
import { collectFluxPolicies } from '../../../src/manifests/flux-policies.ts';
import { followAliases } from '../../../src/manifests/anchored-images.ts';
import { applyAndConfirm, parseManifest } from '../../../src/manifests/parse.ts';
import { imageEditors } from '../../../src/manifests/registry.ts';
import type { Change } from '../../../src/manifests/types.ts';

const ROOT = fileURLToPath(new URL('../../fixtures/editors/images/', import.meta.url));

interface Case {
  image: string;
  tag?: string;
  digest?: string;
  /** `file field` of every change, in file order. */
  edits: string[];
  /** `file field code` of every reference an editor refused. */
  refused?: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('image editor golden cases', () => {
  it('has cases', () => {
    expect(cases).toEqual(expect.arrayContaining(['hazards', 'workloads', 'kustomize', 'flux-markers', 'digest', 'helm-values', 'encodings', 'anchors', 'anchors-helm-tag', 'anchors-refused']));
  });

  it.each(cases)('%s', (name) => {
    const dir = join(ROOT, name);
    const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
    // Files are read and written the way the bot does it (see src/repo-io/encoding.ts),
    // so a case may hold a BOM or bytes that are not UTF-8.
    const encodings = new Map<string, TextEncoding>();
    const originals = walk(join(dir, 'original')).map((p) => {
      const rel = relative(join(dir, 'original'), p).split('\\').join('/');
      const { text, encoding } = decodeText(readFileSync(p));
      encodings.set(rel, encoding);
      return parseManifest(rel, text);
    });
    const expectedFiles = walk(join(dir, 'expected')).map((p) => relative(join(dir, 'expected'), p).split('\\').join('/'));
    expect(expectedFiles).toEqual(originals.map((f) => f.path));
    const policies = collectFluxPolicies(originals);
    const editors = imageEditors(policies);
    const labels: string[] = [];
    const refused: string[] = [];
    for (const file of originals) {
      const changes: Change[] = [];
      for (const editor of editors) {
        const refs = editor.find(file, spec.image);
        // A screen may pass files without matches, but never reject one that has some.
        if (refs.length > 0) expect(editor.screen(file.text, spec.image)).toBe(true);
        for (const ref of refs) {
          try {
            const change = editor.set(file, ref, { tag: spec.tag, digest: spec.digest });
            // as the planner does: an anchored value moves with its vetted aliases
            if (change) changes.push(followAliases(file, change, ref, editors).change);
          } catch (err) {
            if (!(err instanceof BotError)) throw err;
            refused.push(`${file.path} ${ref.field} ${err.code}`);
          }
        }
      }
      changes.sort((a, b) => a.text[0].start - b.text[0].start);
      labels.push(...changes.flatMap((c) => [c.edit, ...(c.aliases ?? []).map((a) => a.edit)]).map((e) => `${file.path} ${e.field}`));
      const out = changes.length > 0 ? applyAndConfirm(file, changes) : file.text;
      expect(encodeText(out, encodings.get(file.path)!)).toEqual(readFileSync(join(dir, 'expected', file.path)));
    }
    expect(labels).toEqual(spec.edits);
    expect(refused).toEqual(spec.refused ?? []);
  });
});
