// Container images of Kubernetes workloads (`image: repo:tag[@digest]`), wherever a kind
// keeps its pod spec. Also home to the scalar helpers the other image editors share.
import { EditError } from '../errors.ts';
import { objectLabel, type ObjectRef } from '../plan.ts';
import { fluxV1Filters } from '../policy/flux-v1.ts';
import { formatImageRef, parseImageRef, sameRepository, validateDigest, validateTag, repositoryBaseName } from '../policy/image.ts';
import { markerAfter, type FluxMarker, type FluxPolicy } from './flux-policies.ts';
import { replaceScalar } from './text.ts';
import type { Change, ImageEditor, ImageRef, ManifestDoc, ManifestFile, TextEdit } from './types.ts';
import { isMap, isScalar, isSeq, nodeIn, parseDocument, PAUSE, readsAsNodes, toEnd, type Node, type ParsedDocument, type Pause } from './yaml.ts';

type Path = (string | number)[];

const TEMPLATE = ['spec', 'template', 'spec'];
const POD_SPEC: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: TEMPLATE,
  StatefulSet: TEMPLATE,
  DaemonSet: TEMPLATE,
  ReplicaSet: TEMPLATE,
  ReplicationController: TEMPLATE,
  Job: TEMPLATE,
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

function podSpecPath(o: ObjectRef): string[] | undefined {
  if (o.kind === 'Rollout') return o.apiVersion?.startsWith('argoproj.io/') ? TEMPLATE : undefined;
  return Object.prototype.hasOwnProperty.call(POD_SPEC, o.kind) ? POD_SPEC[o.kind] : undefined;
}

// ---- helpers shared by the image editors -------------------------------------------

/** The scalar's text as a string: plain `1.10` stays `1.10` rather than the number 1.1. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (node.value === null || typeof node.value === 'object') return undefined;
  return node.source ?? String(node.value);
}

/** Like replaceScalar, but never writes a plain scalar that re-reads as something other
 *  than the string (renderScalar misses spellings such as `1.` and `1.e5`). */
export function writeScalar(node: Node, value: string, where: { file: string; field: string }): TextEdit {
  const edit = replaceScalar(node, value, where);
  if (isScalar(node) && node.type === 'PLAIN') {
    const back = parseDocument(edit.text);
    if (back.errors.length > 0 || !isScalar(back.contents) || back.contents.value !== value) return { ...edit, text: JSON.stringify(value) };
  }
  return edit;
}

/** The object an image field belongs to; plain YAML (Helm values) gets a `File` stand-in. */
export function objectOrFile(file: ManifestFile, docIndex: number): ObjectRef {
  return file.docs[docIndex]?.object ?? { kind: 'File', name: file.path };
}

/** Parses `image` (the caller's repository) once, so a bad argument fails loudly. */
export function imageMatcher(image: string | undefined): (repository: string) => boolean {
  if (image === undefined) return () => true;
  const wanted = parseImageRef(image).repository;
  return (repository) => sameRepository(repository, wanted);
}

export function screenFor(text: string, image: string | undefined): boolean {
  return image === undefined || text.includes(repositoryBaseName(image));
}

/** The value a `repo[:tag][@digest]` field takes for `to`, or null when it would not
 *  change. A digest-pinned reference only moves to a new tag when a new digest comes
 *  with it: keeping the old digest would leave the cluster on the old image, and
 *  dropping it silently would unpin a deliberately pinned workload. */
export function nextRef(current: string, to: { tag?: string; digest?: string }, where: { file: string; line: number; object: string; field: string }): string | null {
  if (to.tag !== undefined) validateTag(to.tag);
  if (to.digest !== undefined) validateDigest(to.digest);
  const parts = parseImageRef(current);
  if (parts.digest !== undefined && to.digest === undefined && to.tag !== undefined && to.tag !== parts.tag) {
    throw new EditError('EDIT_DIGEST_PINNED', `${current} is pinned by digest; a new digest is needed to move it to tag ${to.tag}`, where);
  }
  const next = formatImageRef({ repository: parts.repository, tag: to.tag ?? parts.tag, digest: to.digest ?? parts.digest });
  return next === current ? null : next;
}

