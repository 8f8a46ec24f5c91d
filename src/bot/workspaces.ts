// One warm working copy per config repo, reused across events (never a clone per
// event). Work on one repo is serialized in this process; across replicas, git's
// fast-forward-only pushes decide who wins and the loser re-plans.
import path from 'node:path';
import { Workspace } from '../git/workspace.ts';
import { repoName } from '../forge/types.ts';
import type { ConfigRepo } from './types.ts';

export class WorkspacePool {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {}

  dirFor(repo: ConfigRepo): string {
    return path.join(this.root, repo.id.owner, repo.id.name);
  }

  /** Runs `fn` with the repo's working copy, one job per repo at a time. The token is
   *  given per call because installation tokens expire. */
  with<T>(repo: ConfigRepo, token: string | undefined, fn: (ws: Workspace) => Promise<T>): Promise<T> {
    const key = repoName(repo.id);
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(
      async () => fn(await Workspace.open({ dir: this.dirFor(repo), remoteUrl: repo.cloneUrl, token })),
      async () => fn(await Workspace.open({ dir: this.dirFor(repo), remoteUrl: repo.cloneUrl, token })),
    );
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return run;
  }
}
