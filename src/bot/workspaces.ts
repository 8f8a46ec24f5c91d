// One warm working copy per config repo, reused across events (never a clone per
// event). Work on one repo is serialized in this process, and across processes that
// share WORK_DIR by a lock file beside the clone; across replicas with clones of their
// own, git's fast-forward-only pushes decide who wins and the loser re-plans.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { acquireLock, type LockHolder } from '../git/lock.ts';
import { removeStaleGitLocks } from '../git/stale-locks.ts';
import { forgetWorkingCopy, Workspace } from '../git/workspace.ts';
import { repoName } from '../forge/types.ts';
import type { ConfigRepo } from './types.ts';

export interface PoolOptions {
  /** How long a job waits for another process's job on the same clone (default 5 min). */
  lockTimeoutMs?: number;
  /** Told when a job waits for another process, or takes over a dead one's clone. */
  onLock?: (event: { repo: string; waitingFor?: LockHolder | null; tookOver?: LockHolder; removedGitLocks?: string[] }) => void;
}

export class WorkspacePool {
  /** Written beside each clone by the pool that used it last: when it is not this one,
   *  another process worked there and nothing this process remembers of it holds. */
  private readonly id = `${process.pid}-${randomUUID()}`;
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Opened working copies, reused while the clone URL and token stay the same (opening
   *  checks the remote and attributes, a few git calls per event for nothing). */
  private readonly open = new Map<string, { url: string; token?: string; ws: Workspace }>();

  constructor(
    readonly root: string,
    private readonly opts: PoolOptions = {},
  ) {}

  dirFor(repo: ConfigRepo): string {
    return path.join(this.root, repo.id.owner, repo.id.name);
  }

  /** Runs `fn` with the repo's working copy, one job per repo at a time. The token is
   *  given per call because installation tokens expire. */
  with<T>(repo: ConfigRepo, token: string | undefined, fn: (ws: Workspace) => Promise<T>): Promise<T> {
    const key = repoName(repo.id);
    const prev = this.locks.get(key) ?? Promise.resolve();
    const go = () => this.locked(key, repo, () => this.workspace(key, repo, token).then(fn));
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

  private async locked<T>(key: string, repo: ConfigRepo, fn: () => Promise<T>): Promise<T> {
    const dir = this.dirFor(repo);
    await mkdir(path.dirname(dir), { recursive: true });
    const lock = await acquireLock(`${dir}.lock`, {
      what: `gitops-canary bot working on ${key}`,
      timeoutMs: this.opts.lockTimeoutMs ?? 5 * 60_000,
      onWait: (holder) => this.opts.onLock?.({ repo: key, waitingFor: holder }),
    });
    try {
      if (lock.tookOver) this.opts.onLock?.({ repo: key, tookOver: lock.tookOver });
      const stamp = `${dir}.last-user`;
      if ((await readFile(stamp, 'utf8').catch(() => null)) !== this.id) {
        forgetWorkingCopy(dir);
        // another process worked here last and may have been killed inside a git write
        const removed = await removeStaleGitLocks(dir);
        if (removed.length) this.opts.onLock?.({ repo: key, removedGitLocks: removed });
        await writeFile(stamp, this.id, 'utf8');
      }
      return await fn();
    } finally {
      await lock.release();
    }
  }

  private async workspace(key: string, repo: ConfigRepo, token: string | undefined): Promise<Workspace> {
    const known = this.open.get(key);
    if (known && known.url === repo.cloneUrl && known.token === token) return known.ws;
    const ws = await Workspace.open({ dir: this.dirFor(repo), remoteUrl: repo.cloneUrl, token });
    this.open.set(key, { url: repo.cloneUrl, token, ws });
    return ws;
  }
}
