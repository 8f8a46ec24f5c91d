// Refusal cases: test/fixtures/editors/traffic-refusals/<case>/{case.json, original/}.
// Each file in original/ must be refused by `set` with the code and the whole message of
// case.json (file, line, object, field and what to do), and `read` must agree with it.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/manifests/parse.ts';
import { istioVirtualService } from '../../../src/manifests/istio-virtualservice.ts';
import { gatewayHttpRoute } from '../../../src/manifests/gateway-httproute.ts';
import type { TrafficEditor, TrafficSpec } from '../../../src/manifests/types.ts';
import { errorOf } from './helpers.ts';

const root = fileURLToPath(new URL('../../fixtures/editors/traffic-refusals/', import.meta.url));
const editors: Record<string, TrafficEditor> = { [istioVirtualService.name]: istioVirtualService, [gatewayHttpRoute.name]: gatewayHttpRoute };

interface Case {
  editor: string;
  spec: TrafficSpec;
  canary: number;
  code: string;
  message: string;
}

const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('traffic editor refusal cases', () => {
  it('finds the cases', () => {
    expect(cases).toEqual(expect.arrayContaining(['httproute-ambiguous-rules', 'istio-ambiguous-routes', 'httproute-all-zero', 'httproute-no-room']));
  });

  for (const name of cases) {
    const cfg = JSON.parse(readFileSync(join(root, name, 'case.json'), 'utf8')) as Case;
    for (const f of readdirSync(join(root, name, 'original')).sort()) {
      it(`${name}/${f}`, () => {
        const editor = editors[cfg.editor];
        expect(editor, `unknown editor ${cfg.editor}`).toBeDefined();
        const file = parseManifest(`${name}/${f}`, readFileSync(join(root, name, 'original', f), 'utf8'));
        const e = errorOf(() => editor.set(file, cfg.spec, cfg.canary));
        expect(e.code).toBe(cfg.code);
        expect(e.message).toBe(cfg.message);
        // reading refuses the same way, except a share that only the new weight lacks room for
        if (cfg.code !== 'TRAFFIC_WEIGHT_UNAVAILABLE') expect(errorOf(() => editor.read(file, cfg.spec)).code).toBe(cfg.code);
      });
    }
  }
});
