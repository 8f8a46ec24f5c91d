// What the bot asks of a container registry. Images are repositories as the config and
// manifests write them (`ghcr.io/acme/podinfo`, `nginx`, `127.0.0.1:5000/team/api`).

export interface Registry {
  /** Every tag of the image's repository, in the registry's order (all pages). */
  listTags(image: string): Promise<string[]>;
  /** The digest `tag` names now. For a multi-arch image it is the index's digest, which
   *  is what a pinned reference must name so every platform keeps pulling its own image. */
  resolveDigest(image: string, tag: string): Promise<string>;
}
