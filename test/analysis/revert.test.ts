// Analysis of a rollback: only errors the revert brings refuse it. An error the repo
// already has, and keeps after the revert, is reported as a warning: a rollback is the
// emergency exit and must not be blocked by what it does not break.
import { describe, expect, it } from 'vitest';
import { AnalysisError } from '../../src/analysis/error.ts';
import { analyzeRevert, revertGate } from '../../src/analysis/revert.ts';
import type { Plan } from '../../src/plan.ts';
import { memoryFiles, yaml } from './memory.ts';

const VS = 'apps/podinfo/virtual-service.yaml';
const DR = 'apps/podinfo/destination-rule.yaml';
const SERVICE = yaml('apiVersion: v1', 'kind: Service', 'metadata:', '  name: podinfo', '  namespace: test', 'spec:', '  selector:', '    app: podinfo');
const RULE = yaml('apiVersion: networking.istio.io/v1', 'kind: DestinationRule', 'metadata:', '  name: podinfo', '  namespace: test', 'spec:', '  host: podinfo', '  subsets:', '    - name: ga', '      labels:', '        version: ga', '    - name: canary', '      labels:', '        version: canary');
const deployment = (name: string, version: string) =>
  yaml('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: podinfo-${name}`, '  namespace: test', 'spec:', '  selector:', '    matchLabels:', '      app: podinfo', '  template:', '    metadata:', '      labels:', '        app: podinfo', `        version: ${version}`, '    spec:', '      containers:', '        - name: podinfod', '          image: ghcr.io/example/podinfo:0.1.0');
const route = (ga: number, canary: number, host = 'podinfo') =>
  yaml('apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata:', '  name: podinfo', '  namespace: test', 'spec:', '  hosts:', '    - podinfo', '  http:', '    - route:', '        - destination:', `            host: ${host}`, '            subset: ga', `          weight: ${ga}`, '        - destination:', `            host: ${host}`, '            subset: canary', `          weight: ${canary}`);

/** The repo with the ga pods relabelled by hand (`version: ga2`): the ga subset selects nothing. */
const repo = (ga: number, canary: number) =>
  memoryFiles({ 'apps/podinfo/service.yaml': SERVICE, [DR]: RULE, 'apps/podinfo/ga-dep.yaml': deployment('ga', 'ga2'), 'apps/podinfo/canary-dep.yaml': deployment('canary', 'canary'), [VS]: route(ga, canary) });
const plan: Plan = { action: 'rollback', app: 'podinfo', title: 'podinfo: roll back "weights"', edits: [{ file: VS, object: { kind: 'VirtualService', namespace: 'test', name: 'podinfo' }, field: 'spec.http[0].route[0].weight', old: 0, new: 100 }], skipped: [], trailers: {} };

describe('analysis of a rollback', () => {
  it('an error the revert brings refuses it (strict) or travels as a warning (warn)', async () => {
    // now the ga subset takes no traffic (a warning); the revert would send it all of it
    const files = repo(0, 100);
    const prepared = { plan, writes: new Map([[VS, route(100, 0)]]) };
    const err = await revertGate(files, prepared, [], 'strict').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisError);
    expect((err as AnalysisError).findings.map((f) => `${f.severity} ${f.code} ${f.file} ${f.field}`)).toEqual([`error ISTIO_SUBSET_SELECTS_NOTHING ${DR} subsets[0].labels`]);
    expect((err as AnalysisError).message).toContain('subset "ga" selects no pod');
    const warned = await revertGate(files, prepared, [], 'warn');
    expect(warned.plan.warnings?.map((w) => `${w.severity} ${w.code}`)).toEqual(['warning ISTIO_SUBSET_SELECTS_NOTHING']);
  });

  it('an error the repo already has, and keeps, is a warning: the rollback goes through in strict mode', async () => {
    // the ga subset already takes 80 % and selects nothing: the error is there before the revert
    const files = repo(80, 20);
    const findings = await analyzeRevert(files, { plan, writes: new Map([[VS, route(100, 0)]]) });
    expect(findings.map((f) => `${f.severity} ${f.code}`)).toEqual(['warning ISTIO_SUBSET_SELECTS_NOTHING']);
    expect(findings[0].message).toMatch(/; so before this rollback too \(a rollback is refused only for errors it brings\)$/);
    const passed = await revertGate(files, { plan, writes: new Map([[VS, route(100, 0)]]) }, [], 'strict');
    expect(passed.plan.warnings).toEqual(findings);
  });

  it('files the revert deletes are gone from the repo it analyzes', async () => {
    const entry = yaml('apiVersion: networking.istio.io/v1', 'kind: ServiceEntry', 'metadata:', '  name: external', '  namespace: test', 'spec:', '  hosts:', '    - api.example.com');
    const files = memoryFiles({ 'mesh/entry.yaml': entry, [VS]: route(100, 0, 'api.example.com').replace(/ {12}subset: \w+\n/g, '') });
    const writes = new Map([[VS, route(0, 100, 'api.example.com').replace(/ {12}subset: \w+\n/g, '')]]);
    expect(await analyzeRevert(files, { plan, writes })).toEqual([]);
    const gone = await analyzeRevert(files, { plan, writes }, ['mesh/entry.yaml']);
    expect(gone.map((f) => `${f.severity} ${f.code}`)).toEqual(['warning ISTIO_HOST_ELSEWHERE', 'warning ISTIO_HOST_ELSEWHERE']);
  });
});
