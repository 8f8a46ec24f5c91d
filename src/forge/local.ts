// The forge for local mode (no GitHub credentials): the config repo is a directory on
// this machine and webhooks are trusted by their signature alone. There are no pull
// requests or comments to post; what would have been posted is logged instead.
import { ForgeError } from '../errors.ts';
import { repoName, type CheckReport, type Forge, type MergeOutcome, type Permission, type PullRequest, type RepoId, type Review } from './types.ts';

interface Log {
  info(obj: unknown, msg?: string): void;
}

export class LocalForge implements Forge {
  readonly name = 'local';
  constructor(private readonly log: Log) {}

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
    this.log.info({ repo: repoName(repo), sha, name: check.name ?? 'gitops-canary', conclusion: check.conclusion, title: check.title }, 'check run (local mode, not posted)');
  }
}
