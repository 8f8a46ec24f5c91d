// The analyzers on inline YAML: each finding, where it points, and what stays silent.
import { describe, expect, it } from 'vitest';
import { analyzeChange, analyzeFiles } from '../../src/analysis/analyze.ts';
import { renderFinding, type Finding } from '../../src/analysis/types.ts';
import { memoryFiles, yaml } from './memory.ts';

const SERVICE = yaml('apiVersion: v1', 'kind: Service', 'metadata:', '  name: podinfo', '  namespace: test', 'spec:', '  selector:', '    app: podinfo', '  ports:', '    - name: http', '      port: 9898');
const RULE = yaml(
  'apiVersion: networking.istio.io/v1',
  'kind: DestinationRule',
  'metadata:',
  '  name: podinfo',
  '  namespace: test',
  'spec:',
  '  host: podinfo',
  '  subsets:',
  '    - name: ga',
  '      labels:',
  '        version: ga',
  '    - name: canary',
  '      labels:',
  '        version: canary',
);
const deployment = (version: string, kind = 'Deployment', apiVersion = 'apps/v1') =>
  yaml(`apiVersion: ${apiVersion}`, `kind: ${kind}`, 'metadata:', `  name: podinfo-${version}`, '  namespace: test', 'spec:', '  template:', '    metadata:', '      labels:', '        app: podinfo', `        version: ${version}`, '    spec:', '      containers:', '        - name: podinfod', '          image: ghcr.io/example/podinfo:0.1.0');

/** A VirtualService in `test` routing to (host, subset, weight) destinations. */
function virtualService(dests: Array<[string, string | undefined, number | string | undefined]>, namespace = 'test'): string {
  const lines = ['apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata:', '  name: podinfo', `  namespace: ${namespace}`, 'spec:', '  hosts:', '    - podinfo', '  http:', '    - name: primary', '      route:'];
  for (const [host, subset, weight] of dests) {
    lines.push('        - destination:', `            host: ${host}`);
    if (subset !== undefined) lines.push(`            subset: ${subset}`);
    if (weight !== undefined) lines.push(`          weight: ${weight}`);
  }
  return yaml(...lines);
}

const BASE = {
  'apps/podinfo/service.yaml': SERVICE,
  'apps/podinfo/destination-rule.yaml': RULE,
  'apps/podinfo/ga-dep.yaml': deployment('ga'),
  'apps/podinfo/canary-dep.yaml': deployment('canary'),
};
const VS = 'apps/podinfo/virtual-service.yaml';

async function analyze(files: Record<string, string>, subjects: string[] = [VS]): Promise<Finding[]> {
  return analyzeFiles(memoryFiles(files), subjects);
}

// schema findings have tests of their own (schemas.test.ts); these are the analyzers'
const own = (fs: Finding[]) => fs.filter((f) => f.code !== 'SCHEMA_INVALID');
const codes = (fs: Finding[]) => own(fs).map((f) => `${f.severity} ${f.code}`);

