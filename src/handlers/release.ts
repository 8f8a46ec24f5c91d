import type { Context } from 'probot';
import { handleTag } from '../bot/release.ts';
import type { Runtime } from './runtime.ts';

/** `release` published / prereleased. Drafts never reach here (GitHub sends no published for them). */
export function onRelease(rt: Runtime) {
  return async (context: Context<'release.published' | 'release.prereleased'>) => {
    const { release, repository } = context.payload;
    if (release.draft) {
      context.log.info({ tag: release.tag_name }, 'ignoring draft release');
      return;
    }
    const sha = /^[0-9a-f]{40}$/.test(release.target_commitish) ? release.target_commitish : undefined;
    await handleTag(rt.deps, rt.scopeFor(context), {
      tag: release.tag_name,
      source: repository.full_name,
      prerelease: release.prerelease,
      event: 'release',
      sha,
    });
  };
}
