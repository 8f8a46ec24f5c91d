// The weight checks of the analyzers accept what the traffic editors accept (Gateway API
// proportions, Istio's current validation) and flag what the API server or Istio would
// refuse, or a rule that sends traffic nowhere.
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analysis/analyze.ts';
import type { Finding } from '../../src/analysis/types.ts';
import { memoryFiles, yaml } from './memory.ts';

const own = (fs: Finding[]) => fs.filter((f) => f.code.includes('WEIGHT')).map((f) => `${f.severity} ${f.code} ${f.field}`);

describe('Istio weights per Istio 1.15+ validation', () => {
  const VS = 'apps/web/vs.yaml';
  const vs = (proto: string, weights: (string | undefined)[]) =>
    yaml(
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata: {name: web, namespace: shop}',
      'spec:',
      '  hosts: [web]',
      `  ${proto}:`,
      '  - route:',
      ...weights.flatMap((w, i) => [`    - destination: {host: web-${i}}`, ...(w === undefined ? [] : [`      weight: ${w}`])]),
    );
  const check = async (proto: string, weights: (string | undefined)[]) => own(await analyzeFiles(memoryFiles({ [VS]: vs(proto, weights) }), [VS]));

  it('accepts proportions, weights above 100 and a lone destination of any weight', async () => {
    expect(await check('http', ['9', '1'])).toEqual([]);
    expect(await check('http', ['900', '100', undefined])).toEqual([]);
    expect(await check('http', ['2147483647', '0'])).toEqual([]);
    expect(await check('http', ['0'])).toEqual([]);
    expect(await check('tcp', ['3', '1'])).toEqual([]);
  });

  it('flags negative, non-integer and over-int32 weights, and routes that weigh nothing', async () => {
    expect(await check('http', ['-1', '1'])).toEqual(['error ISTIO_WEIGHT_RANGE http[0].route[0].weight']);
    expect(await check('http', ['10.5', '1'])).toEqual(['error ISTIO_WEIGHT_RANGE http[0].route[0].weight']);
    expect(await check('http', ['2147483648', '1'])).toEqual(['error ISTIO_WEIGHT_RANGE http[0].route[0].weight']);
    expect(await check('http', ['0', '0'])).toEqual(['error ISTIO_WEIGHT_SUM http[0].route']);
    expect(await check('tls', [undefined, undefined])).toEqual(['error ISTIO_WEIGHT_SUM tls[0].route']);
  });
});

describe('Gateway API weights as proportions', () => {
  const RT = 'apps/web/route.yaml';
  const route = (weights: (string | undefined)[]) =>
    yaml(
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: {name: web, namespace: shop}',
      'spec:',
      '  rules:',
      '  - backendRefs:',
      ...weights.flatMap((w, i) => [`    - name: web-${i}`, '      port: 80', ...(w === undefined ? [] : [`      weight: ${w}`])]),
    );
  const check = async (weights: (string | undefined)[]) => own(await analyzeFiles(memoryFiles({ [RT]: route(weights) }), [RT]));

  it('accepts 9/1, 10/0, no weights and a lone backend with weight 1', async () => {
    expect(await check(['9', '1'])).toEqual([]);
    expect(await check(['10', '0'])).toEqual([]);
    expect(await check([undefined, undefined])).toEqual([]);
    expect(await check(['1'])).toEqual([]);
    expect(await check(['1000000', '0', undefined])).toEqual([]);
  });

  it('flags weights the API server refuses, and warns about a rule that weighs nothing', async () => {
    expect(await check(['-1', '1'])).toEqual(['error GATEWAY_WEIGHT rules[0].backendRefs[0].weight']);
    expect(await check(['1000001', '1'])).toEqual(['error GATEWAY_WEIGHT rules[0].backendRefs[0].weight']);
    expect(await check(['0', '0'])).toEqual(['warning GATEWAY_WEIGHT_ZERO rules[0].backendRefs']);
    expect(await check(['0'])).toEqual(['warning GATEWAY_WEIGHT_ZERO rules[0].backendRefs']);
  });
});
