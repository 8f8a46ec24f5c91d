// The repo as a planned change would leave it: the change's new texts over the files on
// disk. Files are screened with grep and parsed only when they may hold what is asked.
import { hash } from 'node:crypto';
import { YAML_FILE, type RepoFiles } from '../manifests/files.ts';
import { parseManifest, parseManifestAsync } from '../manifests/parse.ts';
import { contentStoreOf, type TreeStore } from '../manifests/tree-store.ts';
import { keepObjects, keptObjectsOf, objectsOfFile, type KeptObject } from '../manifests/indexed-edits.ts';
import type { ManifestDoc, ManifestFile } from '../manifests/types.ts';
import type { RepoObject, RepoView } from './types.ts';

export interface OverlayView extends RepoView {
  /** Every object of one file (parse errors leave it empty: the editors report them). */
  fileObjects(rel: string): Promise<RepoObject[]>;
}

export function overlayView(files: RepoFiles, writes: ReadonlyMap<string, string> = new Map()): OverlayView {
  const parsed = new Map<string, Promise<RepoObject[]>>();
  const content = contentStoreOf(files);
  const read = (rel: string) => (writes.has(rel) ? Promise.resolve(writes.get(rel)!) : files.read(rel));
  const fileObjects = (rel: string) => {
    let p = parsed.get(rel);
    if (!p) {
      // A file that cannot be read or parsed is not this change's problem: the editors
      // report the files they touch, and an unrelated broken file must not block it.
      p = read(rel)
        .then((text) => planned(files.root, rel, text) ?? (content ? keptObjects(content, rel, text) : parsedObjects(files.root, rel, text, writes.has(rel))))
        .catch((): RepoObject[] => []);
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

/** The objects of a text an image plan kept or derived (manifests/indexed-edits.ts): the
 *  texts a change writes are then not parsed again, unless a check asks for a line. */
function planned(root: string, rel: string, text: string): RepoObject[] | undefined {
  const kept = keptObjectsOf(root, rel, text);
  return kept && withLines(kept, rel, text);
}

// A repo's Services and workloads are the same texts from one status to the next: their
// objects are kept by content (see tree-store.ts), and a file is parsed again only when
// a check asks for a line in it.
async function keptObjects(content: TreeStore, rel: string, text: string): Promise<RepoObject[]> {
  const key = `${rel}\0${hash('sha256', text, 'base64')}`;
  let kept = content.get<KeptObject[]>('objects', key);
  if (!kept) {
    let file: ManifestFile | undefined;
    try {
      file = await parseManifestAsync(rel, text);
    } catch {
      // a parse failure is as lasting as the text
    }
    kept = file ? objectsOfFile(file) : [];
    content.set('objects', key, kept);
  }
  return withLines(kept, rel, text);
}

function withLines(kept: readonly KeptObject[], rel: string, text: string): RepoObject[] {
  let file: ManifestFile | undefined;
  return kept.map(({ ref, value, doc, line }) => ({
    file: rel,
    ref,
    value,
    lineAt(path: readonly (string | number)[]) {
      // the object's own line (every schema check asks for it) needs no parse
      if (path.length === 0 && line !== undefined) return line;
      file ??= parseManifest(rel, text);
      return lineIn(file, file.docs[doc], path);
    },
  }));
}

function lineIn(file: ManifestFile, d: ManifestDoc, path: readonly (string | number)[]): number {
  // a missing field is reported on the nearest line that exists
  for (let n = path.length; n > 0; n--) {
    const node = d.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return file.lineOf(node.range[0]);
  }
  return file.lineOf((d.doc.contents?.range?.[0] ?? 0) as number);
}

/** The objects of a text, parsed; a text the change writes keeps them for the plan that
 *  edits it next (manifests/indexed-edits.ts). */
async function parsedObjects(root: string, rel: string, text: string, written: boolean): Promise<RepoObject[]> {
  const file = await parseManifestAsync(rel, text);
  const kept = objectsOfFile(file);
  if (written) keepObjects(root, rel, text, kept);
  return kept.map(({ ref, value, doc }) => ({ file: rel, ref, value, lineAt: (path) => lineIn(file, file.docs[doc], path) }));
}
