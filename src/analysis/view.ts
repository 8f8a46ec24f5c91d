// The repo as a planned change would leave it: the change's new texts over the files on
// disk. Files are screened with grep and parsed only when they may hold what is asked.
import { YAML_FILE, type RepoFiles } from '../manifests/files.ts';
import { parseManifestAsync } from '../manifests/parse.ts';
import type { ManifestFile } from '../manifests/types.ts';
import type { RepoObject, RepoView } from './types.ts';

export interface OverlayView extends RepoView {
  /** Every object of one file (parse errors leave it empty: the editors report them). */
  fileObjects(rel: string): Promise<RepoObject[]>;
}

export function overlayView(files: RepoFiles, writes: ReadonlyMap<string, string> = new Map()): OverlayView {
  const parsed = new Map<string, Promise<RepoObject[]>>();
  const read = (rel: string) => (writes.has(rel) ? Promise.resolve(writes.get(rel)!) : files.read(rel));
  const fileObjects = (rel: string) => {
    let p = parsed.get(rel);
    if (!p) {
      // A file that cannot be read or parsed is not this change's problem: the editors
      // report the files they touch, and an unrelated broken file must not block it.
      p = read(rel).then((text) => parseManifestAsync(rel, text)).then(objectsOf, () => []);
      parsed.set(rel, p);
    }
    return p;
  };
  // every destination asks for the Services again: one screen per question and view
  const asked = new Map<string, Promise<RepoObject[]>>();
  const objects = async (kinds: readonly string[], tokens: readonly string[]) => {
    const onDisk = await files.grep([...tokens]);
    const candidates = new Set(onDisk.filter((rel) => YAML_FILE.test(rel) && !writes.has(rel)));
    for (const [rel, text] of writes) if (YAML_FILE.test(rel) && tokens.some((t) => text.includes(t))) candidates.add(rel);
    const all = await Promise.all([...candidates].sort().map(fileObjects));
    return all.flat().filter((o) => kinds.includes(o.ref.kind));
  };
  return {
    fileObjects,
    objects(kinds, tokens) {
      const key = JSON.stringify([kinds, tokens]);
      let p = asked.get(key);
      if (!p) asked.set(key, (p = objects(kinds, tokens)));
      return p;
    },
  };
}

function objectsOf(file: ManifestFile): RepoObject[] {
  const out: RepoObject[] = [];
  for (const d of file.docs) {
    if (!d.object || !d.object.name) continue;
    let value: unknown;
    try {
      value = d.value;
    } catch {
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const start = (d.doc.contents?.range?.[0] ?? 0) as number;
    out.push({
      file: file.path,
      ref: d.object,
      value: value as Record<string, unknown>,
      lineAt(path) {
        // a missing field is reported on the nearest line that exists
        for (let n = path.length; n > 0; n--) {
          const node = d.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
          if (node?.range) return file.lineOf(node.range[0]);
        }
        return file.lineOf(start);
      },
    });
  }
  return out;
}
