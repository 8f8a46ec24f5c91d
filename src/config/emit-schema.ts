// `npm run schema`: regenerates schema/gitops-canary.schema.json from the zod schema.
// A test fails when the committed file is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigJsonSchema } from './json-schema.ts';

const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema', 'gitops-canary.schema.json');

mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
writeFileSync(SCHEMA_FILE, renderConfigJsonSchema());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
