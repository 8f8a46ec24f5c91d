// The Probot app: which event goes to which handler, nothing else. Every handler is
// guarded: a failure is logged on one line, never with the payload.
import type { Probot } from 'probot';
import { onComment } from './handlers/comment.ts';
import { onPackage, onRegistryPackage } from './handlers/package.ts';
import { onRelease } from './handlers/release.ts';
import { onPullRequestHead } from './handlers/pr-check.ts';
import { onPullRequestClosed, onReview } from './handlers/review.ts';
import { guard } from './handlers/guard.ts';
import type { Runtime } from './handlers/runtime.ts';
import { onCreate, onPush } from './handlers/tag.ts';

export function createApp(rt: Runtime) {
  return (app: Probot) => {
    app.on(['release.published', 'release.prereleased'], guard(onRelease(rt)));
    app.on('create', guard(onCreate(rt)));
    app.on('push', guard(onPush(rt)));
    app.on('package.published', guard(onPackage(rt)));
    app.on('registry_package.published', guard(onRegistryPackage(rt)));
    app.on('pull_request_review.submitted', guard(onReview(rt)));
    app.on('pull_request.closed', guard(onPullRequestClosed(rt)));
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], guard(onPullRequestHead(rt)));
    app.on('issue_comment.created', guard(onComment(rt)));
  };
}