/** Re-reads the scalar `ref` was found at, failing when the file changed underneath. */
export function nodeAt(file: ManifestFile, ref: ImageRef): Node {
  const node = file.docs[ref.docIndex]?.doc.getIn(ref.path, true) as Node | undefined;
  if (!isScalar(node) || !node.range || node.range[0] !== ref.offset) {
    throw new EditError('EDIT_STALE_REF', 'the image reference is no longer where it was found', {
      file: ref.file,
      object: objectLabel(ref.object),
      field: ref.field,
    });
  }
  return node;
}

export function buildChange(file: ManifestFile, ref: ImageRef, node: Node, old: string | null, value: string, text: TextEdit[] = [writeScalar(node, value, { file: file.path, field: ref.field })]): Change {
  return {
    edit: { file: file.path, object: ref.object, field: ref.field, old, new: value },
    docIndex: ref.docIndex,
    path: ref.path,
    expect: value,
    text,
  };
}

// ---- finding container images ------------------------------------------------------

export interface ImageSite {
  docIndex: number;
  object: ObjectRef;
  path: Path;
  field: string;
  container?: string;
  node: Node;
  annotations: Record<string, string>;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** What sitesOfObject reads of an object: its identity and its annotations. */
interface Head {
  object?: ObjectRef;
  annotations: () => Record<string, string>;
}

function headOfValue(value: Record<string, unknown>): Head {
  const meta = asObject(value.metadata) ?? {};
  const annotations = () => {
    const a = asObject(meta.annotations) ?? {};
    return Object.fromEntries(Object.entries(a).filter((e): e is [string, string] => typeof e[1] === 'string'));
  };
  if (typeof value.kind !== 'string') return { annotations };
  const object = {
    ...(typeof value.apiVersion === 'string' ? { apiVersion: value.apiVersion } : {}),
    kind: value.kind,
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    name: typeof meta.name === 'string' ? meta.name : '',
  };
  return { object, annotations };
}

// The same head read off the nodes, for a document that readsAsNodes: converting every
// document whole just to name it cost more than the rest of finding its images.

/** The value node of `key` as the plain value has it: of duplicate keys the last wins. */
function field(map: unknown, key: string): unknown {
  if (!isMap(map)) return undefined;
  for (let i = map.items.length - 1; i >= 0; i--) {
    const k = map.items[i].key;
    if (isScalar(k) && k.value === key) return map.items[i].value ?? null;
  }
  return undefined;
}

function stringAt(map: unknown, key: string): string | undefined {
  const v = field(map, key);
  return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
}

/** Annotations as the plain value names them, or undefined for a key only a conversion
 *  can name (a collection used as a key). */
function annotationsOfNode(map: unknown): Record<string, string> | undefined {
  if (!isMap(map)) return {};
  const all = new Map<string, string | undefined>();
  for (const { key, value } of map.items) {
    let name: string;
    if (key === null || (isScalar(key) && key.value === null)) name = '';
    else if (isScalar(key) && typeof key.value !== 'object' && typeof key.value !== 'symbol') name = String(key.value);
    else return undefined;
    all.set(name, isScalar(value) && typeof value.value === 'string' ? value.value : undefined);
  }
  return Object.fromEntries([...all].filter((e): e is [string, string] => e[1] !== undefined));
}

function headOfNode(map: unknown, value: () => Record<string, unknown>): Head {
  const meta = field(map, 'metadata');
  const annotations = () => annotationsOfNode(field(meta, 'annotations')) ?? headOfValue(value()).annotations();
  const kind = stringAt(map, 'kind');
  if (kind === undefined) return { annotations };
  const apiVersion = stringAt(map, 'apiVersion');
  const namespace = stringAt(meta, 'namespace');
  const object = {
    ...(apiVersion !== undefined ? { apiVersion } : {}),
    kind,
    ...(namespace !== undefined ? { namespace } : {}),
    name: stringAt(meta, 'name') ?? '',
  };
  return { object, annotations };
}

function sitesOfObject(doc: ParsedDocument, docIndex: number, base: Path, head: Head, out: ImageSite[]): void {
  const object = head.object;
  const spec = object && podSpecPath(object);
  if (!object || !spec) return;
  const annotations = head.annotations();
  const pod = nodeIn(nodeIn(doc.contents, base), spec);
  for (const list of CONTAINER_LISTS) {
    const seq = nodeIn(pod, [list]);
    if (!isSeq(seq)) continue;
    seq.items.forEach((item, i) => {
      if (!isMap(item)) return;
      const node = item.get('image', true);
      if (!isScalar(node) || !node.range) return;
      const container = scalarText(item.get('name', true));
      out.push({
        docIndex,
        object,
        path: [...base, ...spec, list, i, 'image'],
        field: `${spec.join('.')}.${list}[${container ?? i}].image`,
        container,
        node,
        annotations,
      });
    });
  }
}

// Finding the images of a file asks for its sites twice (this editor, and the marker
// editor leaving them to it); a parsed file never changes, so the first answer serves.
const sitesOf = new WeakMap<ManifestFile, ImageSite[]>();

/** Every container `image:` scalar in the file, parseable or not. The Flux marker
 *  editor uses this to leave these fields to this editor. */
export function workloadImageSites(file: ManifestFile): ImageSite[] {
  toEnd(findingSites(file));
  return sitesOf.get(file)!;
}

/** workloadImageSites found ahead, pausing between documents, so that the editor's find
 *  in a file of thousands of documents does not hold the thread in one go. */
export function* findingSites(file: ManifestFile): Generator<Pause, void> {
  if (sitesOf.has(file)) return;
  const out: ImageSite[] = [];
  for (const [i, d] of file.docs.entries()) {
    sitesOfDoc(d, out);
    if ((i & 255) === 255) yield PAUSE;
  }
  sitesOf.set(file, out);
}

function sitesOfDoc(d: ManifestDoc, out: ImageSite[]): void {
  if (readsAsNodes(d.doc)) {
    const root = d.doc.contents;
    if (!isMap(root)) return;
    const items = field(root, 'items');
    if (stringAt(root, 'kind') === 'List' && isSeq(items)) {
      items.items.forEach((item, i) => {
        if (isMap(item)) sitesOfObject(d.doc, d.index, ['items', i], headOfNode(item, () => asObject((d.value as { items: unknown[] }).items[i])!), out);
      });
    } else {
      sitesOfObject(d.doc, d.index, [], headOfNode(root, () => asObject(d.value)!), out);
    }
    return;
  }
  const value = asObject(d.value);
  if (!value) return;
  if (value.kind === 'List' && Array.isArray(value.items)) {
    value.items.forEach((item, i) => {
      const o = asObject(item);
      if (o) sitesOfObject(d.doc, d.index, ['items', i], headOfValue(o), out);
    });
  } else {
    sitesOfObject(d.doc, d.index, [], headOfValue(value), out);
  }
}

export function createWorkloadImageEditor(policies?: Map<string, FluxPolicy>): ImageEditor {
  return {
    name: 'workload-images',
    screen: (text, image) => text.includes('image') && screenFor(text, image),
    find(file, image) {
      const matches = imageMatcher(image);
      const refs: ImageRef[] = [];
      for (const site of workloadImageSites(file)) {
        const written = scalarText(site.node);
        if (written === undefined) continue;
        let parts;
        try {
          parts = parseImageRef(written);
        } catch {
          continue; // templated (`${IMAGE}`) or otherwise not an image reference
        }
        if (!matches(parts.repository)) continue;
        const offset = site.node.range![0];
        const marker: FluxMarker | undefined = markerAfter(file.text, site.node.range![1], () => ({
          file: file.path,
          line: file.lineOf(offset),
          object: objectLabel(site.object),
          field: site.field,
        }));
        const v1 =
          site.container !== undefined
            ? fluxV1Filters(site.annotations, { file: file.path, object: objectLabel(site.object) }).get(site.container)
            : undefined;
        const filter = v1 ?? (marker ? policies?.get(marker.policy)?.filter : undefined);
        refs.push({
          file: file.path,
          object: site.object,
          field: site.field,
          docIndex: site.docIndex,
          path: site.path,
          part: 'ref',
          repository: parts.repository,
          ...(parts.tag !== undefined ? { tag: parts.tag } : {}),
          ...(parts.digest !== undefined ? { digest: parts.digest } : {}),
          ...(filter !== undefined ? { filter } : {}),
          ...(marker ? { policy: marker.policy } : {}),
          editor: 'workload-images',
          offset,
        });
      }
      return refs;
    },
    set(file, ref, to) {
      const node = nodeAt(file, ref);
      const current = scalarText(node) ?? '';
      const where = { file: file.path, line: file.lineOf(ref.offset), object: objectLabel(ref.object), field: ref.field };
      const next = nextRef(current, to, where);
      return next === null ? null : buildChange(file, ref, node, current, next);
    },
  };
}

export const workloadImages: ImageEditor = createWorkloadImageEditor();
