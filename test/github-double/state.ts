// In-memory model of the GitHub objects the double serves. Git content lives in the
// bare repositories; everything GitHub keeps outside git (PRs, reviews, statuses) lives here.
export type Permission = 'admin' | 'write' | 'read' | 'none';

export interface Actor {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

export interface Installation {
  id: number;
  account: Actor;
  permissions: Record<string, string>;
}

export interface Protection {
  requiredApprovals: number;
  message: string;
  /** Contexts that must have a `success` status on the head commit. */
  requiredStatusChecks: string[];
  /** Only count approvals given on the current head commit. */
  dismissStaleReviews: boolean;
  /** Only count approvals from users with write or admin permission (GitHub's rule). */
  reviewersNeedWrite: boolean;
}

export interface ReviewState {
  id: number;
  user: Actor;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  body: string;
  commitId: string;
  submittedAt: string;
}

export interface PullState {
  head: string;
  base: string;
  /** Last head commit seen; survives deletion of the head branch. */
  headSha: string;
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergedBy: Actor | null;
  mergeCommitSha: string | null;
  maintainerCanModify: boolean;
  reviews: ReviewState[];
}

export interface IssueState {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  user: Actor;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  pull?: PullState;
}

export interface CommentState {
  id: number;
  issueNumber: number;
  body: string;
  user: Actor;
  createdAt: string;
  updatedAt: string;
}

export interface StatusState {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: Actor;
  createdAt: string;
}

export interface CheckRunState {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  output: unknown;
  detailsUrl: string | null;
  externalId: string | null;
  startedAt: string;
  completedAt: string | null;
  /** Every annotation sent, create's and each update's: GitHub appends, never replaces. */
  annotations: unknown[];
}

export interface ReleaseState {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  author: Actor;
  createdAt: string;
  publishedAt: string | null;
}

export interface RepoState {
  id: number;
  owner: Actor;
  name: string;
  defaultBranch: string;
  installationId?: number;
  private: boolean;
  bareDir: string;
  createdAt: string;
  permissions: Map<string, Permission>;
  protections: Map<string, Protection>;
  issues: Map<number, IssueState>;
  nextNumber: number;
  comments: CommentState[];
  statuses: StatusState[];
  checkRuns: CheckRunState[];
  releases: ReleaseState[];
}

export interface TokenState {
  token: string;
  /** Installation tokens are scoped to one installation; user tokens act as that user everywhere. */
  installationId?: number;
  user?: Actor;
  expiresAt: number;
}

/** A container package version: its digest (the version's name on GitHub) and tags. */
export interface PackageVersionState {
  id: number;
  digest: string;
  tags: string[];
  createdAt: string;
}

export class DoubleState {
  readonly installations = new Map<number, Installation>();
  /** Container packages by `owner/name` (lower case), newest version last. */
  readonly packages = new Map<string, PackageVersionState[]>();
  readonly repos = new Map<string, RepoState>();
  readonly tokens = new Map<string, TokenState>();
  private readonly users = new Map<string, Actor>();
  private nextId = 1000;

  constructor(readonly now: () => Date) {}

  id(): number {
    return this.nextId++;
  }

  timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  actor(login: string, type: Actor['type'] = login.endsWith('[bot]') ? 'Bot' : 'User'): Actor {
    const key = login.toLowerCase();
    let a = this.users.get(key);
    if (!a) {
      a = { login, id: this.id(), type };
      this.users.set(key, a);
    }
    return a;
  }

  repo(owner: string, name: string): RepoState | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  mustRepo(owner: string, name: string): RepoState {
    const r = this.repo(owner, name);
    if (!r) throw new Error(`github double: no repository ${owner}/${name} (addRepo it first)`);
    return r;
  }

  /** GitHub: PRs and issues share one number sequence per repository. */
  newIssue(repo: RepoState, fields: Pick<IssueState, 'title' | 'body' | 'user'> & { labels?: string[]; pull?: PullState }): IssueState {
    const now = this.timestamp();
    const issue: IssueState = {
      number: repo.nextNumber++,
      id: this.id(),
      title: fields.title,
      body: fields.body,
      state: 'open',
      user: fields.user,
      labels: fields.labels ?? [],
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      pull: fields.pull,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  permission(repo: RepoState, login: string): Permission {
    const explicit = repo.permissions.get(login.toLowerCase());
    if (explicit) return explicit;
    if (repo.owner.login.toLowerCase() === login.toLowerCase()) return 'admin';
    // Everyone can read a public repository; nobody unknown can see a private one.
    return repo.private ? 'none' : 'read';
  }
}
