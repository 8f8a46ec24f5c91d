// Helm values that name an image as `repository` + `tag` in one map (with an optional
// `registry` in front and `digest` beside), the layout most charts use (bitnami, the
// bjw-s app-template, the helm create scaffold). Found in a Flux HelmRelease's
// `spec.values` (v2, and v1's helm.fluxcd.io), an Argo CD Application's
// `spec.source(s).helm.valuesObject`, kustomize's `helmCharts[].valuesInline`, and plain
// values files (`values.yaml`, `values-prod.yaml`, ...). Values held as a string
// (Argo CD's `helm.values: |`) are YAML inside a scalar and are not edited.
//
// Fields that carry a Flux `$imagepolicy` marker belong to the flux-markers editor and
// are left to it, so no field is reported twice. Flux v1 HelmReleases name the top-level
// `image` map `chart-image` and `values.<name>.image` `<name>` in their tag annotations.
import { EditError } from '../errors.ts';
import { objectLabel, type ObjectRef } from '../plan.ts';
import { fluxV1Filters } from '../policy/flux-v1.ts';
import { parseImageRef, validateDigest, validateTag } from '../policy/image.ts';
import { pathLabel } from './flux-markers.ts';
import { refuseAnchored } from './parse.ts';
import type { Change, ImageEditor, ImageRef, ManifestFile, TextEdit } from './types.ts';
import { imageMatcher, scalarText, screenFor, writeScalar } from './workload-images.ts';
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type YAMLMap } from './yaml.ts';

type Path = (string | number)[];

const VALUES_FILE = /(?:^|\/)values(?:[-._][^/]*)?\.ya?ml$/;
const KUSTOMIZATION_FILE = /(?:^|\/)(?:kustomization\.ya?ml|Kustomization)$/;
const HELMRELEASE_API = /^(helm\.toolkit\.fluxcd\.io|helm\.fluxcd\.io|flux\.weave\.works)\//;
const FLUX_V1_API = /^(helm\.fluxcd\.io|flux\.weave\.works)\//;
const ARGO_API = /^argoproj\.io\//;
const IMAGE_KEYS = ['registry', 'repository', 'tag', 'digest'];

interface ValuesRoot {
  docIndex: number;
  object: ObjectRef;
  path: Path;
  node: unknown;
  annotations?: Record<string, string>;
  fluxV1: boolean;
}

export interface ValuesImage {
  root: ValuesRoot;
  /** Path of the map holding `repository` and `tag`. */
  path: Path;
  repository: string;
  nodes: { repository: Node; tag: Node; registry?: Node; digest?: Node };
}

function valuesRoots(file: ManifestFile): ValuesRoot[] {
  const roots: ValuesRoot[] = [];
  for (const d of file.docs) {
    const o = d.object;
    // d.value converts the whole document; only the few kinds below need it
    const value = () => d.value as { metadata?: { annotations?: Record<string, string> }; spec?: { sources?: unknown[] }; helmCharts?: unknown } | undefined;
    const add = (path: Path, extra: Partial<ValuesRoot> = {}) => {
      const node = d.doc.getIn(path, true);
      if (isMap(node)) roots.push({ docIndex: d.index, object: o ?? { kind: 'File', name: file.path }, path, node, fluxV1: false, ...extra });
    };
    if (o?.kind === 'HelmRelease' && o.apiVersion && HELMRELEASE_API.test(o.apiVersion)) {
      add(['spec', 'values'], { annotations: value()?.metadata?.annotations, fluxV1: FLUX_V1_API.test(o.apiVersion) });
    } else if (o?.kind === 'Application' && o.apiVersion && ARGO_API.test(o.apiVersion)) {
      add(['spec', 'source', 'helm', 'valuesObject']);
      const sources = value()?.spec?.sources;
      (Array.isArray(sources) ? sources : []).forEach((_s, i) => add(['spec', 'sources', i, 'helm', 'valuesObject']));
    } else if (KUSTOMIZATION_FILE.test(file.path) && (!o?.apiVersion || o.apiVersion.startsWith('kustomize.config.k8s.io/'))) {
      const charts = value()?.helmCharts;
      (Array.isArray(charts) ? charts : []).forEach((_c, i) => add(['helmCharts', i, 'valuesInline'], { object: kustomizationObject(file, o) }));
    } else if (!o && VALUES_FILE.test(file.path)) {
      add([]);
    }
  }
  return roots;
}

