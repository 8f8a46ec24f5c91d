// Planning image changes: find every reference to one image in the screened files, ask
// the caller's gate whether each may move, and prepare the edited texts (confirmed by
// re-parsing) without writing anything. A text planned before (or written by a plan) is
// planned from the facts kept of it, with no parse (./image-splice.ts).
import { BotError, EditError } from '../errors.ts';
import type { Edit, Skipped } from '../plan.ts';
import { compareVersions, parseVersion } from '../policy/index.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { followAliases } from '../manifests/anchored-images.ts';
import type { FluxPolicy } from '../manifests/flux-policies.ts';
import { derivePending, factsKey, keepFactsOf, keepSpliced, keptFacts, type SpanWrite } from '../manifests/indexed-edits.ts';
import { applyAndConfirmAsync, keptLexemes, parseManifestAsync, parseManifestToEdit } from '../manifests/parse.ts';
import { factsFileOf } from '../manifests/kept-facts.ts';
import { imageEditors } from '../manifests/registry.ts';
import { isPersistent } from '../manifests/tree-store.ts';
import { indexedImageScan } from '../manifests/image-index.ts';
import { imageTokens, loadFluxPolicies, pathFilter } from '../manifests/scan.ts';
import { imageMatcher } from '../manifests/workload-images.ts';
import { planFromFacts, type SpliceContext } from './image-splice.ts';
import { YAML_FILE } from '../manifests/files.ts';
import type { Change, ImageRef, ManifestFile } from '../manifests/types.ts';

export type Verdict = { ok: true } | { ok: false; code: string; reason: string };

export interface ImageTarget {
  image: string;
  tag?: string;
  digest?: string;
  /** Path globs limiting the files searched (a track's `paths`, or `--path`). */
  paths?: string[];
  /** Decides whether one reference may move (tag filters, never-downgrade). Without
   *  one, only never-downgrade applies (see neverDowngrade). */
  gate?: (ref: ImageRef) => Verdict;
  /** The new tag's digest for a reference pinned by digest, asked only when such a
   *  reference is about to move and no `digest` was given (see ./digests.ts). */
  pinned?: (ref: ImageRef) => Promise<Pinned>;
}

export type Pinned = { ok: true; digest: string } | { ok: false; code: string; reason: string };

export interface ImagePlan {
  edits: Edit[];
  skipped: Skipped[];
  /** New text per repo-relative file. */
  writes: Map<string, string>;
  /** Every reference found, moved or not (status and old-tag reporting use it). */
  refs: ImageRef[];
}

type Editor = ReturnType<typeof imageEditors>[number];
type Found = { file: ManifestFile; ref: ImageRef; editor: Editor };

interface Screened {
  editors: Editor[];
  policies: Map<string, FluxPolicy>;
  hits: string[];
  skipped: Skipped[];
}

/** The editors for this repo and the files that may mention `image`. */
async function screen(repo: RepoFiles, image: string, paths?: string[]): Promise<Screened> {
  const { policies, skipped } = await loadFluxPolicies(repo);
  const tokens = imageTokens(policies, image);
  const include = pathFilter(paths);
  const hits = (await repo.grep(tokens)).filter((rel) => YAML_FILE.test(rel) && include(rel)).sort();
  // A broken file holding an ImagePolicy is reported even when it does not mention the
  // image, since markers elsewhere can no longer be resolved through it.
  return { editors: imageEditors(policies), policies, hits, skipped: [...skipped] };
}

/** Reads the screened files a batch at a time and hands each one over, parsed, with its
 *  references. A file is parsed just before its turn, so one file's parse trees are alive
 *  at a time and die young (with a batch parsed ahead, the collector kept moving them).
 *  Files that cannot be read or parsed are reported as loadFiles reports them, ahead of
 *  the problems found in the files of the same batch. */
