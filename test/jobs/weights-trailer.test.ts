// The Weights trailer is what status and rollbacks read back, so it must say what was
// written, also when a rule is rescaled to 100 and the other backends' shares round.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { directoryFiles } from '../../src/manifests/files.ts';
import { planSetWeight } from '../../src/jobs/weights.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: shop }
spec:
  rules:
    - backendRefs:
        - name: web-stable
          port: 80
          weight: 1
        - name: web-legacy
          port: 80
          weight: 1
        - name: web-mobile
          port: 80
          weight: 1
        - name: web-canary
          port: 80
          weight: 0
`;

it('records the weights the rescaled rule holds, not 100 - others - canary', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weights-trailer-'));
  await mkdir(path.join(dir, 'apps'), { recursive: true });
  await writeFile(path.join(dir, 'apps/route.yaml'), ROUTE);
  const config = parseConfig(`apps:
  web:
    image: ghcr.io/acme/web
    source: acme/web
    tracks:
      stable: { filter: "semver:0.1.*", paths: ["apps/route.yaml"] }
      canary: { filter: "semver:0.2.*", paths: ["apps/canary.yaml"] }
    traffic:
      file: apps/route.yaml
      stable: { host: web-stable }
      canary: { host: web-canary }
      steps: [10, 100]
`);
  const p = await planSetWeight(directoryFiles(dir), 'web', config.apps.web, 10);
  const text = p.writes.get('apps/route.yaml')!;
  const weights = [...text.matchAll(/weight: (\d+)/g)].map((m) => Number(m[1]));
  // the other two keep their third, 33.3 % rounded to 33 each; the stable takes the rest
  expect(weights).toEqual([24, 33, 33, 10]);
  // 100 - others (read as 67 of the old total) - 10 would say 23
  expect(p.plan.trailers.Weights).toBe('stable=24,canary=10');
  expect(p.plan.trailers['Old-Weights']).toBe('stable=33,canary=0');
});
