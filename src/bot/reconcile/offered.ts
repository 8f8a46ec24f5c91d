// What an app's sources offer now. By default the releases and tags of its `source`
// repo; with `sources: [.., registry]` also the tags of its image (for a ghcr.io image the
// installation can see, through GitHub's Packages API; else from the registry itself), for
// apps whose images are pushed without a release (CI builds, mirrored images), or whose
// release events never arrive. A source that cannot be read is named with the reason and
// the others still count.
import type { AppConfig } from '../../config/index.ts';
import { BotError } from '../../errors.ts';
import type { Forge, SourceTag, SourceTags } from '../../forge/types.ts';
import type { BotDeps } from '../types.ts';

export interface Offered {
  tags: SourceTag[];
  /** The sources read, for messages (`acme/podinfo`, `registry ghcr.io/acme/podinfo`). */
  from: string[];
  /** The sources that could not be read, each with why. */
  problems: string[];
}

/** Whether reconciliation reads the app's source repo (the default). */
export function readsRepo(cfg: AppConfig): boolean {
  return (cfg.sources ?? ['repo']).includes('repo');
}

async function repoTags(read: Promise<SourceTags | null>, cfg: AppConfig, out: Offered): Promise<SourceTag[]> {
  try {
    const offered = await read;
    if (!offered) {
      out.problems.push(`${cfg.source} cannot be reached from here (not installed, or no local source repo); only events move this app`);
      return [];
    }
    out.from.push(cfg.source);
    return offered.tags;
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    out.problems.push(`cannot read ${cfg.source}: ${err.message}; trying again next pass`);
    return [];
  }
}

/** `ghcr.io/<owner>/<package>` → owner and package name; undefined for other hosts. */
function ghcrPackage(image: string): { owner: string; name: string } | undefined {
  const m = /^ghcr\.io\/([^/]+)\/(.+)$/i.exec(image);
  return m ? { owner: m[1].toLowerCase(), name: m[2].toLowerCase() } : undefined;
}

/** GitHub's own view of a ghcr.io package, when the installation can see it: no registry
 *  credentials needed. Undefined when it cannot (then the registry is asked). */
async function packageTags(forge: Forge, cfg: AppConfig, out: Offered): Promise<SourceTag[] | undefined> {
  const pkg = ghcrPackage(cfg.image);
  if (!pkg) return undefined;
  try {
    const found = await forge.packageTags(pkg.owner, pkg.name);
    if (!found) return undefined;
    out.from.push(`package ${cfg.image}`);
    return found.tags.map((t) => ({ ...t, registry: true }));
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    out.problems.push(`cannot read the package ${cfg.image} on GitHub: ${err.message}; trying again next pass`);
    return [];
  }
}

async function registryTags(deps: BotDeps, forge: Forge, cfg: AppConfig, out: Offered): Promise<SourceTag[]> {
  const fromPackages = await packageTags(forge, cfg, out);
  if (fromPackages) return fromPackages;
  if (!deps.registry) {
    out.problems.push(`no registry client here; the tags of ${cfg.image} are not read`);
    return [];
  }
  try {
    const tags = await deps.registry.listTags(cfg.image);
    out.from.push(`registry ${cfg.image}`);
    // the registry has no notion of a release or prerelease: semver prerelease tags are
    // still judged by the track filters, as a pushed tag's would be
    return tags.map((tag) => ({ tag, release: false, prerelease: false, registry: true }));
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    out.problems.push(`${err.message}; trying again next pass`);
    return [];
  }
}

/** The tags every configured source offers, repo tags first (they carry the release and
 *  prerelease flags, and win a tie with the same image tag from the registry). `repo`:
 *  the source repo's read, shared by the apps of one source (undefined when the app does
 *  not read it). */
export async function offeredTags(deps: BotDeps, forge: Forge, cfg: AppConfig, repo: Promise<SourceTags | null> | undefined): Promise<Offered> {
  const out: Offered = { tags: [], from: [], problems: [] };
  const fromRepo = repo ? await repoTags(repo, cfg, out) : [];
  const registry = (cfg.sources ?? []).includes('registry') ? await registryTags(deps, forge, cfg, out) : [];
  // not merged by name: a registry tag is an image tag, a repo tag becomes one through the
  // template, so the same name may stand for different images; choose.ts compares images
  out.tags = [...fromRepo, ...registry];
  return out;
}
