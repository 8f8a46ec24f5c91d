// The shared vocabulary of the manifest editors. Each editor lives in its own file and
// is listed explicitly in registry.ts; an unknown kind is an error.
import type { Edit, ObjectRef, Skipped } from '../plan.ts';
import type { ParsedDocument } from './yaml.ts';

/** A replacement in the original text: [start, end) offsets, and the new text. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** One YAML document of a manifest file, with the object it declares (if any). */
export interface ManifestDoc {
  index: number;
  doc: ParsedDocument;
  /** apiVersion/kind/metadata of the document, when it is a Kubernetes object. */
  object?: ObjectRef;
  /** The document as plain data (aliases resolved). */
  value: unknown;
}

export interface ManifestFile {
  /** Repo-relative POSIX path. */
  path: string;
  text: string;
  docs: ManifestDoc[];
  /** Line starts, for turning offsets into 1-based line numbers in messages. */
  lineOf(offset: number): number;
}

/** A planned change to one file: readable edit, text replacements, and what the
 *  re-parsed document must hold at `path` afterwards (the confirm step). */
export interface Change {
  edit: Edit;
  docIndex: number;
  /** Path within the document after the change, for the confirm step. */
  path: (string | number)[];
  expect: string | number;
  /** The confirm step requires `path` not to resolve (a removal); `expect` is not compared. */
  absent?: true;
  /** Path of the replaced scalar in the original document when it differs from `path`
   *  (an insertion earlier in the same list moved it); null when no scalar is replaced. */
  source?: (string | number)[] | null;
  /** A further check of the re-parsed document: why it fails, or undefined. */
  confirm?: (doc: ParsedDocument) => string | undefined;
  text: TextEdit[];
  /** Aliases of the anchored value this change writes, each an image field of the same
   *  repository (vetted by anchored-images.ts). They change with it; the confirm step
   *  checks that each re-parses to `expect`. Absent = nothing vetted: an anchored value
   *  is refused (EDIT_ANCHORED). */
  aliases?: AliasChange[];
}

/** One alias an anchored change carries along: where it is and how the plan shows it. */
export interface AliasChange {
  path: (string | number)[];
  /** 1-based line of the alias, for messages. */
  line: number;
  edit: Edit;
}

export interface EditorResult {
  changes: Change[];
  skipped: Skipped[];
}

/** A reference to an image found in a manifest. */
export interface ImageRef {
  file: string;
  object: ObjectRef;
  field: string;
  docIndex: number;
  path: (string | number)[];
  /** Which part of the reference the field holds. `ref` = `repo[:tag][@digest]` (a
   *  container's `image:`), `tag`/`name`/`digest` = a single part (kustomize images,
   *  Flux markers with `:tag`/`:name`/`:digest`). */
  part: 'ref' | 'tag' | 'name' | 'digest';
  /** Repository as written, without tag or digest; normalised for matching by
   *  `normalizeImage` in ../policy/image.ts. */
  repository: string;
  tag?: string;
  digest?: string;
  /** Tag filter attached in the manifest: Flux v1 annotation (`semver:~0.1`) or the
   *  Flux v2 marker's ImagePolicy (`ns:name`) resolved to its filter. */
  filter?: string;
  /** Flux v2 marker policy id `ns:name`, if the field carries a `$imagepolicy` marker. */
  policy?: string;
  /** Editor that found the reference (registry name). */
  editor: string;
  /** Offset of the scalar in the file text, used for messages and to write the new value. */
  offset: number;
}

export interface ImageEditor {
  readonly name: string;
  /** Cheap check on the raw text before parsing: false means the file cannot hold a
   *  reference for this editor. `image` is undefined when scanning for all images. */
  screen(text: string, image?: string): boolean;
  /** Every image reference this editor understands in the file (optionally only one image). */
  find(file: ManifestFile, image?: string): ImageRef[];
  /** The change that makes `ref` point at the new tag/digest. Returns null when nothing changes. */
  set(file: ManifestFile, ref: ImageRef, to: { tag?: string; digest?: string }): Change | null;
}

/** How the two sides of a split are addressed in a route. */
export type Backend = { subset: string; host?: string } | { host: string; port?: number };

export interface TrafficSpec {
  /** Optional http route name (Istio) or rule index selector. */
  route?: string;
  stable: Backend;
  canary: Backend;
  /** The app the split belongs to: names the A/B route the bot inserts
   *  (`gitops-canary-<app>-ab`). */
  app?: string;
}

/** One string condition, as Istio's StringMatch: exactly one of exact, prefix, regex.
 *  Gateway API has no prefix match for headers or query params: refused there. */
export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

/** The requests an A/B step sends to the canary. All conditions must hold (AND). */
export interface AbMatch {
  headers?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  /** Cookie name -> value condition; written as a regex on the `cookie` header,
   *  as the Istio walkthroughs do, since neither API matches cookies directly. */
  cookies?: Record<string, StringMatch>;
}

/** Routing a rollout step adds besides the weights. Absent = not present in the route:
 *  setting a target without them removes what the bot inserted before. */
export interface TrafficExtras {
  /** Requests matching this go to the canary through one route named
   *  `gitops-canary-<app>-ab` placed ahead of the weighted route. */
  ab?: AbMatch;
  /** Percent (1..100) of the stable traffic mirrored to the canary; responses of the
   *  mirror are discarded (Istio mirror + mirrorPercentage, Gateway API RequestMirror). */
  mirror?: number;
}

export interface TrafficState {
  file: string;
  object: ObjectRef;
  /** Whole percents of the route's total (9/1 reads 90/10); the three add up to 100. */
  stable: number;
  canary: number;
  /** Percent held by other destinations of the same route. */
  others: number;
  /** The A/B match of the bot's `gitops-canary-<app>-ab` route, when the route has one. */
  ab?: AbMatch;
  /** Percent of the stable traffic mirrored to the canary, when the route mirrors. */
  mirror?: number;
}

export interface TrafficEditor {
  readonly name: string;
  /** apiVersion groups/kind this editor handles, e.g. `networking.istio.io` VirtualService. */
  handles(object: ObjectRef): boolean;
  screen(text: string): boolean;
  read(file: ManifestFile, spec: TrafficSpec): TrafficState;
  /** Changes that give the canary `canary` percent of the route and the stable the rest after the other backends' shares,
   *  and make the bot's A/B route and mirror match `extras` (absent = removed). */
  set(file: ManifestFile, spec: TrafficSpec, canary: number, extras?: TrafficExtras): EditorResult;
}
