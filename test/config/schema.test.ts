import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/manifests/yaml.ts';
import { configJsonSchema, findAppForImage, findAppsForSource, parseConfig } from '../../src/config/index.ts';
import { renderConfigJsonSchema } from '../../src/config/json-schema.ts';
import { EXAMPLE, MINIMAL } from './example.ts';

const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema', 'gitops-canary.schema.json');

describe('JSON schema', () => {
  it('is in sync with the zod schema (run `npm run schema` when this fails)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderConfigJsonSchema());
  });

  it('validates the example and rejects unknown keys', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(configJsonSchema());
    const ok = validate(parseDocument(EXAMPLE).toJS());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(validate(parseDocument(MINIMAL).toJS())).toBe(true);
    expect(validate(parseDocument(EXAMPLE.replace('    traffic:\n', '    trafic:\n')).toJS())).toBe(false);
    expect(validate(parseDocument(EXAMPLE.replace('delivery: pull-request', 'delivery: email')).toJS())).toBe(false);
    expect(validate(parseDocument(EXAMPLE.replace('  podinfo:', '  PodInfo:')).toJS())).toBe(false);
  });
});

describe('lookups', () => {
  const two = `${EXAMPLE}  other:\n    image: docker.io/library/nginx\n    source: Acme/PodInfo\n    tracks:\n      stable: { filter: "semver:1.*", paths: [x.yaml] }\n`;

  it('finds apps by source, case-insensitively', () => {
    const c = parseConfig(two);
    expect(findAppsForSource(c, 'ACME/podinfo').map((a) => a.name)).toEqual(['podinfo', 'other']);
    expect(findAppsForSource(c, 'acme/other')).toEqual([]);
    expect(findAppsForSource(c, 'acme/podinfo')[0].app).toBe(c.apps.podinfo);
  });

  it('finds an app by image, normalising the repository', () => {
    const c = parseConfig(two);
    expect(findAppForImage(c, 'nginx')?.name).toBe('other');
    expect(findAppForImage(c, 'ghcr.io/acme/podinfo')?.name).toBe('podinfo');
    expect(findAppForImage(c, 'ghcr.io/acme/other')).toBeUndefined();
    expect(findAppForImage(c, 'not a ref')).toBeUndefined();
    expect(parseConfig(MINIMAL).apps.web.image).toBe('ghcr.io/acme/web');
  });
});
