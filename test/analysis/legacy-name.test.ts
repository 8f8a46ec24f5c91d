// The 2018 Istio drafts' `destination: {name: …}`: the editor moves its weights, so
// analysis reads it the same way and says once what it is, instead of one opaque schema
// error per destination.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analysis/analyze.ts';
import { validateRepo } from '../../src/analysis/validate.ts';
import { memoryFiles, yaml } from './memory.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/editors/traffic/istio-2018-name/expected/reviews.yaml');
const VS = 'mesh/reviews.yaml';
const SERVICE = yaml('apiVersion: v1', 'kind: Service', 'metadata:', '  name: reviews', 'spec:', '  selector:', '    app: reviews');
const RULE = yaml('apiVersion: networking.istio.io/v1alpha3', 'kind: DestinationRule', 'metadata:', '  name: reviews', 'spec:', '  host: reviews', '  subsets:', '    - name: v1', '      labels:', '        version: v1', '    - name: v2', '      labels:', '        version: v2');
const pods = (v: string) => yaml('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: reviews-${v}`, 'spec:', '  selector:', '    matchLabels:', '      app: reviews', '  template:', '    metadata:', '      labels:', '        app: reviews', `        version: ${v}`, '    spec:', '      containers:', '        - name: reviews', `          image: istio/reviews:${v}`);

describe('the 2018 destination.name spelling', () => {
  const text = readFileSync(FIXTURE, 'utf8');

  it('is one warning at the first such destination, not a schema error per destination', async () => {
    const findings = await analyzeFiles(memoryFiles({ [VS]: text, 'svc.yaml': SERVICE, 'dr.yaml': RULE, 'v1.yaml': pods('v1'), 'v2.yaml': pods('v2') }), [VS]);
    expect(findings).toEqual([
      {
        severity: 'warning',
        code: 'ISTIO_DESTINATION_NAME',
        file: VS,
        line: text.split('\n').indexOf('        name: reviews') + 1,
        object: 'VirtualService/reviews',
        field: 'http[0].route[0].destination.name',
        message: 'uses the pre-1.0 `destination.name`; Istio 1.0+ expects `host` (2 destinations)',
      },
    ]);
  });

  it('names the host as the editor reads it: a misspelt subset behind `name` is still found', async () => {
    const typo = text.replace('subset: v2', 'subset: v3');
    const findings = await analyzeFiles(memoryFiles({ [VS]: typo, 'svc.yaml': SERVICE, 'dr.yaml': RULE, 'v1.yaml': pods('v1'), 'v2.yaml': pods('v2') }), [VS]);
    expect(findings.map((f) => `${f.severity} ${f.code} ${f.field}`)).toEqual(['error ISTIO_UNKNOWN_SUBSET http[0].route[1].destination.subset', 'warning ISTIO_DESTINATION_NAME http[0].route[0].destination.name']);
    // a host nowhere in the repo is reported on the `name` field it is written in
    const elsewhere = await analyzeFiles(memoryFiles({ [VS]: text }), [VS]);
    expect(elsewhere.filter((f) => f.code === 'ISTIO_HOST_ELSEWHERE').map((f) => f.field)).toEqual(['http[0].route[0].destination.name', 'http[0].route[1].destination.name']);
  });

  it('validate reports it as a warning and exits clean', async () => {
    const v = await validateRepo('/nonexistent-config-dir', memoryFiles({ [VS]: text, 'svc.yaml': SERVICE, 'dr.yaml': RULE, 'v1.yaml': pods('v1'), 'v2.yaml': pods('v2') }));
    expect(v.findings.map((f) => `${f.severity} ${f.code}`)).toEqual(['warning ISTIO_DESTINATION_NAME']);
  });

  it('a VirtualService that writes host as today is not affected', async () => {
    const modern = text.replace(/name: reviews\n {8}subset/g, 'host: reviews\n        subset');
    const findings = await analyzeFiles(memoryFiles({ [VS]: modern, 'svc.yaml': SERVICE, 'dr.yaml': RULE, 'v1.yaml': pods('v1'), 'v2.yaml': pods('v2') }), [VS]);
    expect(findings).toEqual([]);
  });
});
