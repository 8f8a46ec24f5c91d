// The Probot app: which event goes to which handler, nothing else.
import type { Probot } from 'probot';
import { onComment } from './handlers/comment.ts';
import { onPackage, onRegistryPackage } from './handlers/package.ts';
import { onRelease } from './handlers/release.ts';
import { onPullRequestClosed, onReview } from './handlers/review.ts';
import type { Runtime } from './handlers/runtime.ts';
import { onCreate, onPush } from './handlers/tag.ts';

export function createApp(rt: Runtime) {
  return (app: Probot) => {
    app.on(['release.published', 'release.prereleased'], onRelease(rt));
    app.on('create', onCreate(rt));
    app.on('push', onPush(rt));
    app.on('package.published', onPackage(rt));
    app.on('registry_package.published', onRegistryPackage(rt));
    app.on('pull_request_review.submitted', onReview(rt));
    app.on('pull_request.closed', onPullRequestClosed(rt));
    app.on('issue_comment.created', onComment(rt));
  };
}
