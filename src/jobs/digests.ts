// Digest pins, as Renovate keeps them: a reference written `repo:tag@sha256:…` moves to
// the new tag together with the digest the registry holds for that tag, so the cluster
// pulls the image the tag names and the pin stays. Without the registry's answer the
// reference stays where it is, with the reason; it is never moved with the old digest
// (the cluster would keep pulling the old image) nor unpinned.
import { BotError, RegistryError } from '../errors.ts';
import type { ImageRef } from '../manifests/types.ts';
import { formatImageRef } from '../policy/image.ts';
import type { Registry } from '../registry/index.ts';
import type { ImageTarget, Pinned } from './images.ts';

/** The target with a way to find the new tag's digest for pinned references. The
 *  registry is asked at most once per plan, and only when a pinned reference is about to
 *  move; without a registry (or with a digest given) the target is unchanged. */
export function withPinnedDigests(target: ImageTarget, registry: Registry | undefined): ImageTarget {
  const tag = target.tag;
  if (!registry || tag === undefined || target.digest !== undefined) return target;
  let asked: Promise<{ digest: string } | { err: BotError }> | undefined;
  const ask = () =>
    (asked ??= registry.resolveDigest(target.image, tag).then(
      (digest) => ({ digest }),
      (err: unknown) => {
        if (err instanceof BotError) return { err };
        throw err;
      },
    ));
  const pinned = async (ref: ImageRef): Promise<Pinned> => {
    const got = await ask();
    if ('digest' in got) return { ok: true, digest: got.digest };
    return { ok: false, code: got.err.code, reason: pinnedReason(ref, tag, got.err) };
  };
  return { ...target, pinned };
}

function pinnedReason(ref: ImageRef, tag: string, err: BotError): string {
  const written = formatImageRef({ repository: ref.repository, tag: ref.tag, digest: ref.digest });
  if (!(err instanceof RegistryError)) return `${written} is pinned by digest and the digest of ${tag} could not be looked up: ${err.message}`;
  if (err.transient) return `${written} is pinned by digest and the registry ${err.registry} could not be reached: ${err.why}`;
  return `${written} is pinned by digest and the registry ${err.registry} did not give the digest of ${tag}: ${err.why}`;
}
