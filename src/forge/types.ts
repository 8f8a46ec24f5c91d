// What the bot needs from a code host. One interface, one file per implementation
// (GitHub through Octokit, and a local one for running without GitHub).

export interface RepoId {
  owner: string;
  name: string;
}

export function repoName(r: RepoId): string {
  return `${r.owner}/${r.name}`;
}

export function parseRepoName(s: string): RepoId {
  const [owner, name, ...rest] = s.split('/');
  if (!owner || !name || rest.length) throw new Error(`expected owner/name, got "${s}"`);
  return { owner, name };
}

export interface PullRequest {
  number: number;
  url: string;
  head: string;
  headSha: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeable?: boolean | null;
}

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface MergeOutcome {
  merged: boolean;
  sha?: string;
  /** Why the host refused (branch protection, conflicts), in its own words. */
  message: string;
}

export interface Forge {
  readonly name: string;
  findPullRequest(repo: RepoId, head: string): Promise<PullRequest | null>;
  getPullRequest(repo: RepoId, number: number): Promise<PullRequest>;
  openOrUpdatePullRequest(repo: RepoId, pr: { head: string; base: string; title: string; body: string }): Promise<{ pr: PullRequest; created: boolean }>;
  /** Each reviewer's latest decisive review on the PR, as data: whose approvals count is
   *  the bot's decision (src/bot/approvals.ts), not the host's. */
  reviews(repo: RepoId, number: number): Promise<Review[]>;
  /** `message` is the merge commit body; squash merges need it to keep the bot's trailers. */
  merge(repo: RepoId, number: number, opts: { method: 'merge' | 'squash' | 'rebase'; sha?: string; title?: string; message?: string }): Promise<MergeOutcome>;
  comment(repo: RepoId, issue: number, body: string): Promise<{ url?: string }>;
  permission(repo: RepoId, user: string): Promise<Permission>;
  /** The commit a tag of the app repo points at, or null when the host does not know it. */
  tagCommit(repo: RepoId, tag: string): Promise<string | null>;
  /** Reports back on the app repo: a commit status on the tag's commit linking the change. */
  reportStatus(repo: RepoId, sha: string, status: { state: 'pending' | 'success' | 'failure' | 'error'; url?: string; description: string }): Promise<void>;
  /** A completed check run on a config-repo commit (a bot PR's head). */
  reportCheck(repo: RepoId, sha: string, check: CheckReport): Promise<void>;
  /** The newest releases and tags of an app's source repo, for reconciliation; null when
   *  the host cannot reach that repo (not installed, no local source repo). */
  sourceTags(repo: RepoId): Promise<SourceTags | null>;
  /** The tags of a container package the host keeps (GitHub Packages for ghcr.io), newest
   *  version first; null when the host has no such package or none at all. */
  packageTags(owner: string, name: string): Promise<SourceTags | null>;
}

/** A tag an app's source offers: a release's tag (with its prerelease flag) or a plain tag. */
export interface SourceTag {
  tag: string;
  release: boolean;
  prerelease: boolean;
  /** Read from the app's registry: the tag is the image tag itself, no template applies. */
  registry?: boolean;
}

export interface SourceTags {
  tags: SourceTag[];
  /** False when nothing changed since the last look (every conditional request was
   *  answered "not modified"): such a look costs no rate limit. */
  changed: boolean;
}

/** Releases win over plain tags of the same name: they carry the prerelease flag. */
export function mergeSourceTags(releases: SourceTag[], tags: SourceTag[]): SourceTag[] {
  const seen = new Set(releases.map((r) => r.tag));
  return [...releases, ...tags.filter((t) => !seen.has(t.tag))];
}

/** A reviewer's latest decisive review. Comments neither give nor withdraw approval, so
 *  they never appear here; a dismissed approval does, as DISMISSED. */
export interface Review {
  login: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'DISMISSED';
  /** The host says the account is an app or other bot (GitHub: `user.type === 'Bot'`). */
  bot: boolean;
}

export interface CheckReport {
  /** The check run's name; `gitops-canary` (the plan's) unless given. */
  name?: string;
  conclusion: 'success' | 'neutral' | 'failure';
  title: string;
  /** Markdown. */
  summary: string;
  /** Findings placed on file and line of the commit; any number (the forge batches them). */
  annotations?: CheckAnnotation[];
}

export interface CheckAnnotation {
  /** Repo-relative path. */
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  message: string;
  title?: string;
}
