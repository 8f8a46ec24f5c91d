// Anchored image values: edited with their aliases when every alias is an image field
// of the same repository holding the same part, refused (naming the alias) otherwise.
// The golden cases anchors, anchors-helm-tag and anchors-refused show whole files.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BotError } from '../../../src/errors.ts';
import { planImages } from '../../../src/jobs/images.ts';
import { followAliases } from '../../../src/manifests/anchored-images.ts';
import { directoryFiles } from '../../../src/manifests/files.ts';
import { istioVirtualService } from '../../../src/manifests/istio-virtualservice.ts';
import { applyAndConfirm, parseManifest } from '../../../src/manifests/parse.ts';
import { imageEditors } from '../../../src/manifests/registry.ts';
import type { Change, ManifestFile } from '../../../src/manifests/types.ts';

const IMAGE = 'ghcr.io/acme/podinfo';
const editors = imageEditors(new Map());

/** Every change the editors plan for IMAGE in `text`, each passed through followAliases. */
function plan(rel: string, text: string, tag = '6.6.0'): { file: ManifestFile; changes: Change[]; refused: BotError[] } {
  const file = parseManifest(rel, text);
  const changes: Change[] = [];
  const refused: BotError[] = [];
  for (const editor of editors) {
    for (const ref of editor.find(file, IMAGE)) {
      try {
        const change = editor.set(file, ref, { tag });
        if (change) changes.push(followAliases(file, change, ref, editors).change);
      } catch (err) {
        if (!(err instanceof BotError)) throw err;
        refused.push(err);
      }
    }
  }
  return { file, changes, refused };
}

function failure(fn: () => unknown): BotError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BotError) return err;
    throw err;
  }
  throw new Error('expected a BotError');
}

const pod = (containers: string) => `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
${containers}`;