describe('Istio VirtualService destinations', () => {
  it('a route whose hosts and subsets all resolve has no findings', async () => {
    expect(await analyze({ ...BASE, [VS]: virtualService([['podinfo', 'ga', 90], ['podinfo', 'canary', 10]]) })).toEqual([]);
  });

  it('a subset the DestinationRule does not define is an error with the file, line, field and a did-you-mean', async () => {
    const vs = virtualService([['podinfo', 'ga', 80], ['podinfo', 'canary', 0], ['podinfo', 'canry', 20]]);
    const findings = await analyze({ ...BASE, [VS]: vs });
    expect(findings).toHaveLength(1);
    const line = vs.split('\n').findIndex((l) => l.includes('subset: canry')) + 1;
    expect(findings[0]).toMatchObject({ severity: 'error', code: 'ISTIO_UNKNOWN_SUBSET', file: VS, line, object: 'VirtualService/test/podinfo', field: 'http[0].route[2].destination.subset' });
    expect(renderFinding(findings[0])).toBe(
      `${VS}:${line} VirtualService/test/podinfo http[0].route[2].destination.subset: subset "canry" is not defined by DestinationRule test/podinfo (defines ga, canary) (did you mean "canary"?)`,
    );
  });

  it('a DestinationRule in another namespace counts when its host resolves to the same service', async () => {
    const rule = RULE.replace('  namespace: test', '  namespace: mesh-rules').replace('  host: podinfo', '  host: podinfo.test.svc.cluster.local');
    const files = { ...BASE, 'apps/podinfo/destination-rule.yaml': rule, [VS]: virtualService([['podinfo', 'ga', 100], ['podinfo', 'canry', 0]]) };
    const findings = await analyze(files);
    expect(codes(findings)).toEqual(['error ISTIO_UNKNOWN_SUBSET']);
    expect(findings[0].message).toContain('DestinationRule mesh-rules/podinfo');
    // the same short host in the other namespace names another service: not this rule
    const elsewhere = { ...files, 'apps/podinfo/destination-rule.yaml': RULE.replace('  namespace: test', '  namespace: mesh-rules') };
    expect(codes(await analyze(elsewhere))).toEqual(['warning ISTIO_RULE_ELSEWHERE', 'warning ISTIO_RULE_ELSEWHERE']);
  });

  it('short hosts resolve in the VirtualService namespace; FQDNs as written', async () => {
    const fqdn = virtualService([['podinfo.test.svc.cluster.local', 'ga', 100], ['podinfo', 'canary', 0]]);
    expect(await analyze({ ...BASE, [VS]: fqdn })).toEqual([]);
    // `podinfo` written in namespace default is podinfo.default.svc.cluster.local: not in the repo
    const other = await analyze({ ...BASE, [VS]: virtualService([['podinfo', undefined, undefined]], 'default') });
    expect(codes(other)).toEqual(['warning ISTIO_HOST_ELSEWHERE']);
    expect(other[0].message).toContain('"podinfo" (podinfo.default.svc.cluster.local) is not defined in the repo');
  });

  it('a host spelled like a Service of the repo is an error; one the repo does not know is a warning', async () => {
    const typo = await analyze({ ...BASE, [VS]: virtualService([['podinfoo', undefined, undefined]]) });
    expect(codes(typo)).toEqual(['error ISTIO_UNKNOWN_HOST']);
    expect(typo[0].message).toContain('(did you mean "podinfo"?)');
    expect(typo[0].field).toBe('http[0].route[0].destination.host');
    const external = await analyze({ ...BASE, [VS]: virtualService([['payments', undefined, undefined]]) });
    expect(codes(external)).toEqual(['warning ISTIO_HOST_ELSEWHERE']);
  });

  it('ServiceEntry hosts resolve, wildcards included; a near miss of one is a typo', async () => {
    const entry = yaml('apiVersion: networking.istio.io/v1', 'kind: ServiceEntry', 'metadata:', '  name: external', '  namespace: test', 'spec:', '  hosts:', '    - api.example.com', '    - "*.partner.io"');
    const files = { ...BASE, 'mesh/entry.yaml': entry };
    expect(await analyze({ ...files, [VS]: virtualService([['api.example.com', undefined, undefined]]) })).toEqual([]);
    expect(await analyze({ ...files, [VS]: virtualService([['eu.partner.io', undefined, undefined]]) })).toEqual([]);
    const typo = await analyze({ ...files, [VS]: virtualService([['api.exampel.com', undefined, undefined]]) });
    expect(codes(typo)).toEqual(['error ISTIO_UNKNOWN_HOST']);
    expect(typo[0].message).toContain('did you mean "api.example.com"');
  });

  it('a subset whose labels select no pod of the service is an error; no pods in the repo at all is a warning', async () => {
    const rule = RULE.replace('        version: canary', '        version: canry');
    const findings = await analyze({ ...BASE, 'apps/podinfo/destination-rule.yaml': rule, [VS]: virtualService([['podinfo', 'ga', 90], ['podinfo', 'canary', 10]]) });
    expect(codes(findings)).toEqual(['error ISTIO_SUBSET_SELECTS_NOTHING']);
    expect(findings[0]).toMatchObject({ file: 'apps/podinfo/destination-rule.yaml', object: 'DestinationRule/test/podinfo', field: 'subsets[1].labels' });
    expect(findings[0].message).toContain('version=canry');
    expect(findings[0].message).toContain('Deployment/test/podinfo-ga version=ga');
    const noPods = { 'apps/podinfo/service.yaml': SERVICE, 'apps/podinfo/destination-rule.yaml': RULE, [VS]: virtualService([['podinfo', 'ga', 90], ['podinfo', 'canary', 10]]) };
    expect(codes(await analyze(noPods))).toEqual(['warning ISTIO_SUBSET_PODS_ELSEWHERE', 'warning ISTIO_SUBSET_PODS_ELSEWHERE']);
  });

  it('an Argo Rollout is a workload', async () => {
    const files = { ...BASE, 'apps/podinfo/canary-dep.yaml': deployment('canary', 'Rollout', 'argoproj.io/v1alpha1'), [VS]: virtualService([['podinfo', 'ga', 90], ['podinfo', 'canary', 10]]) };
    expect(await analyze(files)).toEqual([]);
  });
});

