// The `images:` transformer of kustomization files (and `spec.images` of Flux
// Kustomizations): `{name, newName?, newTag?, digest?}` entries. A missing `newTag` or
// `digest` is inserted as a new line in the entry, matching its indentation.
import { EditError } from '../errors.ts';
import { objectLabel, type ObjectRef } from '../plan.ts';
import { parseImageRef, validateDigest, validateTag } from '../policy/image.ts';
import { markerAfter, type FluxMarker, type FluxPolicy } from './flux-policies.ts';
import { refuseAnchored } from './parse.ts';
import { eolOf, lineStart, renderScalar } from './text.ts';
import type { ImageEditor, ImageRef, ManifestFile, TextEdit } from './types.ts';
import { imageMatcher, scalarText, screenFor, writeScalar } from './workload-images.ts';
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from './yaml.ts';

type Path = (string | number)[];

const KUSTOMIZATION_FILE = /(?:^|\/)(?:kustomization\.ya?ml|Kustomization)$/;
const FLUX_KUSTOMIZATION_API = /^kustomize\.toolkit\.fluxcd\.io\//;
const KEYS = ['name', 'newName', 'newTag', 'digest'] as const;
type Key = (typeof KEYS)[number];

export interface KustomizeEntry {
  docIndex: number;
  object: ObjectRef;
  /** Path of the entry map, e.g. `['images', 0]`. */
  path: Path;
  /** Readable prefix, e.g. `images[podinfo]`. */
  label: string;
  map: YAMLMap;
  nodes: Partial<Record<Key, Node>>;
  /** A key holds an alias: the entry follows its anchor (anchored-images.ts) and is no
   *  reference of its own. */
  aliased: boolean;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '.' : path.slice(0, i);
}

function imagesPath(file: ManifestFile, docIndex: number): { base: Path; object: ObjectRef } | undefined {
  const o = file.docs[docIndex].object;
  if (o?.kind === 'Kustomization' && o.apiVersion && FLUX_KUSTOMIZATION_API.test(o.apiVersion)) return { base: ['spec', 'images'], object: o };
  if (!KUSTOMIZATION_FILE.test(file.path)) return undefined;
  // kustomize allows a kustomization without apiVersion/kind.
  if (o && o.apiVersion && !o.apiVersion.startsWith('kustomize.config.k8s.io/')) return undefined;
  // Kustomizations rarely carry a name; the directory is what identifies them.
  return { base: ['images'], object: o?.name ? o : { ...o, kind: o?.kind ?? 'Kustomization', name: dirOf(file.path) } };
}

/** Every `images` entry in the file with the scalars it holds, parseable or not. */
export function kustomizeImageEntries(file: ManifestFile): KustomizeEntry[] {
  const out: KustomizeEntry[] = [];
  for (const d of file.docs) {
    const at = imagesPath(file, d.index);
    const seq = at && d.doc.getIn(at.base, true);
    if (!at || !isSeq(seq)) continue;
    seq.items.forEach((item, i) => {
      if (!isMap(item)) return;
      const nodes: KustomizeEntry['nodes'] = {};
      let aliased = false;
      for (const k of KEYS) {
        const n = item.get(k, true);
        if (isScalar(n) && n.range) nodes[k] = n;
        aliased ||= isAlias(n);
      }
      const name = scalarText(nodes.name) ?? String(i);
      out.push({ docIndex: d.index, object: at.object, path: [...at.base, i], label: `${at.base.join('.')}[${name}]`, map: item, nodes, aliased });
    });
  }
  return out;
}

function renderNew(value: string): string {
  const text = renderScalar(value, 'PLAIN', true);
  const back = parseDocument(text);
  return !back.errors.length && isScalar(back.contents) && back.contents.value === value ? text : JSON.stringify(value);
}

/** Text that adds `key: value` lines at the end of the entry map. */
function insertion(file: ManifestFile, entry: KustomizeEntry, pairs: Array<[string, string]>, where: { file: string; field: string }): TextEdit {
  const last = entry.map.items[entry.map.items.length - 1];
  const lastValue = (last?.value ?? last?.key) as Node | undefined;
  const firstKey = entry.map.items[0]?.key as Node | undefined;
  if (!isScalar(lastValue) || !lastValue.range || !firstKey?.range || lastValue.type === 'BLOCK_LITERAL' || lastValue.type === 'BLOCK_FOLDED') {
    throw new EditError('EDIT_LAYOUT', 'cannot add a key after a non-scalar value in this image entry', where);
  }
  const end = lastValue.range[1];
  if (entry.map.flow) {
    return { start: end, end, text: pairs.map(([k, v]) => `, ${k}: ${renderNew(v)}`).join('') };
  }
  const text = file.text;
  const indent = ' '.repeat(firstKey.range[0] - lineStart(text, firstKey.range[0]));
  let at = text.indexOf('\n', end);
  if (at === -1) at = text.length;
  else if (text[at - 1] === '\r') at -= 1;
  const eol = eolOf(text);
  return { start: at, end: at, text: pairs.map(([k, v]) => `${eol}${indent}${k}: ${renderNew(v)}`).join('') };
}

