// The one call site of schema validation (src/analysis/schemas.ts, its own module): every
// object a change touches is checked against its kind's schema. Findings are placed on
// the line of the field they name, where the object has it.
import { objectLabel } from '../plan.ts';
import { legacyDestinationName } from './istio-legacy-name.ts';
import { validateManifestSchema } from './schemas.ts';
import type { Finding, RepoObject } from './types.ts';

/** The code schemas.ts gives its findings. */
export const SCHEMA_CODE = 'SCHEMA_INVALID';

export async function schemaFindings(o: RepoObject): Promise<Finding[]> {
  const found = await validateManifestSchema(o.value, { file: o.file, line: o.lineAt([]), object: objectLabel(o.ref) });
  return legacyDestinationName(o, found.map((f) => (f.field ? { ...f, line: o.lineAt(pathOf(f.field)) } : f)));
}

/** `spec.containers[0].image` → `['spec', 'containers', 0, 'image']`. */
function pathOf(field: string): (string | number)[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}
