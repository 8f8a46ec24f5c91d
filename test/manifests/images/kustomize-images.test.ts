import { describe, expect, it } from 'vitest';
import { createKustomizeImageEditor, kustomizeImages } from '../../../src/manifests/kustomize-images.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import { findRefs, run, SHA_A, SHA_B } from './helpers.ts';

const image = 'ghcr.io/acme/podinfo';

describe('kustomize-images', () => {
  it('updates an existing newTag, matching by name', () => {
    const text = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: ghcr.io/acme/other
    newTag: "1.0"
  - name: ghcr.io/acme/podinfo
    newTag: 0.2.0 # bumped by the bot
`;
    const out = run(kustomizeImages, 'apps/podinfo/kustomization.yaml', text, image, { tag: '0.2.1' });
    expect(out.refs).toHaveLength(1);
    expect(out.refs[0]).toMatchObject({
      object: { kind: 'Kustomization' },
      field: 'images[ghcr.io/acme/podinfo].newTag',
      path: ['images', 1, 'newTag'],
      part: 'tag',
      repository: 'ghcr.io/acme/podinfo',
      tag: '0.2.0',
      editor: 'kustomize-images',
    });
    expect(out.changes[0].edit).toMatchObject({ field: 'images[ghcr.io/acme/podinfo].newTag', old: '0.2.0', new: '0.2.1' });
    expect(out.text).toBe(text.replace('0.2.0 #', '0.2.1 #'));
  });

  it('matches by newName when present, not by name', () => {
    const text = `images:
- name: podinfo
  newName: ghcr.io/acme/podinfo
  newTag: '1'
- name: ghcr.io/acme/podinfo
  newName: quay.io/acme/podinfo
`;
    const refs = findRefs(kustomizeImages, 'kustomization.yml', text, image);
    expect(refs.map((r) => r.field)).toEqual(['images[podinfo].newTag']);
    expect(run(kustomizeImages, 'kustomization.yml', text, image, { tag: '1.10' }).text).toBe(text.replace("'1'", "'1.10'"));
    expect(findRefs(kustomizeImages, 'kustomization.yml', text, 'quay.io/acme/podinfo')[0]).toMatchObject({ object: { kind: 'Kustomization', name: '.' } });
  });

  it('inserts newTag after the last key with the entry indentation', () => {
    const text = `kind: Kustomization
images:
    -   name: podinfo
        newName: ghcr.io/acme/podinfo   # moved registries
    -   name: other
`;
    const out = run(kustomizeImages, 'overlays/prod/kustomization.yaml', text, image, { tag: '1.10' });
    expect(out.refs[0]).toMatchObject({ object: { kind: 'Kustomization', name: 'overlays/prod' } });
    expect(out.refs[0].tag).toBeUndefined();
    expect(out.changes[0].edit).toMatchObject({ old: null, new: '1.10' });
    expect(out.text).toBe(text.replace('# moved registries\n', '# moved registries\n        newTag: "1.10"\n'));
  });

  it('inserts with CRLF, at the end of a file without final newline, and into flow maps', () => {
    const crlf = 'images:\r\n  - name: ghcr.io/acme/podinfo\r\n    newName: ghcr.io/acme/podinfo';
    expect(run(kustomizeImages, 'kustomization.yaml', crlf, image, { tag: 'v2' }).text).toBe(`${crlf}\r\n    newTag: v2`);
    const flow = 'images: [{name: ghcr.io/acme/podinfo}, {name: x}]\n';
    expect(run(kustomizeImages, 'kustomization.yaml', flow, image, { tag: '2' }).text).toBe('images: [{name: ghcr.io/acme/podinfo, newTag: "2"}, {name: x}]\n');
  });

  it('updates or inserts a digest and refuses to move a digest-pinned entry by tag alone', () => {
    const pinned = `images:\n  - name: ghcr.io/acme/podinfo\n    newTag: "1"\n    digest: ${SHA_A}\n`;
    const file = parseManifest('kustomization.yaml', pinned);
    const [ref] = kustomizeImages.find(file, image);
    expect(ref).toMatchObject({ tag: '1', digest: SHA_A });
    expect(() => kustomizeImages.set(file, ref, { tag: '2' })).toThrow(expect.objectContaining({ code: 'EDIT_DIGEST_PINNED' }));
    expect(kustomizeImages.set(file, ref, { tag: '1' })).toBeNull();
    const both = run(kustomizeImages, 'kustomization.yaml', pinned, image, { tag: '2', digest: SHA_B });
    expect(both.text).toBe(pinned.replace('"1"', '"2"').replace(SHA_A, SHA_B));
    expect(both.changes[0].edit).toMatchObject({ field: 'images[ghcr.io/acme/podinfo]', old: `1@${SHA_A}`, new: `2@${SHA_B}` });
    const digestOnly = run(kustomizeImages, 'kustomization.yaml', pinned, image, { digest: SHA_B });
    expect(digestOnly.changes[0].edit).toMatchObject({ field: 'images[ghcr.io/acme/podinfo].digest', old: SHA_A, new: SHA_B });
    const bare = 'images:\n  - name: ghcr.io/acme/podinfo\n';
    expect(run(kustomizeImages, 'kustomization.yaml', bare, image, { tag: '2', digest: SHA_B }).text).toBe(`${bare}    newTag: "2"\n    digest: ${SHA_B}\n`);
  });

  it('quotes numeric-looking tags so they stay strings', () => {
    const text = 'images:\n  - name: ghcr.io/acme/podinfo\n    newTag: v1\n';
    for (const tag of ['1.10', '1.', '1.e5', '0x1F', 'true', '10']) {
      const out = run(kustomizeImages, 'kustomization.yaml', text, image, { tag });
      expect(out.text).toBe(text.replace('v1', JSON.stringify(tag)));
    }
  });

  it('reports a numeric plain newTag as written', () => {
    const text = 'images:\n  - name: ghcr.io/acme/podinfo\n    newTag: 1.10\n';
    expect(findRefs(kustomizeImages, 'kustomization.yaml', text)[0].tag).toBe('1.10');
    expect(run(kustomizeImages, 'kustomization.yaml', text, image, { tag: '1.11' }).text).toBe(text.replace('1.10', '"1.11"'));
  });

  it('handles Flux Kustomization spec.images in any file', () => {
    const text = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps
  images:
    - name: ghcr.io/acme/podinfo
      newTag: 0.2.0
`;
    const out = run(kustomizeImages, 'clusters/prod/apps.yaml', text, image, { tag: '0.2.1' });
    expect(out.refs[0]).toMatchObject({ field: 'spec.images[ghcr.io/acme/podinfo].newTag', object: { kind: 'Kustomization', name: 'apps', namespace: 'flux-system' } });
    expect(out.text).toBe(text.replace('0.2.0', '0.2.1'));
  });

  it('ignores images lists outside kustomization files and non-kustomize kinds', () => {
    const text = 'images:\n  - name: ghcr.io/acme/podinfo\n    newTag: "1"\n';
    expect(findRefs(kustomizeImages, 'values.yaml', text)).toEqual([]);
    expect(findRefs(kustomizeImages, 'kustomization.yaml', `apiVersion: example.com/v1\nkind: Thing\n${text}`)).toEqual([]);
    expect(findRefs(kustomizeImages, 'Kustomization', text)).toHaveLength(1);
    expect(kustomizeImages.screen(text, image)).toBe(true);
    expect(kustomizeImages.screen(text, 'ghcr.io/acme/other')).toBe(false);
  });

  it('attaches the marker policy and its filter', () => {
    const text = 'images:\n  - name: ghcr.io/acme/podinfo\n    newTag: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}\n';
    expect(findRefs(kustomizeImages, 'kustomization.yaml', text)[0]).toMatchObject({ policy: 'flux-system:podinfo' });
    const editor = createKustomizeImageEditor(new Map([['flux-system:podinfo', { repository: image, filter: 'semver:~0.2' }]]));
    expect(findRefs(editor, 'kustomization.yaml', text)[0]).toMatchObject({ policy: 'flux-system:podinfo', filter: 'semver:~0.2' });
  });

  it('reports no reference for an entry whose keys hold aliases: it follows its anchor', () => {
    // without this the alias would read as a missing newTag and get a second one inserted
    const text = `images:
  - name: ghcr.io/acme/podinfo
    newTag: &tag 0.2.0
  - name: podinfo
    newTag: *tag
    newName: ghcr.io/acme/podinfo
`;
    expect(findRefs(kustomizeImages, 'kustomization.yaml', text, image).map((r) => r.field)).toEqual(['images[ghcr.io/acme/podinfo].newTag']);
  });

  it('refuses an anchored digest written beside the tag, before the apply step', () => {
    const text = `images:\n  - name: ghcr.io/acme/podinfo\n    newTag: 0.2.0\n    digest: &d ${SHA_A}\nother: *d\n`;
    const file = parseManifest('kustomization.yaml', text);
    const [ref] = kustomizeImages.find(file, image);
    expect(() => kustomizeImages.set(file, ref, { tag: '0.2.1', digest: SHA_B })).toThrow(/value is anchored \(&d\)/);
  });
});