// Kustomizations rarely carry a name; the directory identifies them (as in kustomize-images).
function kustomizationObject(file: ManifestFile, o: ObjectRef | undefined): ObjectRef {
  if (o?.name) return o;
  const i = file.path.lastIndexOf('/');
  return { ...o, kind: o?.kind ?? 'Kustomization', name: i === -1 ? '.' : file.path.slice(0, i) };
}

function scalarChild(map: YAMLMap, key: string): Node | undefined {
  const n = map.get(key, true) as Node | undefined;
  return isScalar(n) && n.range ? n : undefined;
}

/** True when a Flux setter marker follows the scalar on its line. */
function marked(text: string, node: Node | undefined): boolean {
  if (!node?.range) return false;
  let eol = text.indexOf('\n', node.range[1]);
  if (eol === -1) eol = text.length;
  return text.slice(node.range[1], eol).includes('$imagepolicy');
}

/** Every `repository` + `tag` map under the file's values, marked ones excluded. */
export function valuesImages(file: ManifestFile): ValuesImage[] {
  const out: ValuesImage[] = [];
  for (const root of valuesRoots(file)) {
    const visit = (node: unknown, path: Path): void => {
      if (isSeq(node)) {
        node.items.forEach((item, i) => visit(item, [...path, i]));
        return;
      }
      if (!isMap(node)) return;
      // a key holding an alias follows its anchor (anchored-images.ts): not a reference
      const aliased = IMAGE_KEYS.some((k) => isAlias(node.get(k, true)));
      const repository = scalarChild(node, 'repository');
      const tag = scalarChild(node, 'tag');
      const registry = scalarChild(node, 'registry');
      const digest = scalarChild(node, 'digest');
      const repo = scalarText(repository);
      const reg = scalarText(registry);
      if (!aliased && repository && tag && repo && scalarText(tag) !== undefined && ![repository, tag, registry, digest].some((n) => marked(file.text, n))) {
        const full = reg ? `${reg.replace(/\/+$/, '')}/${repo}` : repo;
        if (isPlainRepository(full)) out.push({ root, path, repository: full, nodes: { repository, tag, ...(registry ? { registry } : {}), ...(digest ? { digest } : {}) } });
      }
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key) && (typeof pair.key.value === 'string' || typeof pair.key.value === 'number')) visit(pair.value, [...path, pair.key.value]);
      }
    };
    visit(root.node, root.path);
  }
  return out;
}

/** A repository without tag or digest; `repository: nginx:1.25` is some other layout. */
function isPlainRepository(repository: string): boolean {
  try {
    const parts = parseImageRef(repository);
    return parts.tag === undefined && parts.digest === undefined;
  } catch {
    return false;
  }
}

/** Flux v1 helm-operator names: `image` at the top of values is `chart-image`,
 *  `<name>.image` is `<name>`. */
function fluxV1Filter(file: ManifestFile, v: ValuesImage): string | undefined {
  if (!v.root.fluxV1) return undefined;
  const rel = v.path.slice(v.root.path.length);
  const name = rel.length === 1 && rel[0] === 'image' ? 'chart-image' : rel.length === 2 && rel[1] === 'image' && typeof rel[0] === 'string' ? rel[0] : undefined;
  if (name === undefined) return undefined;
  return fluxV1Filters(v.root.annotations, { file: file.path, object: objectLabel(v.root.object) }).get(name);
}

const INLINE_DIGEST = /^(.*)@(sha256:[0-9a-f]{64})$/;

/** Tag and digest as the values hold them: a `digest` key, or `tag@digest` in `tag`. */
function current(v: ValuesImage): { tag: string; digest: string; inline: boolean } {
  const tag = scalarText(v.nodes.tag) ?? '';
  const m = INLINE_DIGEST.exec(tag);
  if (m) return { tag: m[1], digest: m[2], inline: true };
  return { tag, digest: scalarText(v.nodes.digest) ?? '', inline: false };
}

function change(file: ManifestFile, ref: ImageRef, v: ValuesImage, key: 'tag' | 'digest', old: string | null, value: string, text: TextEdit[]): Change {
  return { edit: { file: file.path, object: ref.object, field: field(v, key), old, new: value }, docIndex: ref.docIndex, path: [...v.path, key], expect: value, text };
}

