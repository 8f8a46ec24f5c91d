import { describe, expect, it } from 'vitest';
import { createFluxMarkerEditor } from '../../../src/manifests/flux-markers.ts';
import { collectFluxPolicies, markerAfter } from '../../../src/manifests/flux-policies.ts';
import { kustomizeImages } from '../../../src/manifests/kustomize-images.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import { workloadImages } from '../../../src/manifests/workload-images.ts';
import { findRefs, run, SHA_A, SHA_B } from './helpers.ts';

const policiesYaml = (api: string) => `apiVersion: image.toolkit.fluxcd.io/${api}
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/acme/podinfo
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/${api}
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: '>=0.2.0 <1.0.0'
`;

describe('collectFluxPolicies', () => {
  it.each(['v1beta1', 'v1beta2', 'v1'])('resolves %s ImagePolicy through its ImageRepository', (api) => {
    const m = collectFluxPolicies([parseManifest('flux/image.yaml', policiesYaml(api))]);
    expect(Object.fromEntries(m)).toEqual({ 'flux-system:podinfo': { repository: 'ghcr.io/acme/podinfo', filter: 'semver:>=0.2.0 <1.0.0' } });
  });

  it('resolves across files and namespaces, with regex filters and defaults', () => {
    const repos = parseManifest(
      'flux/repos.yaml',
      `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: shared, namespace: images}
spec: {image: "registry.example.com:5000/team/app"}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: local}
spec: {image: ghcr.io/acme/local}
`,
    );
    const policies = parseManifest(
      'apps/policies.yaml',
      `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: app, namespace: apps}
spec:
  imageRepositoryRef: {name: shared, namespace: images}
  filterTags: {pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts'}
  policy: {numerical: {order: asc}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: local}
spec:
  imageRepositoryRef: {name: local}
  policy: {alphabetical: {order: asc}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: dangling, namespace: apps}
spec:
  imageRepositoryRef: {name: missing}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: noref, namespace: apps}
spec: {}
---
apiVersion: example.com/v1
kind: ImagePolicy
metadata: {name: other, namespace: apps}
spec: {imageRepositoryRef: {name: shared, namespace: images}}
`,
    );
    expect(Object.fromEntries(collectFluxPolicies([policies, repos]))).toEqual({
      'apps:app': { repository: 'registry.example.com:5000/team/app', filter: 'regex:^main-[a-f0-9]+-(?P<ts>[0-9]+)' },
      'flux-system:local': { repository: 'ghcr.io/acme/local' },
    });
  });
});

describe('markerAfter', () => {
  const at = (line: string) => {
    const text = `${line}\n`;
    return markerAfter(text, text.indexOf('X') + 1, { file: 'f.yaml', line: 1 });
  };
  it('reads each suffix', () => {
    expect(at('k: X # {"$imagepolicy": "flux-system:podinfo"}')).toEqual({ policy: 'flux-system:podinfo', part: 'ref' });
    expect(at('k: X #{"$imagepolicy":"ns:p:tag"}')).toEqual({ policy: 'ns:p', part: 'tag' });
    expect(at('k: X\t# {"$imagepolicy": "ns:p:name"}  ')).toEqual({ policy: 'ns:p', part: 'name' });
    expect(at('k: X # {"$imagepolicy": "ns:p:digest"}\r')).toEqual({ policy: 'ns:p', part: 'digest' });
    expect(at('k: X # a plain comment')).toBeUndefined();
    expect(at('k: X')).toBeUndefined();
    expect(at('k: [X, y] # {"$imagepolicy": "ns:p"}')).toBeUndefined();
  });
  it.each(['{"$imagepolicy": "podinfo"}', '{"$imagepolicy": "ns:p:version"}', '{$imagepolicy: ns:p}', '{"$imagepolicy": 1}'])('rejects %s', (m) => {
    expect(() => at(`k: X # ${m}`)).toThrow(expect.objectContaining({ code: 'FLUX_MARKER_INVALID' }));
  });
});

const policies = new Map([['flux-system:podinfo', { repository: 'ghcr.io/acme/podinfo', filter: 'semver:>=0.2.0' }]]);
const markers = createFluxMarkerEditor(policies);
const image = 'ghcr.io/acme/podinfo';

const helmRelease = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  chart:
    spec:
      chart: podinfo
      version: 6.5.0
  values:
    image:
      repository: ghcr.io/acme/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
      tag: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
    sidecar:
      image: 'ghcr.io/acme/podinfo:0.2.0' # {"$imagepolicy": "flux-system:podinfo"}
    untouched: ghcr.io/acme/podinfo:0.1.0
`;

describe('flux-markers', () => {
  it('edits :tag and whole-ref markers in a HelmRelease, not :name', () => {
    const out = run(markers, 'apps/podinfo/release.yaml', helmRelease, image, { tag: '0.2.1' });
    expect(out.refs.map((r) => [r.field, r.part, r.repository, r.tag, r.filter, r.policy])).toEqual([
      ['spec.values.image.tag', 'tag', image, '0.2.0', 'semver:>=0.2.0', 'flux-system:podinfo'],
      ['spec.values.sidecar.image', 'ref', image, '0.2.0', 'semver:>=0.2.0', 'flux-system:podinfo'],
    ]);
    expect(out.refs[0].object).toEqual({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace: 'apps', name: 'podinfo' });
    expect(out.text).toBe(helmRelease.replace('tag: 0.2.0', 'tag: 0.2.1').replace("'ghcr.io/acme/podinfo:0.2.0'", "'ghcr.io/acme/podinfo:0.2.1'"));
    expect(markers.screen(helmRelease, image)).toBe(true);
    expect(markers.screen('image: ghcr.io/acme/podinfo:1\n', image)).toBe(false);
  });

  it('edits a plain values.yaml with every suffix, in lists and under odd keys', () => {
    const text = `# values for podinfo
