import { describe, expect, it } from 'vitest';
import { EditError } from '../../../src/errors.ts';
import { createHelmValuesEditor } from '../../../src/manifests/helm-values.ts';
import { followAliases } from '../../../src/manifests/anchored-images.ts';
import { applyAndConfirm, parseManifest } from '../../../src/manifests/parse.ts';
import { findRefs, run, SHA_A, SHA_B } from './helpers.ts';

const helm = createHelmValuesEditor();
const image = 'ghcr.io/acme/podinfo';

const appTemplate = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 30m
  values:
    controllers:
      podinfo:
        containers:
          app:
            image:
              repository: ghcr.io/acme/podinfo
              tag: "6.5.0"   # keep quoted
          sidecar:
            image: { repository: ghcr.io/acme/other, tag: 6.5.0 }
`;

describe('helm-values', () => {
  it('finds repository + tag in a HelmRelease and rewrites only the tag bytes', () => {
    const out = run(helm, 'apps/podinfo/release.yaml', appTemplate, image, { tag: '6.6.0' });
    expect(out.refs).toEqual([
      expect.objectContaining({
        object: expect.objectContaining({ kind: 'HelmRelease', namespace: 'apps', name: 'podinfo' }),
        field: 'spec.values.controllers.podinfo.containers.app.image.tag',
        path: ['spec', 'values', 'controllers', 'podinfo', 'containers', 'app', 'image', 'tag'],
        part: 'tag',
        repository: 'ghcr.io/acme/podinfo',
        tag: '6.5.0',
        editor: 'helm-values',
      }),
    ]);
    expect(out.changes[0].edit).toMatchObject({ old: '6.5.0', new: '6.6.0' });
    expect(out.text).toBe(appTemplate.replace('"6.5.0"   # keep', '"6.6.0"   # keep'));
  });

  it('joins registry and repository (bitnami layout) and moves tag and digest together', () => {
    const text = `image:
  registry: docker.io
  repository: bitnami/ghost
  tag: 5.8.0-debian-11-r0
  digest: "${SHA_A}"
`;
    const refs = findRefs(helm, 'charts/ghost/values.yaml', text, 'bitnami/ghost');
    expect(refs).toEqual([expect.objectContaining({ repository: 'docker.io/bitnami/ghost', tag: '5.8.0-debian-11-r0', digest: SHA_A, object: { kind: 'File', name: 'charts/ghost/values.yaml' } })]);
    const file = parseManifest('charts/ghost/values.yaml', text);
    expect(() => helm.set(file, refs[0], { tag: '5.9.0-debian-11-r0' })).toThrow(expect.objectContaining({ code: 'EDIT_DIGEST_PINNED' }));
    const out = run(helm, 'charts/ghost/values.yaml', text, 'docker.io/bitnami/ghost', { tag: '5.9.0-debian-11-r0', digest: SHA_B });
    expect(out.changes[0].edit).toMatchObject({ field: 'image', old: `5.8.0-debian-11-r0@${SHA_A}`, new: `5.9.0-debian-11-r0@${SHA_B}` });
    expect(out.text).toBe(text.replace('5.8.0-debian-11-r0', '5.9.0-debian-11-r0').replace(SHA_A, SHA_B));
  });

  it('keeps a digest pinned inside the tag field (`tag: 1.2.3@sha256:...`)', () => {
    const text = `apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata: { name: podinfo }
spec:
  values:
    image:
      repository: ghcr.io/acme/podinfo
      tag: 6.5.0@${SHA_A}
