// `set-image`: every reference to one image moves to the given tag. An image no file
// references is an error, not "nothing to change": a typo in the image must not look
// like success (which is what "already at that tag" is). Needs no config (see
// set-image.ts for what the config adds), so a repo without one never loads it.
import { EditError } from '../errors.ts';
import { CONFIG_FILES } from '../config/names.ts';
import { suggestKey } from '../config/suggest.ts';
import { YAML_FILE, type RepoFiles } from '../manifests/files.ts';
import { pathFilter } from '../manifests/scan.ts';
import { imagesIn } from '../policy/image-mentions.ts';
import { planImages, type ImageTarget } from './images.ts';
import type { Prepared } from './prepared.ts';

// Only read on the error path, to name the image meant; a bound keeps a huge repo's
// typo from reading every file.
const MAX_HINT_FILES = 5000;

/** Images the repo's YAML files name, with the files naming each. */
async function knownImages(repo: RepoFiles, paths?: string[]): Promise<Map<string, string[]>> {
  const include = pathFilter(paths);
  // the bot's own config names images too, but is not where they are deployed
  const config = new Set<string>(CONFIG_FILES);
  const files = (await repo.list()).filter((f) => YAML_FILE.test(f) && include(f) && !config.has(f)).slice(0, MAX_HINT_FILES);
  const seen = new Map<string, string[]>();
  for (const f of files) {
    const text = await repo.read(f).catch(() => '');
    for (const img of imagesIn(text)) seen.set(img, [...(seen.get(img) ?? []), f]);
  }
  return seen;
}

async function notFound(repo: RepoFiles, image: string, paths?: string[]): Promise<EditError> {
  const scope = paths?.length ? `no file matching ${paths.map((p) => `--path ${p}`).join(' ')} references` : 'no file references';
  const known = await knownImages(repo, paths);
  const near = suggestKey(image, [...known.keys()].filter((k) => k !== image));
  const hint = near ? `; did you mean ${near} (in ${known.get(near)!.length === 1 ? known.get(near)![0] : `${known.get(near)!.length} files`})?` : '';
  return new EditError('IMAGE_NOT_FOUND', `${scope} ${image}${hint}`);
}

export async function planSetImage(repo: RepoFiles, target: ImageTarget & { tag: string }): Promise<Prepared> {
  const { image, tag, digest } = target;
  const p = await planImages(repo, target);
  // Files that could not be read are reported as skipped: the image may be in them.
  if (p.refs.length === 0 && p.skipped.length === 0) throw await notFound(repo, image, target.paths);
  const name = image.split('/').pop() ?? image;
  return {
    plan: { action: 'set-image', title: `${name}: set ${image}:${tag}${digest ? `@${digest}` : ''}`, edits: p.edits, skipped: p.skipped, trailers: { App: name, Action: 'set-image', Tag: tag, Image: image } },
    writes: p.writes,
  };
}
