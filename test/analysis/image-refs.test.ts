// "The changed workloads: the new image reference is well formed": a reference a change
// writes that the kubelet could not pull (InvalidImageName) stops the change, at its field.
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analysis/analyze.ts';
import { AnalysisError } from '../../src/analysis/error.ts';
import { gate } from '../../src/analysis/gate.ts';
import type { Plan } from '../../src/plan.ts';
import { memoryFiles, yaml } from './memory.ts';

const FILE = 'apps/api/dep.yaml';
const deployment = (image: string, sidecar = 'envoyproxy/envoy:v1.30.1', kind = 'Deployment') =>
  yaml(
    'apiVersion: apps/v1',
    `kind: ${kind}`,
    'metadata:',
    '  name: api',
    '  namespace: shop',
    'spec:',
    '  selector:',
    '    matchLabels:',
    '      app: api',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: api',
    '    spec:',
    '      initContainers:',
    '        - name: migrate',
    `          image: ${sidecar}`,
    '      containers:',
    '        - name: api',
    `          image: ${image}`,
  );
const plan = (old: string, next: string): Plan => ({
  action: 'release',
  app: 'api',
  title: 'api: release',
  edits: [{ file: FILE, object: { kind: 'Deployment', namespace: 'shop', name: 'api' }, field: 'spec.template.spec.containers[api].image', old, new: next }],
  skipped: [],
  trailers: {},
});
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('image references of workloads', () => {
  it('well-formed references (registry with port, digest, ${VAR} to be filled in) have no findings', async () => {
    for (const image of ['ghcr.io/acme/api:1.2.3', 'localhost:5000/api:1.0@sha256:' + 'a'.repeat(64), 'nginx', 'ghcr.io/acme/api:${TAG}']) {
      expect(await analyzeFiles(memoryFiles({ [FILE]: deployment(image) }), [FILE])).toEqual([]);
    }
  });

  it('a malformed reference is an error naming the container field on its line', async () => {
    const text = deployment('ghcr.io/acme/api:1.2.3+build.7');
    const findings = await analyzeFiles(memoryFiles({ [FILE]: text }), [FILE]);
    expect(findings).toEqual([
      {
        severity: 'error',
        code: 'IMAGE_REF_INVALID',
        file: FILE,
        line: lineOf(text, '1.2.3+build.7'),
        object: 'Deployment/shop/api',
        field: 'spec.template.spec.containers[0].image',
        message: 'invalid image reference "ghcr.io/acme/api:1.2.3+build.7": invalid tag "1.2.3+build.7"',
      },
    ]);
    // init containers too; CronJobs keep their pods a level deeper
    const init = await analyzeFiles(memoryFiles({ [FILE]: deployment('ghcr.io/acme/api:1', 'Envoy/Proxy:1') }), [FILE]);
    expect(init.map((f) => f.field)).toEqual(['spec.template.spec.initContainers[0].image']);
    const cron = yaml('apiVersion: batch/v1', 'kind: CronJob', 'metadata:', '  name: nightly', 'spec:', '  schedule: "@daily"', '  jobTemplate:', '    spec:', '      template:', '        spec:', '          restartPolicy: Never', '          containers:', '            - name: job', '              image: "acme/job:"');
    expect((await analyzeFiles(memoryFiles({ 'cron.yaml': cron }), ['cron.yaml'])).map((f) => `${f.code} ${f.field}`)).toEqual(['IMAGE_REF_INVALID spec.jobTemplate.spec.template.spec.containers[0].image']);
  });

  it('a change writing a malformed reference is refused; one the object already had only warns', async () => {
    const files = memoryFiles({ [FILE]: deployment('ghcr.io/acme/api:1.2.2') });
    const bad = deployment('ghcr.io/acme/api:1.2.3+build.7');
    const err = await gate(files, { plan: plan('ghcr.io/acme/api:1.2.2', 'ghcr.io/acme/api:1.2.3+build.7'), writes: new Map([[FILE, bad]]) }, 'strict').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisError);
    expect((err as AnalysisError).message).toBe(
      `${FILE}:${lineOf(bad, '+build.7')} Deployment/shop/api spec.template.spec.containers[0].image: invalid image reference "ghcr.io/acme/api:1.2.3+build.7": invalid tag "1.2.3+build.7"`,
    );
    // the init container's reference was broken before: not this image bump's doing
    const before = memoryFiles({ [FILE]: deployment('ghcr.io/acme/api:1.2.2', 'Envoy/Proxy:1') });
    const ok = await gate(before, { plan: plan('ghcr.io/acme/api:1.2.2', 'ghcr.io/acme/api:1.2.3'), writes: new Map([[FILE, deployment('ghcr.io/acme/api:1.2.3', 'Envoy/Proxy:1')]]) }, 'strict');
    expect(ok.plan.warnings?.map((w) => `${w.severity} ${w.code} ${w.field}`)).toEqual(['warning IMAGE_REF_INVALID spec.template.spec.initContainers[0].image']);
    expect(ok.plan.warnings?.[0].message).toContain('so before this change too');
  });
});
