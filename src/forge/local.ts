// The forge for local mode (no GitHub credentials): the config repo is a directory on
// this machine and webhooks are trusted by their signature alone. There are no pull
// requests or comments to post; what would have been posted is logged instead.
import path from 'node:path';
import { ForgeError } from '../errors.ts';
import { listTags } from '../git/tags.ts';
import { repoName, type SourceTags, type CheckReport, type Forge, type MergeOutcome, type Permission, type PullRequest, type RepoId, type Review } from './types.ts';

interface Log {
  info(obj: unknown, msg?: string): void;
}

export class LocalForge implements Forge {
  readonly name = 'local';
  // what each source's tags were at the last look, to say whether anything changed
  private readonly seen = new Map<string, string>();

  /** `sourcesDir`: where app source repos live on this machine, as `<owner>/<name>` (or
   *  `<owner>/<name>.git`); their tags stand in for GitHub releases. */
  constructor(
    private readonly log: Log,
    private readonly sourcesDir?: string,
  ) {}

  async packageTags(): Promise<SourceTags | null> {
    // no package host on this machine: image tags come from the registry itself
    return null;
  }

  async sourceTags(repo: RepoId): Promise<SourceTags | null> {
    if (!this.sourcesDir) return null;
    for (const dir of [path.join(this.sourcesDir, repo.owner, repo.name), path.join(this.sourcesDir, repo.owner, `${repo.name}.git`)]) {
      const found = await listTags(dir);
      if (!found) continue;
      const tags = found.map((t) => ({ tag: t.name, release: t.annotated, prerelease: t.prerelease }));
      const key = JSON.stringify(tags);
      const changed = this.seen.get(dir) !== key;
      this.seen.set(dir, key);
      return { tags, changed };
    }
    return null;
  }

  async findPullRequest(): Promise<PullRequest | null> {
    return null;
  }

  async getPullRequest(_repo: RepoId, number: number): Promise<PullRequest> {
    throw new ForgeError('FORGE_LOCAL_NO_PR', `local mode has no pull request #${number}`);
  }

  async openOrUpdatePullRequest(): Promise<{ pr: PullRequest; created: boolean }> {
    throw new ForgeError('FORGE_LOCAL_NO_PR', 'local mode cannot open pull requests; set `delivery: commit` for the app or run with GitHub credentials');
  }

  async reviews(): Promise<Review[]> {
    // No pull requests, so no reviews.
    return [];
  }

  async merge(): Promise<MergeOutcome> {
    return { merged: false, message: 'local mode has no pull requests to merge' };
  }

  async comment(repo: RepoId, issue: number, body: string): Promise<{ url?: string }> {
    this.log.info({ repo: repoName(repo), issue, body }, 'comment (local mode, not posted)');
    return {};
  }

  async permission(): Promise<Permission> {
    // Only holders of the webhook secret can reach the bot in local mode.
    return 'admin';
  }

  async tagCommit(): Promise<string | null> {
    // The app repo is not on this machine in local mode; there is nothing to report on.
    return null;
  }

  async reportStatus(repo: RepoId, sha: string, status: { state: string; url?: string; description: string }): Promise<void> {
    this.log.info({ repo: repoName(repo), sha, ...status }, 'status (local mode, not posted)');
  }

  async reportCheck(repo: RepoId, sha: string, check: CheckReport): Promise<void> {
    this.log.info({ repo: repoName(repo), sha, name: check.name ?? 'gitops-canary', conclusion: check.conclusion, title: check.title, annotations: check.annotations?.length ?? 0 }, 'check run (local mode, not posted)');
  }
}
