import type { Context } from 'probot';
import { handleTag } from '../bot/release.ts';
import type { Runtime } from './runtime.ts';

/** `create` of a tag. */
export function onCreate(rt: Runtime) {
  return async (context: Context<'create'>) => {
    const { ref, ref_type, repository } = context.payload;
    if (ref_type !== 'tag') {
      context.log.debug({ ref, ref_type }, 'ignoring create of a non-tag ref');
      return;
    }
    await handleTag(rt.deps, rt.scopeFor(context), { tag: ref, source: repository.full_name, event: 'create' });
  };
}

/** `push` of `refs/tags/*`. */
export function onPush(rt: Runtime) {
  return async (context: Context<'push'>) => {
    const { ref, deleted, head_commit, repository } = context.payload;
    if (!ref.startsWith('refs/tags/')) {
      context.log.debug({ ref }, 'ignoring push of a branch');
      return;
    }
    if (deleted) {
      context.log.info({ ref }, 'ignoring deleted tag');
      return;
    }
    // `after` is the tag OBJECT for an annotated tag, which GitHub refuses a status on;
    // `head_commit.id` is the commit. Without it the bot peels the tag through the API.
    const sha = head_commit?.id || undefined;
    await handleTag(rt.deps, rt.scopeFor(context), { tag: ref.slice('refs/tags/'.length), source: repository.full_name, event: 'push', sha });
  };
}
