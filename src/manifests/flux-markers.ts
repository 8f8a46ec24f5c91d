// Flux v2 setter markers (`# {"$imagepolicy": "ns:name[:tag|:name|:digest]"}`) in any
// YAML: HelmRelease values, plain values files, manifests. The marker's ImagePolicy
// says which image the field belongs to.
//
// Container `image:` fields and kustomize `images` entries are reported by their own
// editors (with `policy` set when they carry a marker); this editor skips every scalar
// those editors claim, so no field is ever reported or edited twice.
import { EditError } from '../errors.ts';
import { objectLabel } from '../plan.ts';
import { formatImageRef, parseImageRef, sameRepository, validateDigest, validateTag } from '../policy/image.ts';
import { markerAfter, type FluxMarker, type FluxPolicy } from './flux-policies.ts';
import { kustomizeImageEntries } from './kustomize-images.ts';
import type { ImageEditor, ImageRef, ManifestFile } from './types.ts';
import { buildChange, imageMatcher, nextRef, nodeAt, objectOrFile, scalarText, workloadImageSites } from './workload-images.ts';
import { isMap, isPair, isScalar, isSeq, type Node } from './yaml.ts';

type Path = (string | number)[];

interface MarkedScalar {
  docIndex: number;
  path: Path;
  node: Node;
  marker: FluxMarker;
}

export function pathLabel(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

function claimedOffsets(file: ManifestFile): Set<number> {
  const claimed = new Set<number>();
  for (const s of workloadImageSites(file)) claimed.add(s.node.range![0]);
  for (const e of kustomizeImageEntries(file)) {
    for (const n of Object.values(e.nodes)) if (n?.range) claimed.add(n.range[0]);
  }
  return claimed;
}

/** Every scalar value in the file followed by a marker on its line. */
function markedScalars(file: ManifestFile): MarkedScalar[] {
  const out: MarkedScalar[] = [];
  const claimed = claimedOffsets(file);
  // one path, grown and shrunk on the way: copied only for a marked scalar
  const path: Path = [];
  const visit = (docIndex: number, node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key) && (typeof pair.key.value === 'string' || typeof pair.key.value === 'number')) {
          path.push(pair.key.value);
          visit(docIndex, pair.value);
          path.pop();
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        path.push(i);
        visit(docIndex, item);
        path.pop();
      });
    } else if (isScalar(node) && node.range && !claimed.has(node.range[0])) {
      // the place is named only when the marker is broken, while `path` is still this one
      const marker = markerAfter(file.text, node.range[1], () => ({
        file: file.path,
        line: file.lineOf(node.range![0]),
        object: objectLabel(objectOrFile(file, docIndex)),
        field: pathLabel(path),
      }));
      if (marker) out.push({ docIndex, path: [...path], node, marker });
    }
  };
  for (const d of file.docs) visit(d.index, d.doc.contents);
  return out;
}

export function createFluxMarkerEditor(policies: Map<string, FluxPolicy>): ImageEditor {
  return {
    name: 'flux-markers',
    screen: (text) => text.includes('$imagepolicy'),
    find(file, image) {
      const matches = imageMatcher(image);
      const marked = markedScalars(file);
      // Without a known policy, a `:tag`/`:digest` field takes its repository from the
      // `:name` field of the same policy in the same document (Helm values layout).
      const names = new Map<string, string>();
      for (const m of marked) {
        const v = scalarText(m.node);
        if (m.marker.part === 'name' && v !== undefined) names.set(`${m.docIndex}|${m.marker.policy}`, v);
      }
      const refs: ImageRef[] = [];
      for (const m of marked) {
        const written = scalarText(m.node);
        if (written === undefined || m.marker.part === 'name') continue;
        const policy = policies.get(m.marker.policy);
        let repository = policy?.repository ?? names.get(`${m.docIndex}|${m.marker.policy}`);
        let tag: string | undefined;
        let digest: string | undefined;
        try {
          if (m.marker.part === 'ref') {
            const parts = parseImageRef(written);
            repository ??= parts.repository;
            ({ tag, digest } = parts);
          } else if (m.marker.part === 'tag') tag = written;
          else digest = written;
          if (repository === undefined) continue;
          parseImageRef(repository);
        } catch {
          continue;
        }
        if (!matches(repository)) continue;
        refs.push({
          file: file.path,
          object: objectOrFile(file, m.docIndex),
          field: pathLabel(m.path),
          docIndex: m.docIndex,
          path: m.path,
          part: m.marker.part,
          repository,
          ...(tag !== undefined ? { tag } : {}),
          ...(digest !== undefined ? { digest } : {}),
          ...(policy?.filter !== undefined ? { filter: policy.filter } : {}),
          policy: m.marker.policy,
          editor: 'flux-markers',
          offset: m.node.range![0],
        });
      }
      return refs;
    },
    set(file, ref, to) {
      if (to.tag !== undefined) validateTag(to.tag);
      if (to.digest !== undefined) validateDigest(to.digest);
      const node = nodeAt(file, ref);
      const current = scalarText(node) ?? '';
      const where = { file: file.path, line: file.lineOf(ref.offset), object: objectLabel(ref.object), field: ref.field };
      if (ref.part === 'ref') {
        // Flux writes the policy's repository into a whole-reference field; so do we,
        // keeping the spelling as written when it names the same repository.
        const parts = parseImageRef(current);
        const policy = ref.policy !== undefined ? policies.get(ref.policy) : undefined;
        const repository = policy && !sameRepository(policy.repository, parts.repository) ? policy.repository : parts.repository;
        const base = formatImageRef({ ...parts, repository });
        const next = nextRef(base, to, where) ?? base;
        return next === current ? null : buildChange(file, ref, node, current, next);
      }
      const pinned = (): EditError =>
        new EditError('EDIT_DIGEST_PINNED', `image of policy ${ref.policy} is pinned by digest; a new digest is needed to move it to tag ${to.tag}`, where);
      if (ref.part === 'tag') {
        if (to.tag === undefined || to.tag === current) return null;
        const digestSibling = markedScalars(file).some((m) => m.docIndex === ref.docIndex && m.marker.policy === ref.policy && m.marker.part === 'digest');
        if (digestSibling && to.digest === undefined) throw pinned();
        return buildChange(file, ref, node, current, to.tag);
      }
      if (ref.part === 'digest') {
        if (to.digest === undefined) {
          if (to.tag === undefined) return null;
          const tagSibling = markedScalars(file).find((m) => m.docIndex === ref.docIndex && m.marker.policy === ref.policy && m.marker.part === 'tag');
          if (tagSibling && scalarText(tagSibling.node) === to.tag) return null;
          throw pinned();
        }
        return to.digest === current ? null : buildChange(file, ref, node, current, to.digest);
      }
      return null;
    },
  };
}
