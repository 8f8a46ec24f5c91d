// Planning image changes: find every reference to one image in the screened files, ask
// the caller's gate whether each may move, and prepare the edited texts (confirmed by
// re-parsing) without writing anything.
import { BotError } from '../errors.ts';
import type { Edit, Skipped } from '../plan.ts';
import { sameRepository } from '../policy/image.ts';
import { compareVersions, parseVersion } from '../policy/index.ts';
import type { RepoFiles } from '../manifests/files.ts';
import { applyAndConfirm } from '../manifests/parse.ts';
import { imageEditors } from '../manifests/registry.ts';
import { loadFluxPolicies, loadScreened, pathFilter, screenToken } from '../manifests/scan.ts';
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
}

export interface ImagePlan {
  edits: Edit[];
  skipped: Skipped[];
  /** New text per repo-relative file. */
  writes: Map<string, string>;
  /** Every reference found, moved or not (status and old-tag reporting use it). */
  refs: ImageRef[];
}

export interface RefScan {
  files: ManifestFile[];
  refs: Array<{ file: ManifestFile; ref: ImageRef; editor: ReturnType<typeof imageEditors>[number] }>;
  skipped: Skipped[];
}

/** Finds the references to `image` in the files matching `paths`. */
export async function scanImageRefs(repo: RepoFiles, image: string, paths?: string[]): Promise<RefScan> {
  const { policies, skipped: policySkips } = await loadFluxPolicies(repo);
  const tokens = [screenToken(image)];
  for (const [id, p] of policies) if (sameRepository(p.repository, image)) tokens.push(id);
  const { files, skipped } = await loadScreened(repo, tokens, pathFilter(paths));
  const editors = imageEditors(policies);
  const refs: RefScan['refs'] = [];
  const unreadable: Skipped[] = [];
  for (const file of files) {
    try {
      const found: RefScan['refs'] = [];
      for (const editor of editors) {
        if (!editor.screen(file.text, image)) continue;
        for (const ref of editor.find(file, image)) found.push({ file, ref, editor });
      }
      refs.push(...found);
    } catch (err) {
      // A bad annotation or marker is that file's problem; the rest of the repo still moves.
      if (!(err instanceof BotError)) throw err;
      unreadable.push({ file: file.path, code: err.code, reason: err.message });
    }
  }
  // A broken file holding an ImagePolicy is worth reporting even when it does not
  // mention the image, since its markers elsewhere can no longer be resolved.
  const seen = new Set(skipped.map((s) => s.file));
  return { files, refs, skipped: [...skipped, ...unreadable, ...policySkips.filter((s) => !seen.has(s.file))] };
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

export async function planImages(repo: RepoFiles, target: ImageTarget): Promise<ImagePlan> {
  const scan = await scanImageRefs(repo, target.image, target.paths);
  const skipped = [...scan.skipped];
  const byFile = new Map<ManifestFile, Change[]>();
  const gate = target.gate ?? neverDowngrade(target.tag);
  for (const { file, ref, editor } of scan.refs) {
    const verdict = gate(ref);
    if (!verdict.ok) {
      skipped.push({ file: ref.file, object: ref.object, field: ref.field, code: verdict.code, reason: verdict.reason });
      continue;
    }
    try {
      const change = editor.set(file, ref, { tag: target.tag, digest: target.digest });
      if (change) byFile.set(file, [...(byFile.get(file) ?? []), change]);
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      skipped.push({ file: ref.file, object: ref.object, field: ref.field, code: err.code, reason: err.message });
    }
  }
  const writes = new Map<string, string>();
  const edits: Edit[] = [];
  for (const [file, changes] of byFile) {
    try {
      writes.set(file.path, applyAndConfirm(file, changes));
      edits.push(...changes.map((c) => c.edit));
    } catch (err) {
      if (!(err instanceof BotError)) throw err;
      skipped.push({ file: file.path, code: err.code, reason: err.message });
    }
  }
  return { edits, skipped, writes, refs: scan.refs.map((r) => r.ref) };
}