`;
    const refs = findRefs(helm, 'release.yaml', text, image);
    expect(refs[0]).toMatchObject({ tag: '6.5.0', digest: SHA_A });
    expect(() => helm.set(parseManifest('release.yaml', text), refs[0], { tag: '6.6.0' })).toThrow(expect.objectContaining({ code: 'EDIT_DIGEST_PINNED' }));
    const out = run(helm, 'release.yaml', text, image, { tag: '6.6.0', digest: SHA_B });
    expect(out.changes[0].edit).toMatchObject({ field: 'spec.values.image.tag', old: `6.5.0@${SHA_A}`, new: `6.6.0@${SHA_B}` });
    expect(out.text).toBe(text.replace(`6.5.0@${SHA_A}`, `6.6.0@${SHA_B}`));
  });

  it('pins in the tag field when the values have no digest key', () => {
    const text = 'image:\n  repository: ghcr.io/acme/podinfo\n  tag: 6.5.0\n';
    const out = run(helm, 'values.yaml', text, image, { tag: '6.6.0', digest: SHA_B });
    expect(out.text).toBe(`image:\n  repository: ghcr.io/acme/podinfo\n  tag: 6.6.0@${SHA_B}\n`);
  });

  it('leaves fields with a Flux $imagepolicy marker to the flux-markers editor', () => {
    const text = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: podinfo }
spec:
  values:
    image:
      repository: ghcr.io/acme/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
      tag: 6.5.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
`;
    expect(findRefs(helm, 'release.yaml', text, image)).toEqual([]);
  });

  it('reads Argo CD Application valuesObject, in source and in every sources[] entry', () => {
    const text = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: podinfo, namespace: argocd }
spec:
  source:
    helm:
      valuesObject:
        image: { repository: ghcr.io/acme/podinfo, tag: 6.5.0 }
  sources:
    - repoURL: https://charts.example.com
      helm:
        valuesObject:
          worker:
            image: { repository: ghcr.io/acme/podinfo, tag: 6.4.0 }
`;
    const out = run(helm, 'argocd/podinfo.yaml', text, image, { tag: '6.6.0' });
    expect(out.refs.map((r) => r.field)).toEqual(['spec.source.helm.valuesObject.image.tag', 'spec.sources[0].helm.valuesObject.worker.image.tag']);
    expect(out.text).toBe(text.replace('tag: 6.5.0', 'tag: 6.6.0').replace('tag: 6.4.0', 'tag: 6.6.0'));
  });

  it('reads kustomize helmCharts valuesInline, naming the kustomization by its directory', () => {
    const text = `helmCharts:
  - name: podinfo
    repo: https://charts.example.invalid
    version: 6.5.0
    valuesInline:
      image:
        repository: ghcr.io/acme/podinfo
        tag: 6.5.0
`;
    const out = run(helm, 'overlays/prod/kustomization.yaml', text, image, { tag: '6.6.0' });
    expect(out.refs).toEqual([expect.objectContaining({ object: expect.objectContaining({ kind: 'Kustomization', name: 'overlays/prod' }), field: 'helmCharts[0].valuesInline.image.tag' })]);
    // the chart's own version is not an image tag
    expect(out.text).toBe(text.replace('tag: 6.5.0', 'tag: 6.6.0'));
  });

  it('reads plain values files, but not other YAML without a kind', () => {
    const text = 'image:\n  repository: ghcr.io/acme/podinfo\n  tag: ""\n';
    const refs = findRefs(helm, 'charts/podinfo/values-prod.yaml', text, image);
    // An empty tag is the chart's appVersion: there is no tag to compare with.
    expect(refs).toEqual([expect.objectContaining({ field: 'image.tag', repository: image })]);
    expect(refs[0].tag).toBeUndefined();
    expect(run(helm, 'charts/podinfo/values-prod.yaml', text, image, { tag: '6.6.0' }).text).toBe(text.replace('""', '"6.6.0"'));
    expect(findRefs(helm, 'config/settings.yaml', text, image)).toEqual([]);
  });

  it('matches the repository exactly, not by its last name', () => {
    expect(findRefs(helm, 'apps/podinfo/release.yaml', appTemplate, 'ghcr.io/acme/other').map((r) => r.field)).toEqual(['spec.values.controllers.podinfo.containers.sidecar.image.tag']);
    expect(findRefs(helm, 'apps/podinfo/release.yaml', appTemplate, 'docker.io/acme/podinfo')).toEqual([]);
  });

  it('takes Flux v1 helm-operator filters: chart-image for the top-level image, <name> for <name>.image', () => {
    const text = `apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: ghost
  annotations:
    fluxcd.io/tag.chart-image: glob:3.1.1-debian-9-*
    fluxcd.io/tag.mariadb: semver:~10.3
spec:
  values:
    image: { repository: bitnami/ghost, tag: 3.1.1-debian-9-r0 }
    mariadb:
      image: { repository: bitnami/mariadb, tag: 10.3.20 }
`;
    expect(findRefs(helm, 'releases/ghost.yaml', text, 'bitnami/ghost')[0]).toMatchObject({ filter: 'glob:3.1.1-debian-9-*' });
    expect(findRefs(helm, 'releases/ghost.yaml', text, 'bitnami/mariadb')[0]).toMatchObject({ filter: 'semver:~10.3' });
    // a v2 HelmRelease has no such annotations
    expect(findRefs(helm, 'apps/podinfo/release.yaml', appTemplate, image)[0].filter).toBeUndefined();
  });

  it('refuses an anchored tag aliased outside an image field: the alias would change too', () => {
    const text = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: podinfo }
spec:
  values:
    image: { repository: ghcr.io/acme/podinfo, tag: &tag 6.5.0 }
    worker: { version: *tag }
`;
    const file = parseManifest('release.yaml', text);
    const [ref] = helm.find(file, image);
    const change = helm.set(file, ref, { tag: '6.6.0' })!;
    const failure = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return null;
    };
    // the planner asks about the aliases first (anchored-images.ts) ...
    const err = failure(() => followAliases(file, change, ref, [helm]));
    expect(err).toBeInstanceOf(EditError);
    expect(err).toMatchObject({ code: 'EDIT_ANCHORED', location: { file: 'release.yaml', line: 6, field: 'spec.values.image.tag' } });
    expect((err as EditError).detail).toBe('value is anchored (&tag) and its alias at release.yaml:7 (spec.values.worker.version) is not an image field; edit it by hand');
    // ... and the apply step refuses an anchored value nobody asked about
    expect(failure(() => applyAndConfirm(file, [change]))).toMatchObject({ code: 'EDIT_ANCHORED' });
  });

  it('refuses an anchored digest written beside the tag, leaving the file\'s other references movable', () => {
    const text = `image: { repository: ghcr.io/acme/podinfo, tag: 6.5.0, digest: &d ${SHA_A} }
other: *d
`;
    const file = parseManifest('values.yaml', text);
    const [ref] = helm.find(file, image);
    expect(() => helm.set(file, ref, { tag: '6.6.0', digest: SHA_B })).toThrow(/value is anchored \(&d\)/);
  });

  it('reports no reference for a map whose image keys hold aliases: they follow their anchor', () => {
    const text = `registry: &r ghcr.io
image: { repository: ghcr.io/acme/podinfo, tag: &t 6.5.0 }
worker: { image: { repository: ghcr.io/acme/podinfo, tag: *t } }
mirror: { image: { registry: *r, repository: acme/podinfo, tag: 6.5.0 } }
`;
    expect(findRefs(helm, 'values.yaml', text).map((r) => r.field)).toEqual(['image.tag']);
  });

  it('screens on repository, tag and the image name', () => {
    expect(helm.screen(appTemplate, image)).toBe(true);
    expect(helm.screen(appTemplate, 'ghcr.io/acme/absent')).toBe(false);
    expect(helm.screen('image: ghcr.io/acme/podinfo:1.0\n', image)).toBe(false);
  });
});
