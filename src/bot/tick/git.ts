// Git writes the scheduler needs beyond one file change: empty "marker" commits (gate
// counts, pause/resume) and a rollout undone as several reverts pushed together. Both use
// the same compare-and-swap as Workspace.commitAndPush: work on a fresh tree, push
// fast-forward only, and on a rejected push start over from the new remote head, where
// `work` re-reads the state and may find there is nothing left to do.
import { GitError } from '../../errors.ts';
import { formatMessage } from '../../git/trailers.ts';
import type { LogEntry, Workspace } from '../../git/workspace.ts';
import type { Trailers } from '../../plan.ts';

export interface Marker {
  subject: string;
  body?: string;
  trailers: Trailers;
}

export interface Pushed {
  /** The new branch head. */
  sha: string;
  /** Every commit made, oldest first. */
  commits: string[];
  attempts: number;
}

export interface LoopOptions {
  /** False: the first attempt works on the branch as last fetched or pushed (a scheduler
   *  tick fetched once for all its apps; a rejected push fetches). */
  fetch?: boolean;
  attempts?: number;
}

/** Runs `work` on a fresh `branch` and pushes what it committed. `work` returns the shas it
 *  committed (oldest first), or null/[] when there is nothing to do. */
export async function pushLoop(ws: Workspace, branch: string | undefined, work: () => Promise<string[] | null>, opts: LoopOptions = {}): Promise<Pushed | null> {
  const attempts = opts.attempts ?? 5;
  return ws.exclusive(async () => {
    const target = branch ?? (await ws.defaultBranch());
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await ws.sync(target, { fetch: attempt > 1 || opts.fetch !== false });
      let commits: string[] | null;
      try {
        commits = await work();
      } catch (err) {
        await ws.sync(target).catch(() => undefined);
        throw err;
      }
      if (!commits || commits.length === 0) return null;
      if (!ws.remote) return { sha: commits[commits.length - 1], commits, attempts: attempt };
      try {
        await ws.push(target);
        return { sha: commits[commits.length - 1], commits, attempts: attempt };
      } catch (err) {
        lastError = err;
        if (!(err instanceof GitError) || err.code !== 'GIT_PUSH_REJECTED') {
          await ws.sync(target).catch(() => undefined);
          throw err;
        }
      }
    }
    await ws.sync(target).catch(() => undefined);
    throw new GitError('GIT_PUSH_REJECTED', `git push to ${target} rejected ${attempts} time(s): the branch keeps moving; giving up`, {}, { transient: true, cause: lastError });
  });
}

/** An empty commit carrying trailers only. `build` runs on the fresh tree before every
 *  attempt; null means the marker is no longer wanted. */
export async function commitMarker(ws: Workspace, branch: string | undefined, build: () => Promise<Marker | null>, opts: LoopOptions = {}): Promise<Pushed | null> {
  return pushLoop(
    ws,
    branch,
    async () => {
      const marker = await build();
      if (!marker) return null;
      return [await ws.commitMessage(formatMessage(marker), ['--allow-empty'])];
    },
    opts,
  );
}

export interface RevertPlan {
  /** Newest first: the order they must be reverted in. */
  targets: LogEntry[];
  marker(target: LogEntry, index: number): Marker;
}

/** One revert commit per target, newest first, pushed together. `plan` runs on the fresh
 *  tree before every attempt; null means there is nothing to revert any more. */
export async function revertAll(ws: Workspace, branch: string | undefined, plan: () => Promise<RevertPlan | null>, opts: LoopOptions = {}): Promise<Pushed | null> {
  return pushLoop(
    ws,
    branch,
    async () => {
      const p = await plan();
      if (!p) return null;
      const made: string[] = [];
      for (const [i, target] of p.targets.entries()) {
        const m = p.marker(target, i);
        const sha = await ws.revert(target.sha, { subject: m.subject, trailers: m.trailers, ...(m.body ? { body: m.body } : {}) });
        if (sha) made.push(sha);
      }
      return made;
    },
    opts,
  );
}
