import { describe, expect, it } from 'vitest';
import { EditError } from '../../../src/errors.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import { createWorkloadImageEditor, workloadImages } from '../../../src/manifests/workload-images.ts';
import { findRefs, run, SHA_A, SHA_B } from './helpers.ts';

const deployment = (image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ${image}${extra}
          ports:
            - containerPort: 9898
`;

describe('workload-images: finding', () => {
  it('reports a Deployment container with its field label and parts', () => {
    const refs = findRefs(workloadImages, 'apps/podinfo.yaml', deployment('ghcr.io/acme/podinfo:0.2.0'), 'ghcr.io/acme/podinfo');
    expect(refs).toHaveLength(1);
    expect(refs[0]).toMatchObject({
      file: 'apps/podinfo.yaml',
      object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'podinfo' },
      field: 'spec.template.spec.containers[podinfo].image',
      docIndex: 0,
      path: ['spec', 'template', 'spec', 'containers', 0, 'image'],
      part: 'ref',
      repository: 'ghcr.io/acme/podinfo',
      tag: '0.2.0',
      editor: 'workload-images',
    });
    expect(refs[0].digest).toBeUndefined();
    expect(deployment('ghcr.io/acme/podinfo:0.2.0').slice(refs[0].offset)).toMatch(/^ghcr\.io\/acme\/podinfo:0\.2\.0\n/);
  });

  it('matches only the wanted repository, with Docker Hub normalisation', () => {
    const text = deployment('nginx:1.25');
    expect(findRefs(workloadImages, 'd.yaml', text, 'docker.io/library/nginx')).toHaveLength(1);
    expect(findRefs(workloadImages, 'd.yaml', text, 'ghcr.io/acme/nginx')).toHaveLength(0);
    expect(findRefs(workloadImages, 'd.yaml', text)).toHaveLength(1);
    expect(workloadImages.screen(text, 'docker.io/library/nginx')).toBe(true);
    expect(workloadImages.screen(text, 'ghcr.io/acme/other')).toBe(false);
  });

  it('finds containers, initContainers and ephemeralContainers of every workload kind', () => {
    const pod = (kind: string, api: string, specPath: string[]) => {
      let body = `containers:\n- name: app\n  image: ghcr.io/acme/podinfo:1\ninitContainers:\n- name: init\n  image: ghcr.io/acme/podinfo:1\nephemeralContainers:\n- name: dbg\n  image: busybox\n`;
      for (const k of [...specPath].reverse()) body = `${k}:\n${body.replace(/^(?=.)/gm, '  ')}`;
      return `apiVersion: ${api}\nkind: ${kind}\nmetadata:\n  name: x\n${body}`;
    };
    const cases: Array<[string, string, string[]]> = [
      ['Pod', 'v1', ['spec']],
      ['Deployment', 'apps/v1', ['spec', 'template', 'spec']],
      ['StatefulSet', 'apps/v1', ['spec', 'template', 'spec']],
      ['DaemonSet', 'apps/v1', ['spec', 'template', 'spec']],
      ['ReplicaSet', 'apps/v1', ['spec', 'template', 'spec']],
      ['ReplicationController', 'v1', ['spec', 'template', 'spec']],
      ['Job', 'batch/v1', ['spec', 'template', 'spec']],
      ['CronJob', 'batch/v1', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
      ['Rollout', 'argoproj.io/v1alpha1', ['spec', 'template', 'spec']],
    ];
    const text = cases.map(([k, a, p]) => pod(k, a, p)).join('---\n');
    const refs = findRefs(workloadImages, 'all.yaml', text, 'ghcr.io/acme/podinfo');
    expect(refs.map((r) => `${r.object.kind} ${r.field}`)).toEqual(
      cases.flatMap(([k, , p]) => [`${k} ${p.join('.')}.containers[app].image`, `${k} ${p.join('.')}.initContainers[init].image`]),
    );
    expect(findRefs(workloadImages, 'all.yaml', text, 'busybox')).toHaveLength(cases.length);
    const out = run(workloadImages, 'all.yaml', text, 'ghcr.io/acme/podinfo', { tag: '2' });
    expect(out.changes).toHaveLength(cases.length * 2);
    expect(out.text).toBe(text.replaceAll('podinfo:1', 'podinfo:2'));
  });

  it('ignores non-workloads, a Rollout from another group, templated images and aliases', () => {
    const text = `kind: ConfigMap
metadata: {name: c}
data:
  image: ghcr.io/acme/podinfo:1
---
apiVersion: example.com/v1
kind: Rollout
metadata: {name: r}
spec: {template: {spec: {containers: [{name: a, image: ghcr.io/acme/podinfo:1}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: t
          image: "\${IMAGE}"
        - name: a
          image: &img ghcr.io/acme/podinfo:1
        - name: b
          image: *img
---
just a string
---
`;
    const refs = findRefs(workloadImages, 'x.yaml', text, 'ghcr.io/acme/podinfo');
    expect(refs.map((r) => r.field)).toEqual(['spec.template.spec.containers[a].image']);
  });

  it('handles kind: List items', () => {
    const text = `apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: one}
    spec: {template: {spec: {containers: [{name: a, image: "ghcr.io/acme/podinfo:1"}]}}}
`;
    const out = run(workloadImages, 'l.yaml', text, 'ghcr.io/acme/podinfo', { tag: '1.1' });
    expect(out.refs[0]).toMatchObject({ object: { kind: 'Deployment', name: 'one' }, path: ['items', 0, 'spec', 'template', 'spec', 'containers', 0, 'image'] });
    expect(out.text).toBe(text.replace('podinfo:1"', 'podinfo:1.1"'));
  });
});

describe('workload-images: setting', () => {
  const image = 'ghcr.io/acme/podinfo';
  it.each([
    ['plain', 'ghcr.io/acme/podinfo:0.2.0', 'ghcr.io/acme/podinfo:0.2.1'],
    ['double-quoted', '"ghcr.io/acme/podinfo:0.2.0"', '"ghcr.io/acme/podinfo:0.2.1"'],
    ['single-quoted', "'ghcr.io/acme/podinfo:0.2.0'", "'ghcr.io/acme/podinfo:0.2.1'"],
    ['no tag', 'ghcr.io/acme/podinfo', 'ghcr.io/acme/podinfo:0.2.1'],
    ['with a comment', 'ghcr.io/acme/podinfo:0.2.0 # pinned by ops', 'ghcr.io/acme/podinfo:0.2.1 # pinned by ops'],
  ])('%s', (_name, before, after) => {
    const out = run(workloadImages, 'd.yaml', deployment(before), image, { tag: '0.2.1' });
    expect(out.text).toBe(deployment(after));
    expect(out.changes[0].edit).toMatchObject({ field: 'spec.template.spec.containers[podinfo].image', new: 'ghcr.io/acme/podinfo:0.2.1' });
  });

  it('handles registries with ports', () => {
    const out = run(workloadImages, 'd.yaml', deployment('localhost:5000/podinfo'), 'localhost:5000/podinfo', { tag: '1.10' });
    expect(out.text).toBe(deployment('localhost:5000/podinfo:1.10'));
    expect(findRefs(workloadImages, 'd.yaml', deployment('registry:5000/podinfo'))[0]).toMatchObject({ repository: 'registry:5000/podinfo' });
  });

  it('returns null when the tag is already set', () => {
    const file = parseManifest('d.yaml', deployment('ghcr.io/acme/podinfo:1'));
    const [ref] = workloadImages.find(file, image);
    expect(workloadImages.set(file, ref, { tag: '1' })).toBeNull();
    expect(workloadImages.set(file, ref, {})).toBeNull();
  });

  it('refuses to move a digest-pinned image without a new digest', () => {
    const text = deployment(`ghcr.io/acme/podinfo:1@${SHA_A}`);
    const file = parseManifest('d.yaml', text);
    const [ref] = workloadImages.find(file, image);
    expect(ref).toMatchObject({ tag: '1', digest: SHA_A });
    let err: unknown;
    try {
      workloadImages.set(file, ref, { tag: '2' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EditError);
    expect((err as EditError).code).toBe('EDIT_DIGEST_PINNED');
    expect((err as EditError).message).toContain('d.yaml:11 Deployment/apps/podinfo spec.template.spec.containers[podinfo].image');
    expect(run(workloadImages, 'd.yaml', text, image, { tag: '2', digest: SHA_B }).text).toBe(deployment(`ghcr.io/acme/podinfo:2@${SHA_B}`));
    expect(run(workloadImages, 'd.yaml', text, image, { digest: SHA_B }).text).toBe(deployment(`ghcr.io/acme/podinfo:1@${SHA_B}`));
    expect(run(workloadImages, 'd.yaml', deployment(`ghcr.io/acme/podinfo@${SHA_A}`), image, { digest: SHA_B }).text).toBe(deployment(`ghcr.io/acme/podinfo@${SHA_B}`));
  });

  it('rejects invalid tags and digests', () => {
    const file = parseManifest('d.yaml', deployment('ghcr.io/acme/podinfo:1'));
    const [ref] = workloadImages.find(file, image);
    expect(() => workloadImages.set(file, ref, { tag: 'bad tag' })).toThrow(expect.objectContaining({ code: 'IMAGE_BAD_TAG' }));
    expect(() => workloadImages.set(file, ref, { digest: 'sha256:1' })).toThrow(expect.objectContaining({ code: 'IMAGE_BAD_DIGEST' }));
  });

  it('detects a stale reference', () => {
    const file = parseManifest('d.yaml', deployment('ghcr.io/acme/podinfo:1'));
    const [ref] = workloadImages.find(file, image);
    expect(() => workloadImages.set(file, { ...ref, offset: ref.offset + 1 }, { tag: '2' })).toThrow(expect.objectContaining({ code: 'EDIT_STALE_REF' }));
  });

  it('keeps CRLF and a missing final newline, in multi-document files', () => {
    const text = `${deployment('ghcr.io/acme/podinfo:1')}---\n${deployment('"ghcr.io/acme/podinfo:1"').trimEnd()}`.replace(/\n/g, '\r\n');
    const out = run(workloadImages, 'd.yaml', text, image, { tag: '2' });
    expect(out.changes.map((c) => c.docIndex)).toEqual([0, 1]);
    expect(out.text).toBe(text.replaceAll('podinfo:1', 'podinfo:2'));
  });
});

describe('workload-images: Flux annotations and markers', () => {
  it('attaches Flux v1 tag filters per container', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  annotations:
    fluxcd.io/tag.podinfo: semver:~0.2
    flux.weave.works/tag.podinfo: semver:~0.2
    filter.fluxcd.io/sidecar: regex:^v1
    fluxcd.io/tag.other: main-*
spec:
  template:
    spec:
      containers:
        - {name: podinfo, image: ghcr.io/acme/podinfo:0.2.0}
        - {name: sidecar, image: ghcr.io/acme/podinfo:0.2.0}
        - {name: plain, image: ghcr.io/acme/podinfo:0.2.0}
`;
    const refs = findRefs(workloadImages, 'd.yaml', text);
    expect(refs.map((r) => r.filter)).toEqual(['semver:~0.2', 'regex:^v1', undefined]);
  });

  it('reports a bad Flux v1 annotation with its location', () => {
    const text = deployment('ghcr.io/acme/podinfo:0.2.0').replace('  namespace: apps\n', '  namespace: apps\n  annotations:\n    fluxcd.io/tag.podinfo: semvar:~1\n');
    let err: unknown;
    try {
      findRefs(workloadImages, 'd.yaml', text);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'POLICY_BAD_FILTER' });
    expect((err as Error).message).toMatch(/^d\.yaml Deployment\/apps\/podinfo metadata\.annotations\.fluxcd\.io\/tag\.podinfo: /);
  });

  it('reports a $imagepolicy marker on the image field as the policy, resolving its filter', () => {
    const text = deployment('ghcr.io/acme/podinfo:0.2.0', ' # {"$imagepolicy": "flux-system:podinfo"}');
    const plain = findRefs(workloadImages, 'd.yaml', text);
    expect(plain[0]).toMatchObject({ policy: 'flux-system:podinfo', editor: 'workload-images' });
    expect(plain[0].filter).toBeUndefined();
    const withPolicies = createWorkloadImageEditor(new Map([['flux-system:podinfo', { repository: 'ghcr.io/acme/podinfo', filter: 'semver:>=0.2.0' }]]));
    expect(findRefs(withPolicies, 'd.yaml', text)[0].filter).toBe('semver:>=0.2.0');
    expect(run(workloadImages, 'd.yaml', text, 'ghcr.io/acme/podinfo', { tag: '0.3.0' }).text).toBe(
      deployment('ghcr.io/acme/podinfo:0.3.0', ' # {"$imagepolicy": "flux-system:podinfo"}'),
    );
  });

  it('rejects a malformed marker with its location', () => {
    const text = deployment('ghcr.io/acme/podinfo:0.2.0', ' # {"$imagepolicy": "podinfo"}');
    expect(() => findRefs(workloadImages, 'd.yaml', text)).toThrow(/^d\.yaml:11 Deployment\/apps\/podinfo spec\.template\.spec\.containers\[podinfo\]\.image: invalid Flux image policy marker/);
  });
});
