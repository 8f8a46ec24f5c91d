// Golden cases: test/fixtures/editors/traffic/<case>/{case.json, original/, expected/}.
// Each file in original/ is edited with `set` and the confirm step, and must equal the
// file of the same name in expected/ byte for byte.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest, applyAndConfirm } from '../../../src/manifests/parse.ts';
import { decodeText, encodeText } from '../../../src/repo-io/encoding.ts';
import { istioVirtualService } from '../../../src/manifests/istio-virtualservice.ts';
import { gatewayHttpRoute } from '../../../src/manifests/gateway-httproute.ts';
import type { TrafficEditor, TrafficSpec } from '../../../src/manifests/types.ts';

const root = fileURLToPath(new URL('../../fixtures/editors/traffic/', import.meta.url));
const editors: Record<string, TrafficEditor> = { [istioVirtualService.name]: istioVirtualService, [gatewayHttpRoute.name]: gatewayHttpRoute };

interface Case {
  editor: string;
  spec: TrafficSpec;
  canary: number;
}

const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('traffic editor golden cases', () => {
  it('finds the cases, including the hazards ones', () => {
    expect(cases.length).toBeGreaterThanOrEqual(7);
    expect(cases).toContain('hazards-istio');
    expect(cases).toContain('hazards-httproute-eof');
    expect(cases).toContain('encodings-istio');
  });

  for (const name of cases) {
    const cfg = JSON.parse(readFileSync(join(root, name, 'case.json'), 'utf8')) as Case;
    const files = readdirSync(join(root, name, 'original')).sort();
    for (const f of files) {
      it(`${name}/${f}`, () => {
        const editor = editors[cfg.editor];
        expect(editor, `unknown editor ${cfg.editor}`).toBeDefined();
        // read and written the way the bot does it, so a case may hold a BOM or Latin-1 bytes
        const { text: original, encoding } = decodeText(readFileSync(join(root, name, 'original', f)));
        const expected = readFileSync(join(root, name, 'expected', f));
        const path = `${name}/${f}`;
        expect(editor.screen(original)).toBe(true);
        const { changes } = editor.set(parseManifest(path, original), cfg.spec, cfg.canary);
        expect(changes.length).toBeGreaterThan(0);
        const out = applyAndConfirm(parseManifest(path, original), changes);
        expect(encodeText(out, encoding)).toEqual(expected);
        // The result reads back as asked, and asking again changes nothing.
        const again = parseManifest(path, out);
        expect(editor.read(again, cfg.spec)).toMatchObject({ canary: cfg.canary });
        expect(editor.set(again, cfg.spec, cfg.canary).changes).toEqual([]);
      });
    }
  }
});