async function eachFile(
  repo: RepoFiles,
  s: Screened,
  image: string,
  fn: (file: ManifestFile, found: Found[]) => void | Promise<void>,
  parse: (rel: string, text: string) => Promise<ManifestFile> = parseManifestAsync,
  planned?: (rel: string, text: string) => Promise<boolean>,
): Promise<Skipped[]> {
  const skipped: Skipped[] = [];
  const seen = new Set(s.skipped.map((x) => x.file));
  for (let i = 0; i < s.hits.length; i += READ_BATCH) {
    const batch = s.hits.slice(i, i + READ_BATCH);
    const read = await Promise.all(batch.map((rel) => repo.read(rel).then((text) => ({ rel, text }), (error: unknown) => ({ rel, error }))));
    const unloadable: Skipped[] = [];
    const at = skipped.length;
    for (const r of read) {
      if (!('text' in r)) {
        const { error } = r;
        // refusals (FILE_TOO_LARGE, FILE_NOT_REGULAR, …) keep their code; their message names the file
        if (error instanceof BotError) unloadable.push({ file: r.rel, code: error.code, reason: error.message });
        else unloadable.push({ file: r.rel, code: 'READ_FAILED', reason: (error as Error | undefined)?.message ?? 'unreadable' });
        continue;
      }
      // a text whose kept facts planned it needs no parse
      if (planned && (await planned(r.rel, r.text))) continue;
      let file: ManifestFile;
      try {
        file = await parse(r.rel, r.text);
      } catch (err) {
        if (!(err instanceof BotError)) throw err;
        unloadable.push({ file: r.rel, code: err.code, reason: err.message });
        continue;
      }
      try {
        const found: Found[] = [];
        for (const editor of s.editors) {
          if (!editor.screen(file.text, image)) continue;
          for (const ref of editor.find(file, image)) found.push({ file, ref, editor });
        }
        await fn(file, found);
      } catch (err) {
        // A bad annotation or marker is that file's problem; the rest of the repo still moves.
        if (!(err instanceof BotError)) throw err;
        skipped.push({ file: file.path, code: err.code, reason: err.message });
      }
    }
    skipped.splice(at, 0, ...unloadable.filter((x) => !seen.has(x.file)));
  }
  return skipped;
}

// Reads in flight at once: they overlap, but a huge hit list cannot open thousands of
// descriptors at once (as loadFiles).
const READ_BATCH = 32;

export interface RefScan {
  refs: Array<{ ref: ImageRef }>;
  skipped: Skipped[];
}

/** Finds the references to `image` in the files matching `paths`. On a clean tree the
 *  tree's image index answers (one listing, read and parse of the tree shared by every
 *  app and track); the per-image search below gives the same answer elsewhere. */
export async function scanImageRefs(repo: RepoFiles, image: string, paths?: string[]): Promise<RefScan> {
  const indexed = await indexedImageScan(repo, image, paths);
  if (indexed) return { refs: indexed.refs.map((ref) => ({ ref })), skipped: indexed.skipped };
  return scanEachFile(repo, image, paths);
}

/** The per-image search: screen with `git grep`, parse each hit, ask every editor. */
export async function scanEachFile(repo: RepoFiles, image: string, paths?: string[]): Promise<RefScan> {
  const s = await screen(repo, image, paths);
  const refs: Found[] = [];
  const skipped = await eachFile(repo, s, image, (_file, found) => void refs.push(...found));
  return { refs, skipped: [...skipped, ...s.skipped] };
}

/** The gate of explicit commands (set-image, promote), which name the tag themselves:
 *  no filter applies, but a version tag never replaces a newer version. Tags that are
 *  not versions (`latest`, a commit sha) have no order and always move. */
export function neverDowngrade(tag: string | undefined): (ref: ImageRef) => Verdict {
  return (ref) => {
    if (!tag || !ref.tag || !parseVersion(tag) || !parseVersion(ref.tag)) return { ok: true };
    if (compareVersions(tag, ref.tag) >= 0) return { ok: true };
    return { ok: false, code: 'TAG_OLDER', reason: `tag ${tag} is older than ${ref.tag} already deployed; never downgrading` };
  };
}

/** One reference moved to the target. A digest-pinned one the editor refuses without a
 *  digest gets the new tag's digest from the registry and is tried once more. */
async function setRef(editor: Editor, file: ManifestFile, ref: ImageRef, target: ImageTarget): Promise<Change | null> {
  try {
    return editor.set(file, ref, { tag: target.tag, digest: target.digest });
  } catch (err) {
    if (!(err instanceof BotError) || err.code !== 'EDIT_DIGEST_PINNED' || target.digest !== undefined || !target.pinned) throw err;
    const pinned = await target.pinned(ref);
    if (!pinned.ok) throw new EditError(pinned.code, pinned.reason);
    return editor.set(file, ref, { tag: target.tag, digest: pinned.digest });
  }
}

/** The change with the aliases of the anchored value it writes (see
 *  manifests/anchored-images.ts); each alias must pass the gate as the reference did. */
