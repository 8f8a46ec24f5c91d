import type { Context } from 'probot';
import { handleTag } from '../bot/release.ts';
import type { Runtime } from './runtime.ts';

interface PackageVersion {
  name?: string;
  version?: string;
  container_metadata?: { tag?: { name?: string; digest?: string } | null } | null;
}

interface PackageLike {
  name: string;
  namespace?: string;
  package_type: string;
  owner?: { login?: string } | null;
  package_version?: PackageVersion | null;
  registry?: { url?: string; host?: string } | null;
}

function imageOf(pkg: PackageLike, owner: string): string {
  const host = pkg.registry?.host || 'ghcr.io';
  return `${host}/${(pkg.namespace || owner).toLowerCase()}/${pkg.name.toLowerCase()}`;
}

/** `package` / `registry_package` published for a container image. */
function onPackageLike(rt: Runtime, key: 'package' | 'registry_package') {
  return async (context: Context<'package.published' | 'registry_package.published'>) => {
    const payload = context.payload as unknown as Record<string, PackageLike> & { repository?: { full_name: string; owner: { login: string } } | null };
    const pkg = payload[key];
    if (!payload.repository) {
      context.log.info({ package: pkg?.name }, 'ignoring package event without a repository: no app source to authorize it');
      return;
    }
    if (!pkg || pkg.package_type.toLowerCase() !== 'container') {
      context.log.info({ type: pkg?.package_type }, 'ignoring non-container package');
      return;
    }
    const tag = pkg.package_version?.container_metadata?.tag?.name;
    if (!tag) {
      context.log.info({ package: pkg.name, version: pkg.package_version?.version }, 'ignoring digest-only container publication: no tag to roll out');
      return;
    }
    await handleTag(rt.deps, rt.scopeFor(context), {
      tag,
      source: payload.repository.full_name,
      image: imageOf(pkg, payload.repository.owner.login),
      // a container package's tag is the image tag itself: no tagTemplate applies
      imageTag: true,
      event: key,
    });
  };
}

export const onPackage = (rt: Runtime) => onPackageLike(rt, 'package');
export const onRegistryPackage = (rt: Runtime) => onPackageLike(rt, 'registry_package');