describe('Istio weights', () => {
  it('weights must be non-negative integers and, with several destinations, add up to more than 0', async () => {
    // proportions since Istio 1.15: 80/10 is 89/11
    expect(codes(await analyze({ ...BASE, [VS]: virtualService([['podinfo', 'ga', 80], ['podinfo', 'canary', 10]]) }))).toEqual([]);
    expect(codes(await analyze({ ...BASE, [VS]: virtualService([['podinfo', 'ga', 0], ['podinfo', 'canary', undefined]]) }))).toEqual(['error ISTIO_WEIGHT_SUM']);
    const range = await analyze({ ...BASE, [VS]: virtualService([['podinfo', 'ga', -1], ['podinfo', 'canary', '"10"']]) });
    expect(codes(range)).toEqual(['error ISTIO_WEIGHT_RANGE', 'error ISTIO_WEIGHT_RANGE']);
    expect(own(range).map((f) => f.field)).toEqual(['http[0].route[0].weight', 'http[0].route[1].weight']);
    // one destination takes everything, with or without a weight
    expect(await analyze({ ...BASE, [VS]: virtualService([['podinfo', 'ga', undefined]]) })).toEqual([]);
  });
});

describe('Gateway API HTTPRoute backends', () => {
  const route = (refs: string[]) =>
    yaml('apiVersion: gateway.networking.k8s.io/v1', 'kind: HTTPRoute', 'metadata:', '  name: podinfo', '  namespace: test', 'spec:', '  parentRefs:', '    - name: gw', '  rules:', '    - backendRefs:', ...refs);
  const RT = 'apps/podinfo/route.yaml';
  const services = {
    'apps/podinfo/svc.yaml': [SERVICE.replace('name: podinfo\n', 'name: podinfo-ga\n'), SERVICE.replace('name: podinfo\n', 'name: podinfo-canary\n')].join('---\n'),
  };

  it('backends that are Services of the repo with the port named pass', async () => {
    const files = { ...services, [RT]: route(['        - name: podinfo-ga', '          port: 9898', '          weight: 90', '        - name: podinfo-canary', '          port: 9898', '          weight: 10']) };
    expect(await analyzeFiles(memoryFiles(files), [RT])).toEqual([]);
  });

  it('a backend without its Service is a warning, a misspelt one an error, a wrong port and a bad weight errors', async () => {
    const files = {
      ...services,
      [RT]: route([
        '        - name: payments',
        '          port: 80',
        '        - name: podinfo-canry',
        '          port: 9898',
        '        - name: podinfo-ga',
        '          port: 8080',
        '          weight: -1',
      ]),
    };
    const findings = own(await analyzeFiles(memoryFiles(files), [RT]));
    expect(findings.map((f) => `${f.severity} ${f.code} ${f.field}`)).toEqual([
      'error GATEWAY_UNKNOWN_BACKEND rules[0].backendRefs[1].name',
      'error GATEWAY_BACKEND_PORT rules[0].backendRefs[2].port',
      'error GATEWAY_WEIGHT rules[0].backendRefs[2].weight',
      'warning GATEWAY_BACKEND_ELSEWHERE rules[0].backendRefs[0].name',
    ]);
    expect(findings[0].message).toBe('backend Service test/podinfo-canry is not in the repo (did you mean "podinfo-canary"?)');
    expect(findings[1].message).toBe('Service/test/podinfo-ga has no port 8080 (ports: 9898)');
  });
});

describe('analysis of a change', () => {
  it('sees the change\'s new text and only the objects it touches', async () => {
    const broken = virtualService([['podinfo', 'nope', 100]]).replace('name: podinfo\n', 'name: unrelated\n');
    const files = memoryFiles({ ...BASE, [VS]: virtualService([['podinfo', 'ga', 100], ['podinfo', 'canary', 0]]), 'apps/other/vs.yaml': broken });
    const writes = new Map([[VS, virtualService([['podinfo', 'ga', 80], ['podinfo', 'canry', 20]])]]);
    const plan = { action: 'set-weight' as const, title: 't', edits: [], skipped: [], trailers: {} };
    const findings = await analyzeChange(files, { plan, writes });
    expect(findings.map((f) => `${f.file} ${f.code}`)).toEqual([`${VS} ISTIO_UNKNOWN_SUBSET`]);
    // nothing written, nothing analyzed
    expect(await analyzeChange(files, { plan, writes: new Map() })).toEqual([]);
    // files were screened before parsing: every lookup went through grep
    expect(files.greps.length).toBeGreaterThan(0);
  });
});

describe('schema validation of touched objects', () => {
  it('a value of the wrong type is an error on its own line', async () => {
    const vs = virtualService([['podinfo', 'ga', 100], ['podinfo', 'canary', 0]]).replace('  hosts:\n    - podinfo\n', '  hosts: podinfo\n');
    const findings = await analyze({ ...BASE, [VS]: vs });
    const schema = findings.filter((f) => f.code === 'SCHEMA_INVALID');
    expect(schema).toHaveLength(1);
    expect(schema[0]).toMatchObject({ severity: 'error', file: VS, line: vs.split('\n').indexOf('  hosts: podinfo') + 1, object: 'VirtualService/test/podinfo', field: 'spec.hosts' });
  });
});
