// Golden cases for the A/B route and the mirror:
// test/fixtures/editors/traffic-extras/<case>/{case.json, original/, expected/}. Each file
// in original/ is edited with `set(spec, canary, extras)` and the confirm step and must
// equal expected/ byte for byte. A case with extras also runs backwards: the same canary
// weight without extras gives the original bytes again.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyAndConfirm, parseManifest } from '../../../src/manifests/parse.ts';
import { istioVirtualService } from '../../../src/manifests/istio-virtualservice.ts';
import { gatewayHttpRoute } from '../../../src/manifests/gateway-httproute.ts';
import type { TrafficEditor, TrafficExtras, TrafficSpec } from '../../../src/manifests/types.ts';

const root = fileURLToPath(new URL('../../fixtures/editors/traffic-extras/', import.meta.url));
const editors: Record<string, TrafficEditor> = { [istioVirtualService.name]: istioVirtualService, [gatewayHttpRoute.name]: gatewayHttpRoute };

interface Case {
  editor: string;
  spec: TrafficSpec;
  canary: number;
  extras?: TrafficExtras;
}

const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function run(editor: TrafficEditor, path: string, text: string, c: Case, extras: TrafficExtras | undefined): string {
  const file = parseManifest(path, text);
  return applyAndConfirm(file, editor.set(file, c.spec, c.canary, extras).changes);
}

describe('A/B and mirror golden cases', () => {
  it('covers insertion and removal in every API version', () => {
    for (const prefix of ['istio-v1alpha3', 'istio-v1beta1', 'istio-v1-', 'httproute-v1-', 'httproute-v1beta1']) {
      expect(cases.filter((c) => c.startsWith(prefix)).length, prefix).toBeGreaterThanOrEqual(2);
    }
    expect(cases.filter((c) => c.includes('crlf')).length).toBeGreaterThanOrEqual(2);
  });

  for (const name of cases) {
    const cfg = JSON.parse(readFileSync(join(root, name, 'case.json'), 'utf8')) as Case;
    for (const f of readdirSync(join(root, name, 'original')).sort()) {
      it(`${name}/${f}`, () => {
        const editor = editors[cfg.editor];
        expect(editor, `unknown editor ${cfg.editor}`).toBeDefined();
        const original = readFileSync(join(root, name, 'original', f), 'utf8');
        const expected = readFileSync(join(root, name, 'expected', f), 'utf8');
        const path = `${name}/${f}`;
        const out = run(editor, path, original, cfg, cfg.extras);
        expect(out).toBe(expected);
        // It reads back as asked, and asking again changes nothing.
        const again = parseManifest(path, out);
        const state = editor.read(again, cfg.spec);
        expect(state.canary).toBe(cfg.canary);
        expect(state.ab).toEqual(cfg.extras?.ab);
        expect(state.mirror).toEqual(cfg.extras?.mirror);
        expect(editor.set(again, cfg.spec, cfg.canary, cfg.extras).changes).toEqual([]);
        if (cfg.extras) {
          expect(editor.read(parseManifest(path, original), cfg.spec).canary).toBe(cfg.canary);
          expect(run(editor, path, out, cfg, undefined)).toBe(original);
        }
      });
    }
  }
});