describe('anchored image values', () => {
  it('move with every alias that is an image field of the same repository', () => {
    const text = pod(`    - name: app
      image: &app ghcr.io/acme/podinfo:6.5.0
    - name: sidecar
      image: *app
`);
    const { file, changes, refused } = plan('web.yaml', text);
    expect(refused).toEqual([]);
    expect(changes).toHaveLength(1);
    expect(changes[0].aliases).toEqual([
      {
        path: ['spec', 'containers', 1, 'image'],
        line: 10,
        edit: { file: 'web.yaml', object: { apiVersion: 'v1', kind: 'Pod', name: 'web' }, field: 'spec.containers[sidecar].image(*app)', old: 'ghcr.io/acme/podinfo:6.5.0', new: 'ghcr.io/acme/podinfo:6.6.0' },
      },
    ]);
    const out = applyAndConfirm(file, changes);
    expect(out).toBe(text.replace('&app ghcr.io/acme/podinfo:6.5.0', '&app ghcr.io/acme/podinfo:6.6.0'));
    expect(parseManifest('web.yaml', out).docs[0].value).toMatchObject({ spec: { containers: [{ image: 'ghcr.io/acme/podinfo:6.6.0' }, { image: 'ghcr.io/acme/podinfo:6.6.0' }] } });
  });

  it('stay when an alias is outside any image field, naming its line and path', () => {
    const { refused } = plan(
      'web.yaml',
      pod(`    - name: app
      image: &app ghcr.io/acme/podinfo:6.5.0
      env:
        - name: SELF
          value: *app
`),
    );
    expect(refused.map((e) => [e.code, e.message])).toEqual([
      [
        'EDIT_ANCHORED',
        'web.yaml:8 Pod/web spec.containers[app].image: value is anchored (&app) and its alias at web.yaml:11 (spec.containers[0].env[0].value) is not an image field; edit it by hand',
      ],
    ]);
  });

  it('stay when an alias is an image field of another repository', () => {
    const { refused } = plan(
      'values.yaml',
      `image: { repository: ghcr.io/acme/podinfo, tag: &tag 6.5.0 }
exporter:
  image: { repository: ghcr.io/acme/exporter, tag: *tag }
`,
    );
    expect(refused.map((e) => e.detail)).toEqual([
      'value is anchored (&tag) and its alias at values.yaml:3 (exporter.image.tag) is an image field of ghcr.io/acme/exporter, not ghcr.io/acme/podinfo; edit it by hand',
    ]);
  });

  it('stay when an alias holds another part of the image (a tag anchor used as a whole reference)', () => {
    const { refused } = plan(
      'values.yaml',
      `image:
  repository: ghcr.io/acme/podinfo
  tag: &tag 6.5.0
pinned: *tag # {"$imagepolicy": "apps:podinfo"}
`,
    );
    expect(refused.map((e) => e.detail)).toEqual([
      'value is anchored (&tag) and its alias at values.yaml:4 (pinned) is an image field holding a whole image reference, not a tag; edit it by hand',
    ]);
  });

  it('follow across editors: a kustomize tag aliased as the tag of an inline chart', () => {
    const text = `images:
  - name: ghcr.io/acme/podinfo
    newTag: &tag 6.5.0
helmCharts:
  - name: podinfo
    valuesInline:
      image: { repository: ghcr.io/acme/podinfo, tag: *tag }
`;
    const { file, changes, refused } = plan('kustomization.yaml', text);
    expect(refused).toEqual([]);
    expect(changes.map((c) => [c.edit.field, c.aliases?.map((a) => a.edit.field)])).toEqual([['images[ghcr.io/acme/podinfo].newTag', ['helmCharts[0].valuesInline.image.tag(*tag)']]]);
    expect(applyAndConfirm(file, changes)).toBe(text.replace('&tag 6.5.0', '&tag 6.6.0'));
  });

  it('stay when a collection holding the value is aliased, anchored or not', () => {
    const list = (image: string) => `apiVersion: v1
kind: List
items:
  - apiVersion: batch/v1
    kind: Job
    metadata: { name: a }
    spec:
      template: &tpl
        spec:
          containers:
            - name: app
              image: ${image}
  - apiVersion: batch/v1
    kind: Job
    metadata: { name: b }
    spec:
      template: *tpl
`;
    for (const image of ['ghcr.io/acme/podinfo:6.5.0', '&img ghcr.io/acme/podinfo:6.5.0']) {
      const { refused } = plan('jobs.yaml', list(image));
      expect(refused.map((e) => e.detail)).toEqual(['value is part of a collection aliased at jobs.yaml:17 (items[1].spec.template), which copies it outside any image field; edit it by hand']);
      // the apply step refuses it too when nobody asked about the aliases
      const file = parseManifest('jobs.yaml', list(image));
      const [ref] = editors[0].find(file, IMAGE);
      expect(failure(() => applyAndConfirm(file, [editors[0].set(file, ref, { tag: '6.6.0' })!]))).toMatchObject({
        code: 'EDIT_ANCHORED',
        detail: image.startsWith('&') ? 'value is anchored (&img) and may be aliased elsewhere; edit it by hand' : 'value is copied by an alias of a collection holding it at jobs.yaml:17; edit it by hand',
      });
    }
  });

  it('belong to their document: the same anchor name elsewhere in the file is another value', () => {
    const text = `${pod(`    - name: app\n      image: &app ghcr.io/acme/podinfo:6.5.0\n`)}---\n${pod(`    - name: app\n      image: &app ghcr.io/acme/podinfo:6.5.0\n      env: [{ name: SELF, value: *app }]\n`)}`;
    const { file, changes, refused } = plan('two.yaml', text);
    expect(refused.map((e) => e.location.line)).toEqual([17]);
    expect(changes.map((c) => [c.docIndex, c.aliases])).toEqual([[0, []]]);
    expect(applyAndConfirm(file, changes)).toBe(text.replace('6.5.0', '6.6.0'));
    // and an alias cannot reach into an earlier document at all
    expect(() => parseManifest('two.yaml', `a: &x 1\n---\nb: *x\n`)).toThrow(/two\.yaml:3/);
  });

  it('follow the anchor an alias refers to when a name is anchored twice', () => {
    const text = pod(`    - name: old
      image: &img ghcr.io/acme/podinfo:6.5.0
      env: [{ name: SELF, value: *img }]
    - name: new
      image: &img ghcr.io/acme/podinfo:6.5.0
    - name: copy
      image: *img
`);
    const { changes, refused } = plan('web.yaml', text);
    expect(refused.map((e) => e.location.field)).toEqual(['spec.containers[old].image']);
    expect(changes.map((c) => [c.edit.field, c.aliases?.map((a) => a.edit.field)])).toEqual([['spec.containers[new].image', ['spec.containers[copy].image(*img)']]]);
  });

  it('are confirmed: every alias must re-parse to the new value', () => {
    const text = pod(`    - name: app\n      image: &app ghcr.io/acme/podinfo:6.5.0\n    - name: sidecar\n      image: *app\n`);
    const { file, changes } = plan('web.yaml', text);
    // an alias that does not follow the edit (here: a field that is no alias) fails the check
    const [alias] = changes[0].aliases!;
    const forged = { ...changes[0], aliases: [alias, { ...alias, path: ['spec', 'containers', 1, 'name'] }] };
    expect(failure(() => applyAndConfirm(file, [forged]))).toMatchObject({ code: 'EDIT_CONFIRM', detail: 'alias of the edited value re-parsed as "sidecar", expected "ghcr.io/acme/podinfo:6.6.0"' });
    // carrying only some of the aliases is refused before anything is written
    expect(failure(() => applyAndConfirm(file, [{ ...changes[0], aliases: [] }]))).toMatchObject({ code: 'EDIT_ANCHORED', detail: 'value is aliased at web.yaml:10; edit it by hand' });
    // and a change nobody vetted is refused as before
    const { aliases: _, ...unvetted } = changes[0];
    expect(failure(() => applyAndConfirm(file, [unvetted]))).toMatchObject({ code: 'EDIT_ANCHORED', detail: 'value is anchored (&app) and may be aliased elsewhere; edit it by hand' });
  });

  it('leave traffic weights refused when anchored', () => {
    const file = parseManifest(
      'vs.yaml',
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web }
spec:
  hosts: [web]
  http:
    - route:
        - destination: { host: web, subset: ga }
          weight: &w 100
        - destination: { host: web, subset: canary }
          weight: 0
`,
    );
    const { changes } = istioVirtualService.set(file, { stable: { host: 'web', subset: 'ga' }, canary: { host: 'web', subset: 'canary' } }, 10);
    expect(changes.length).toBeGreaterThan(0);
    expect(failure(() => applyAndConfirm(file, changes))).toMatchObject({ code: 'EDIT_ANCHORED', location: { file: 'vs.yaml', line: 9 } });
  });
});

describe('planning an anchored image', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function repo(files: Record<string, string>) {
    dir = await mkdtemp(path.join(tmpdir(), 'anchors-'));
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
    return directoryFiles(dir);
  }

  const text = pod(`    - name: app\n      image: &app ghcr.io/acme/podinfo:6.5.0\n    - name: sidecar\n      image: *app\n`);

  it('lists every alias as an edit of its own', async () => {
    const p = await planImages(await repo({ 'apps/web.yaml': text }), { image: IMAGE, tag: '6.6.0' });
    expect(p.skipped).toEqual([]);
    expect(p.edits.map((e) => `${e.field}: ${e.old} -> ${e.new}`)).toEqual([
      'spec.containers[app].image: ghcr.io/acme/podinfo:6.5.0 -> ghcr.io/acme/podinfo:6.6.0',
      'spec.containers[sidecar].image(*app): ghcr.io/acme/podinfo:6.5.0 -> ghcr.io/acme/podinfo:6.6.0',
    ]);
    expect(p.writes.get('apps/web.yaml')).toBe(text.replace('6.5.0', '6.6.0'));
  });

  it('asks the gate about every alias too', async () => {
    const gate = (ref: { field: string }) => (ref.field.includes('sidecar') ? { ok: false as const, code: 'TAG_FILTERED', reason: 'the sidecar stays on 6.5' } : { ok: true as const });
    const p = await planImages(await repo({ 'apps/web.yaml': text }), { image: IMAGE, tag: '6.6.0', gate });
    expect(p.writes.size).toBe(0);
    expect(p.skipped.map((s) => [s.field, s.code, s.reason])).toEqual([
      ['spec.containers[app].image', 'TAG_FILTERED', 'the anchored value is aliased at spec.containers[sidecar].image, which may not move: the sidecar stays on 6.5'],
    ]);
  });
});