image:
  name: ghcr.io/acme/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
  tag: "0.2.0" # {"$imagepolicy": "flux-system:podinfo:tag"}
  digest: ${SHA_A} # {"$imagepolicy": "flux-system:podinfo:digest"}
extra:
  - ghcr.io/acme/podinfo:0.2.0@${SHA_A} # {"$imagepolicy": "flux-system:podinfo"}
"odd.key":
  5: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
`;
    const refs = findRefs(markers, 'charts/podinfo/values.yaml', text, image);
    expect(refs.map((r) => [r.field, r.part])).toEqual([
      ['image.tag', 'tag'],
      ['image.digest', 'digest'],
      ['extra[0]', 'ref'],
      ['["odd.key"][5]', 'tag'],
    ]);
    expect(refs[0].object).toEqual({ kind: 'File', name: 'charts/podinfo/values.yaml' });
    const out = run(markers, 'charts/podinfo/values.yaml', text, image, { tag: '0.3.0', digest: SHA_B });
    expect(out.text).toBe(
      text
        .replace('"0.2.0"', '"0.3.0"')
        .replace(`digest: ${SHA_A}`, `digest: ${SHA_B}`)
        .replace(`podinfo:0.2.0@${SHA_A}`, `podinfo:0.3.0@${SHA_B}`)
        .replace('5: 0.2.0', '5: 0.3.0'),
    );
  });

  it('refuses tag-only moves when the policy also pins a digest', () => {
    const text = `image:
  tag: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
  digest: ${SHA_A} # {"$imagepolicy": "flux-system:podinfo:digest"}
`;
    const file = parseManifest('values.yaml', text);
    const [tagRef, digestRef] = markers.find(file, image);
    expect(() => markers.set(file, tagRef, { tag: '0.3.0' })).toThrow(expect.objectContaining({ code: 'EDIT_DIGEST_PINNED' }));
    expect(() => markers.set(file, digestRef, { tag: '0.3.0' })).toThrow(expect.objectContaining({ code: 'EDIT_DIGEST_PINNED' }));
    expect(markers.set(file, digestRef, { tag: '0.2.0' })).toBeNull();
    expect(markers.set(file, tagRef, { tag: '0.2.0' })).toBeNull();
    expect(markers.set(file, tagRef, { digest: SHA_B })).toBeNull();
  });

  it('takes the repository from a sibling :name marker when the policy is unknown', () => {
    const text = `image:
  repository: ghcr.io/acme/podinfo # {"$imagepolicy": "apps:unknown:name"}
  tag: 1.0.0 # {"$imagepolicy": "apps:unknown:tag"}
orphan: 1.0.0 # {"$imagepolicy": "apps:nowhere:tag"}
whole: ghcr.io/acme/podinfo:1.0.0 # {"$imagepolicy": "apps:nowhere"}
`;
    const refs = findRefs(markers, 'values.yaml', text);
    expect(refs.map((r) => [r.field, r.repository, r.filter])).toEqual([
      ['image.tag', image, undefined],
      ['whole', image, undefined],
    ]);
    expect(findRefs(markers, 'values.yaml', text, 'ghcr.io/acme/other')).toEqual([]);
  });

  it('writes the policy repository into a whole-ref field that names another one', () => {
    const text = 'image: quay.io/old/podinfo:0.1.0 # {"$imagepolicy": "flux-system:podinfo"}\n';
    const out = run(markers, 'values.yaml', text, image, { tag: '0.2.0' });
    expect(out.refs[0].repository).toBe(image);
    expect(out.text).toBe('image: ghcr.io/acme/podinfo:0.2.0 # {"$imagepolicy": "flux-system:podinfo"}\n');
  });

  it('quotes numeric tags in :tag fields and keeps CRLF and a missing final newline', () => {
    const text = 'a: x\r\n---\r\ntag: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}';
    const out = run(markers, 'values.yaml', text, image, { tag: '1.10' });
    expect(out.changes[0]).toMatchObject({ docIndex: 1, path: ['tag'], expect: '1.10' });
    expect(out.text).toBe('a: x\r\n---\r\ntag: "1.10" # {"$imagepolicy": "flux-system:podinfo:tag"}');
  });

  it('leaves container images and kustomize entries to their own editors', () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo}
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/acme/podinfo:0.2.0 # {"$imagepolicy": "flux-system:podinfo"}
          env:
            - name: SIDECAR_TAG
              value: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
`;
    const file = parseManifest('apps/deployment.yaml', deployment);
    const all = [workloadImages, kustomizeImages, markers].flatMap((e) => e.find(file, image).map((r) => `${r.editor} ${r.field}`));
    expect(all).toEqual([
      'workload-images spec.template.spec.containers[podinfo].image',
      'flux-markers spec.template.spec.containers[0].env[0].value',
    ]);
    const kustomization = 'images:\n  - name: ghcr.io/acme/podinfo\n    newTag: 0.2.0 # {"$imagepolicy": "flux-system:podinfo:tag"}\n';
    const kfile = parseManifest('kustomization.yaml', kustomization);
    expect(markers.find(kfile, image)).toEqual([]);
    expect(kustomizeImages.find(kfile, image)).toHaveLength(1);
    // The same text outside a kustomization file is just YAML with a marker.
    expect(markers.find(parseManifest('values.yaml', kustomization), image)).toHaveLength(1);
  });
});