function markerOf(file: ManifestFile, entry: KustomizeEntry): FluxMarker | undefined {
  for (const k of ['newTag', 'newName', 'name', 'digest'] as const) {
    const n = entry.nodes[k];
    if (!n?.range) continue;
    const m = markerAfter(file.text, n.range[1], () => ({ file: file.path, line: file.lineOf(n.range![0]), object: objectLabel(entry.object), field: `${entry.label}.${k}` }));
    if (m) return m;
  }
  return undefined;
}

function entryAt(file: ManifestFile, ref: ImageRef): KustomizeEntry {
  const entry = kustomizeImageEntries(file).find((e) => e.docIndex === ref.docIndex && e.path.join('\0') === ref.path.slice(0, -1).join('\0'));
  const offset = entry && (entry.nodes.newTag?.range?.[0] ?? entry.map.range?.[0]);
  if (!entry || offset !== ref.offset) {
    throw new EditError('EDIT_STALE_REF', 'the image entry is no longer where it was found', { file: ref.file, object: objectLabel(ref.object), field: ref.field });
  }
  return entry;
}

export function createKustomizeImageEditor(policies?: Map<string, FluxPolicy>): ImageEditor {
  return {
    name: 'kustomize-images',
    screen: (text, image) => text.includes('images') && screenFor(text, image),
    find(file, image) {
      const matches = imageMatcher(image);
      const refs: ImageRef[] = [];
      for (const entry of kustomizeImageEntries(file)) {
        if (entry.aliased) continue;
        const repository = scalarText(entry.nodes.newName) ?? scalarText(entry.nodes.name);
        if (repository === undefined) continue;
        try {
          parseImageRef(repository);
        } catch {
          continue;
        }
        if (!matches(repository)) continue;
        const tag = scalarText(entry.nodes.newTag);
        const digest = scalarText(entry.nodes.digest);
        const marker = markerOf(file, entry);
        const filter = marker ? policies?.get(marker.policy)?.filter : undefined;
        refs.push({
          file: file.path,
          object: entry.object,
          field: `${entry.label}.newTag`,
          docIndex: entry.docIndex,
          path: [...entry.path, 'newTag'],
          part: 'tag',
          repository,
          ...(tag !== undefined ? { tag } : {}),
          ...(digest !== undefined ? { digest } : {}),
          ...(filter !== undefined ? { filter } : {}),
          ...(marker ? { policy: marker.policy } : {}),
          editor: 'kustomize-images',
          offset: entry.nodes.newTag?.range?.[0] ?? entry.map.range![0],
        });
      }
      return refs;
    },
    set(file, ref, to) {
      if (to.tag !== undefined) validateTag(to.tag);
      if (to.digest !== undefined) validateDigest(to.digest);
      const entry = entryAt(file, ref);
      const tag = scalarText(entry.nodes.newTag);
      const digest = scalarText(entry.nodes.digest);
      const tagChanges = to.tag !== undefined && to.tag !== tag;
      const digestChanges = to.digest !== undefined && to.digest !== digest;
      if (!tagChanges && !digestChanges) return null;
      const where = { file: file.path, line: file.lineOf(ref.offset), object: objectLabel(ref.object), field: ref.field };
      if (tagChanges && digest !== undefined && !digestChanges && to.digest === undefined) {
        // kustomize renders `newName:newTag@digest`, and the digest wins at pull time.
        throw new EditError('EDIT_DIGEST_PINNED', `${entry.label} is pinned by digest ${digest}; a new digest is needed to move it to tag ${to.tag}`, where);
      }
      // The change's own field may be anchored: the planner vets its aliases
      // (anchored-images.ts). A digest written beside the tag may not.
      if (tagChanges && digestChanges) refuseAnchored(entry.nodes.digest, where);
      const text: TextEdit[] = [];
      const inserts: Array<[string, string]> = [];
      for (const [key, changes, value] of [['newTag', tagChanges, to.tag], ['digest', digestChanges, to.digest]] as const) {
        if (!changes || value === undefined) continue;
        const node = entry.nodes[key];
        if (node) text.push(writeScalar(node, value, { file: file.path, field: `${entry.label}.${key}` }));
        else inserts.push([key, value]);
      }
      if (inserts.length > 0) text.push(insertion(file, entry, inserts, where));
      const key = tagChanges ? 'newTag' : 'digest';
      const both = tagChanges && digestChanges;
      const old = both ? `${tag ?? ''}@${digest ?? ''}` : ((tagChanges ? tag : digest) ?? null);
      const value = (tagChanges ? to.tag : to.digest) as string;
      return {
        edit: { file: file.path, object: ref.object, field: both ? entry.label : `${entry.label}.${key}`, old, new: both ? `${to.tag}@${to.digest}` : value },
        docIndex: ref.docIndex,
        path: [...entry.path, key],
        expect: value,
        text,
      };
    },
  };
}

export const kustomizeImages: ImageEditor = createKustomizeImageEditor();
