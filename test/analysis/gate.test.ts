// The gate in front of every write, and where its findings show up: the refusal's
// message, the plan's warnings in every rendering, and GitHub annotations.
import { describe, expect, it } from 'vitest';
import { annotation } from '../../src/analysis/annotations.ts';
import { AnalysisError } from '../../src/analysis/error.ts';
import { analysisMode, analyzed, gate } from '../../src/analysis/gate.ts';
import type { Finding } from '../../src/analysis/types.ts';
import { checkOutput, commitBody, parseEditLines, planText, prBody } from '../../src/jobs/render.ts';
import type { Prepare } from '../../src/jobs/run.ts';
import type { Plan } from '../../src/plan.ts';
import { memoryFiles, yaml } from './memory.ts';

const VS = 'vs.yaml';
const route = (subset: string) =>
  yaml('apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata:', '  name: web', '  namespace: shop', 'spec:', '  http:', '    - route:', '        - destination:', '            host: web', `            subset: ${subset}`);
const RULE = yaml('apiVersion: networking.istio.io/v1', 'kind: DestinationRule', 'metadata:', '  name: web', '  namespace: shop', 'spec:', '  host: web', '  subsets:', '    - name: stable');
const plan = (): Plan => ({
  action: 'set-weight',
  title: 'web: weights',
  edits: [{ file: VS, object: { kind: 'VirtualService', namespace: 'shop', name: 'web' }, field: 'spec.http[0].route[0].weight', old: 100, new: 90 }],
  skipped: [],
  trailers: {},
});

describe('the analysis gate', () => {
  it('tells the reader what the plan will write before analyzing it, and nothing for a plan that writes nothing', async () => {
    const told: string[] = [];
    const files = memoryFiles({ [VS]: route('stable'), 'dr.yaml': RULE });
    const read = files.read.bind(files);
    const watched = { ...files, read: (rel: string) => (told.push(`read ${rel}`), read(rel)), willWrite: (w: ReadonlyMap<string, string>) => void told.push(`will write ${[...w.keys()].join(',')}`) };
    await gate(watched, { plan: plan(), writes: new Map([[VS, route('stable')]]) }, 'strict');
    expect(told[0]).toBe('will write vs.yaml');
    expect(told.length).toBeGreaterThan(1);
    told.length = 0;
    await gate(watched, { plan: plan(), writes: new Map() }, 'strict');
    expect(told.filter((t) => t.startsWith('will write'))).toEqual([]);
  });

  it('strict: an error throws ANALYSIS_FAILED listing the findings; nothing is returned to write', async () => {
    const files = memoryFiles({ [VS]: route('stable'), 'dr.yaml': RULE });
    const err = await gate(files, { plan: plan(), writes: new Map([[VS, route('stabel')]]) }, 'strict').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisError);
    expect((err as AnalysisError).code).toBe('ANALYSIS_FAILED');
    expect((err as AnalysisError).message.split('\n')[0]).toBe(
      'vs.yaml:11 VirtualService/shop/web http[0].route[0].destination.subset: subset "stabel" is not defined by DestinationRule shop/web (defines stable) (did you mean "stable"?)',
    );
  });

  it('warn: the change goes through with its errors as warnings, shown wherever the plan is', async () => {
    const files = memoryFiles({ [VS]: route('stable'), 'dr.yaml': RULE });
    const p = await gate(files, { plan: plan(), writes: new Map([[VS, route('stabel')]]) }, 'warn');
    expect(p.plan.warnings?.map((w) => `${w.severity} ${w.code}`)).toEqual(['warning ISTIO_UNKNOWN_SUBSET', 'warning ISTIO_HOST_ELSEWHERE']);
    for (const text of [commitBody(p.plan), prBody(p.plan), checkOutput(p.plan).summary, planText(p.plan)]) expect(text).toContain('subset "stabel" is not defined');
    // warnings in a commit message are not read back as edits (rollbacks parse them)
    expect(parseEditLines(commitBody(p.plan))).toEqual(plan().edits);
  });

  it('wrapping twice analyzes once, with the outer mode; the mode is read defensively', async () => {
    let calls = 0;
    const prepare: Prepare = async () => (calls++, { plan: plan(), writes: new Map<string, string>() });
    const once = analyzed(prepare, 'warn');
    expect(analyzed(once, 'strict')).toBe(once);
    await analyzed(once)(memoryFiles({}));
    expect(calls).toBe(1);
    expect([analysisMode(undefined), analysisMode({}), analysisMode({ analysis: 'warn' }), analysisMode({ analysis: 'bogus' })]).toEqual(['strict', 'strict', 'warn', 'strict']);
  });
});

describe('schema findings of a change', () => {
  const dep = (image: string, extra = '') =>
    yaml('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: api', 'spec:', '  template:', '    spec:', '      containers:', '        - name: api', `          image: ${image}`, extra);
  const edit = { file: 'dep.yaml', object: { kind: 'Deployment', name: 'api' }, field: 'spec.template.spec.containers[api].image', old: 'api:1', new: 'api:2' };
  const p: Plan = { action: 'set-image', title: 'api: 2', edits: [edit], skipped: [], trailers: {} };

  it('a violation the object already had is a warning; one the change brings is an error', async () => {
    const files = memoryFiles({ 'dep.yaml': dep('api:1') });
    const ok = await gate(files, { plan: p, writes: new Map([['dep.yaml', dep('api:2')]]) }, 'strict');
    expect(ok.plan.warnings?.map((w) => `${w.severity} ${w.code} ${w.field}`)).toEqual(['warning SCHEMA_INVALID spec.selector']);
    expect(ok.plan.warnings?.[0].message).toContain('so before this change too');
    const worse = dep('api:2', '          imagePullPolicy: 7');
    await expect(gate(files, { plan: p, writes: new Map([['dep.yaml', worse]]) }, 'strict')).rejects.toThrow(/imagePullPolicy/);
  });
});

describe('GitHub annotations', () => {
  it('escape data and properties as the runner expects', () => {
    const f: Finding = { severity: 'warning', file: 'a,b.yaml', line: 3, object: 'Service/x', field: 'spec', message: '50% of\nrequests', code: 'X' };
    expect(annotation(f, 'config')).toBe('::warning file=config/a%2Cb.yaml,line=3,title=X::Service/x spec: 50%25 of%0Arequests');
  });
});