function field(v: ValuesImage, key: string): string {
  return pathLabel([...v.path, key]);
}

function siteOf(file: ManifestFile, ref: ImageRef): ValuesImage {
  const site = valuesImages(file).find((v) => v.root.docIndex === ref.docIndex && v.nodes.tag.range![0] === ref.offset);
  if (!site) throw new EditError('EDIT_STALE_REF', 'the image values are no longer where they were found', { file: ref.file, object: objectLabel(ref.object), field: ref.field });
  return site;
}

export function createHelmValuesEditor(): ImageEditor {
  return {
    name: 'helm-values',
    screen: (text, image) => text.includes('repository') && text.includes('tag') && screenFor(text, image),
    find(file, image) {
      const matches = imageMatcher(image);
      return valuesImages(file)
        .filter((v) => matches(v.repository))
        .map((v) => {
          const { tag, digest } = current(v);
          const filter = fluxV1Filter(file, v);
          return {
            file: file.path,
            object: v.root.object,
            field: field(v, 'tag'),
            docIndex: v.root.docIndex,
            path: [...v.path, 'tag'],
            part: 'tag' as const,
            repository: v.repository,
            // an empty tag means "the chart's appVersion": no tag to compare with
            ...(tag ? { tag } : {}),
            ...(digest ? { digest } : {}),
            ...(filter !== undefined ? { filter } : {}),
            editor: 'helm-values',
            offset: v.nodes.tag.range![0],
          };
        });
    },
    set(file, ref, to): Change | null {
      if (to.tag !== undefined) validateTag(to.tag);
      if (to.digest !== undefined) validateDigest(to.digest);
      const v = siteOf(file, ref);
      const cur = current(v);
      const tagChanges = to.tag !== undefined && to.tag !== cur.tag;
      const digestChanges = to.digest !== undefined && to.digest !== cur.digest;
      if (!tagChanges && !digestChanges) return null;
      const where = { file: file.path, line: file.lineOf(ref.offset), object: objectLabel(ref.object), field: ref.field };
      // The change's own field may be anchored: the planner vets its aliases
      // (anchored-images.ts). A digest written beside the tag may not, and is refused
      // here, not only at the apply step, so the file's other references still move.
      if (tagChanges && digestChanges && !cur.inline) refuseAnchored(v.nodes.digest, where);
      if (tagChanges && cur.digest !== '' && to.digest === undefined) {
        // Charts render `repository:tag@digest`; the digest wins at pull time.
        throw new EditError('EDIT_DIGEST_PINNED', `${pathLabel(v.path)} is pinned by digest ${cur.digest}; a new digest is needed to move it to tag ${to.tag}`, where);
      }
      const tag = to.tag ?? cur.tag;
      const digest = to.digest ?? cur.digest;
      if (cur.inline || (digestChanges && !v.nodes.digest && tag !== '')) {
        // `tag: 1.2.3@sha256:...` (Renovate's pinning in Helm values) stays one field
        const old = scalarText(v.nodes.tag) ?? '';
        const next = digest ? `${tag}@${digest}` : tag;
        if (next === old) return null;
        return change(file, ref, v, 'tag', old || null, next, [writeScalar(v.nodes.tag, next, { file: file.path, field: field(v, 'tag') })]);
      }
      if (digestChanges && !v.nodes.digest) {
        throw new EditError('EDIT_NO_DIGEST_FIELD', `${pathLabel(v.path)} has an empty tag and no digest key to pin ${to.digest} in`, where);
      }
      const text: TextEdit[] = [];
      if (tagChanges) text.push(writeScalar(v.nodes.tag, tag, { file: file.path, field: field(v, 'tag') }));
      if (digestChanges) text.push(writeScalar(v.nodes.digest!, digest, { file: file.path, field: field(v, 'digest') }));
      if (tagChanges && digestChanges) {
        const c = change(file, ref, v, 'tag', `${cur.tag}@${cur.digest}`, `${tag}@${digest}`, text);
        return { ...c, edit: { ...c.edit, field: pathLabel(v.path) }, expect: tag };
      }
      return tagChanges ? change(file, ref, v, 'tag', cur.tag || null, tag, text) : change(file, ref, v, 'digest', cur.digest || null, digest, text);
    },
  };
}
