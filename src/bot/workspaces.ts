// One warm working copy per config repo, reused across events (never a clone per
// event). Work on one repo is serialized in this process; across replicas, git's
// fast-forward-only pushes decide who wins and the loser re-plans.
import path from 'node:path';
import { Workspace } from '../git/workspace.ts';
import { repoName } from '../forge/types.ts';
import type { ConfigRepo } from './types.ts';

export class WorkspacePool {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Opened working copies, reused while the clone URL and token stay the same (opening
   *  checks the remote and attributes, a few git calls per event for nothing). */
  private readonly open = new Map<string, { url: string; token?: string; ws: Workspace }>();

  constructor(readonly root: string) {}

  dirFor(repo: ConfigRepo): string {
    return path.join(this.root, repo.id.owner, repo.id.name);
  }

  /** Runs `fn` with the repo's working copy, one job per repo at a time. The token is
   *  given per call because installation tokens expire. */
  with<T>(repo: ConfigRepo, token: string | undefined, fn: (ws: Workspace) => Promise<T>): Promise<T> {
    const key = repoName(repo.id);
    const prev = this.locks.get(key) ?? Promise.resolve();
    const go = async () => fn(await this.workspace(key, repo, token));
    const run = prev.then(go, go);
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return run;
  }

  /** Resolves once no job holds a working copy, including jobs queued while waiting. */
  async idle(): Promise<void> {
    while (this.locks.size > 0) await Promise.all(this.locks.values());
  }

  private async workspace(key: string, repo: ConfigRepo, token: string | undefined): Promise<Workspace> {
    const known = this.open.get(key);
    if (known && known.url === repo.cloneUrl && known.token === token) return known.ws;
    const ws = await Workspace.open({ dir: this.dirFor(repo), remoteUrl: repo.cloneUrl, token });
    this.open.set(key, { url: repo.cloneUrl, token, ws });
    return ws;
  }
}