function withAliases(file: ManifestFile, change: Change, ref: ImageRef, editors: Editor[], gate: (ref: ImageRef) => Verdict): Change {
  const followed = followAliases(file, change, ref, editors);
  for (const alias of followed.refs) {
    const verdict = gate(alias);
    if (!verdict.ok) throw new EditError(verdict.code, `the anchored value is aliased at ${alias.field}, which may not move: ${verdict.reason}`);
  }
  return followed.change;
}

export async function planImages(repo: RepoFiles, target: ImageTarget): Promise<ImagePlan> {
  const s = await screen(repo, target.image, target.paths);
  const gate = target.gate ?? neverDowngrade(target.tag);
  const skipped: Skipped[] = [];
  const writes = new Map<string, string>();
  const edits: Edit[] = [];
  const refs: ImageRef[] = [];
  // A text planned before is planned from what was kept of it, without a parse
  // (./image-splice.ts); the full path below keeps the facts of each text it parses.
  // a persistent reader (the CLI) keeps them between processes too (kept-facts.ts)
  const store = isPersistent(repo) ? factsFileOf(repo.root) : undefined;
  const ctx: SpliceContext = { root: repo.root, editors: s.editors, policies: s.policies, image: target.image, matches: imageMatcher(target.image), target, gate, written: new Map(), ...(store ? { store } : {}) };
  const keys = new Map<string, string>();
  const planned = async (rel: string, text: string): Promise<boolean> => {
    const key = factsKey(repo.root, rel, text, s.policies);
    const p = await planFromFacts(ctx, key, rel, text);
    if (!p) {
      keys.set(rel, key);
      return false;
    }
    refs.push(...p.refs);
    skipped.push(...p.skipped);
    if (p.write !== undefined) {
      writes.set(rel, p.write);
      edits.push(...p.edits);
    }
    return true;
  };
  const parse = async (rel: string, text: string): Promise<ManifestFile> => {
    const file = await parseManifestToEdit(rel, text);
    const key = keys.get(rel);
    if (key !== undefined) await keepFactsOf(repo.root, key, file, s.editors, keptLexemes(file), store);
    return file;
  };
  const unreadable = await eachFile(repo, s, target.image, async (file, found) => {
    const changes: Change[] = [];
    // the changes as splices of values alone, while they are (see keepSpliced)
    let spliced: SpanWrite[] | undefined = [];
    for (const { ref, editor } of found) {
      refs.push(ref);
      const verdict = gate(ref);
      if (!verdict.ok) {
        skipped.push({ file: ref.file, object: ref.object, field: ref.field, code: verdict.code, reason: verdict.reason });
        continue;
      }
      try {
        const change = await setRef(editor, file, ref, target);
        if (!change) continue;
        const followed = withAliases(file, change, ref, s.editors, gate);
        changes.push(followed);
        const [t] = followed.text;
        if (ref.editor !== 'workload-images' || followed.text.length !== 1 || followed.aliases?.length || typeof followed.expect !== 'string') spliced = undefined;
        else spliced?.push({ ref, value: followed.expect, text: t.text });
      } catch (err) {
        if (!(err instanceof BotError)) throw err;
        skipped.push({ file: ref.file, object: ref.object, field: ref.field, code: err.code, reason: err.message });
      }
    }
    if (changes.length === 0) return;
    try {
      const next = await applyAndConfirmAsync(file, changes);
      writes.set(file.path, next);
      const key = keys.get(file.path);
      const kept = key === undefined ? undefined : keptFacts(key);
      if (spliced && kept) keepSpliced(repo.root, file.path, file.text, next, kept, spliced, s.editors, s.policies, store);
      // the aliases an anchored value carries along are shown as edits of their own
      edits.push(...changes.flatMap((c) => [c.edit, ...(c.aliases ?? []).map((a) => a.edit)]));
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      skipped.push({ file: file.path, code: err.code, reason: err.message });
    }
  }, parse, planned);
  // the next process plans the texts written here from their facts: derived now, as a
  // later plan in this process would (a lex of each; see keepSpliced)
  if (store) for (const [rel, next] of writes) derivePending(factsKey(repo.root, rel, next, s.policies));
  return { edits, skipped: [...skipped, ...unreadable, ...s.skipped], writes, refs };
}

/** The facts of the texts written since, for this process's next plan: begun once a
 *  change's files are written, so they are derived while git commits and pushes. */
export { deriveWrittenFacts } from '../manifests/indexed-edits.ts';
