// The GitHub double: a stateful REST API + git smart-HTTP server on 127.0.0.1 for
// end-to-end tests of the app, with helpers to arrange state and inspect what happened.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Auth } from './auth.ts';
import { commitFiles, createAnnotatedTag, createBareRepo, git, revParse, type FileSet } from './gitrepo.ts';
import { RepoGit } from './repo-git.ts';
import { pullOr404, submitReview } from './routes/pulls.ts';
import { createRelease, ensureTag } from './routes/checks.ts';
import { createHandler, type RecordedRequest, type Unexpected, type Violation } from './server.ts';
import { Shapes } from './shapes.ts';
import { DoubleState, type Actor, type Permission, type Protection, type RepoState, type ReviewState } from './state.ts';

type Json = Record<string, unknown>;

export interface GitHubDoubleOptions {
  appId?: number;
  appSlug?: string;
  /** Lifetime of installation tokens; GitHub's is one hour. */
  tokenTtlMs?: number;
  /** Clock for timestamps and token expiry (JWTs are always checked against the real clock). */
  now?: () => Date;
  /** Check requests against GitHub's OpenAPI description (default true). */
  validate?: boolean;
}

export interface AddRepoOptions {
  owner: string;
  name: string;
  files: Record<string, string>;
  defaultBranch?: string;
  installationId?: number;
  private?: boolean;
}

export interface ProtectBranchOptions {
  requiredApprovals?: number;
  message?: string;
  requiredStatusChecks?: string[];
  dismissStaleReviews?: boolean;
  reviewersNeedWrite?: boolean;
}

export interface AddReviewOptions {
  user: string;
  /** Account type of a reviewer the double has not seen yet; by default `Bot` for a
   *  `[bot]` login, else `User`. */
  userType?: 'User' | 'Bot';
  state: ReviewState['state'];
  body?: string;
  /** Defaults to the PR's current head commit. */
  commitId?: string;
}

export interface RepoInfo extends Json {
  id: number;
  name: string;
  full_name: string;
  clone_url: string;
  default_branch: string;
  private: boolean;
  html_url: string;
  owner: Json & { login: string };
}

export class GitHubDouble {
  readonly requests: RecordedRequest[] = [];
  /** The core rate limit every REST answer reports (x-ratelimit-*); see setRateLimit. */
  readonly rate = { limit: 5000, remaining: 4999, resetAt: 0 };
  readonly violations: Violation[] = [];
  readonly unexpected: Unexpected[] = [];
  readonly appId: number;
  readonly appSlug: string;
  readonly clientId: string;
  readonly privateKey: string;
  readonly state: DoubleState;
  private readonly auth: Auth;
  private readonly shapes: Shapes;
  private readonly repoGit: RepoGit;

  constructor(
    readonly url: string,
    private readonly server: Server,
    private readonly root: string,
    opts: GitHubDoubleOptions,
  ) {
    this.appId = opts.appId ?? 4242;
    this.appSlug = opts.appSlug ?? 'gitops-canary-bot';
    this.clientId = `Iv1.double${this.appId}`;
    this.privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    this.state = new DoubleState(opts.now ?? (() => new Date()));
    this.auth = new Auth(this.privateKey, this.appId, this.clientId, this.state, opts.tokenTtlMs ?? 3_600_000);
    this.shapes = new Shapes(url);
    this.repoGit = new RepoGit(this.state);
    server.on(
      'request',
      createHandler({
        state: this.state,
        auth: this.auth,
        shapes: this.shapes,
        git: this.repoGit,
        app: { appId: this.appId, appSlug: this.appSlug, clientId: this.clientId },
        gitRoot: join(root, 'git'),
        validate: opts.validate ?? true,
        botActor: () => this.botUser,
        requests: this.requests,
        rate: this.rate,
        violations: this.violations,
        unexpected: this.unexpected,
      }),
    );
  }

  /** Publishes a container package version (ghcr.io/<owner>/<name>) with these tags; a tag
   *  moves off the version that had it, as a push to the registry moves it. */
  publishContainer(owner: string, name: string, tags: string[], digest = `sha256:${createHash('sha256').update(`${owner}/${name}:${tags.join(',')}:${Date.now()}`).digest('hex')}`): void {
    const key = `${owner}/${name}`.toLowerCase();
    const versions = this.state.packages.get(key) ?? [];
    for (const v of versions) v.tags = v.tags.filter((t) => !tags.includes(t));
    versions.push({ id: this.state.id(), digest, tags: [...tags], createdAt: this.state.timestamp() });
    this.state.packages.set(key, versions);
  }

  /** What the x-ratelimit-* headers say from now on (reset in seconds from now). Only
   *  reported, never enforced: a test drives the bot's own backoff with it. */
  setRateLimit(o: { remaining: number; limit?: number; resetInSeconds?: number }): void {
    this.rate.remaining = o.remaining;
    this.rate.limit = o.limit ?? this.rate.limit;
    this.rate.resetAt = Math.floor(Date.now() / 1000) + (o.resetInSeconds ?? 3600);
  }

  /** The user the app acts as with installation tokens, e.g. `gitops-canary-bot[bot]`. */
  get botUser(): Actor {
    return this.state.actor(`${this.appSlug}[bot]`, 'Bot');
  }

  addInstallation(opts: { id: number; account: string; accountType?: 'Organization' | 'User'; permissions?: Record<string, string> }): Json {
    const inst = {
      id: opts.id,
      account: this.state.actor(opts.account, opts.accountType ?? 'Organization'),
      permissions: opts.permissions ?? { contents: 'write', pull_requests: 'write', issues: 'write', statuses: 'write', checks: 'write', metadata: 'read', members: 'read' },
    };
    this.state.installations.set(opts.id, inst);
    return this.shapes.installation(inst, this.appId, this.appSlug);
  }

  async addRepo(opts: AddRepoOptions): Promise<RepoInfo> {
    if (this.state.repo(opts.owner, opts.name)) throw new Error(`github double: repository ${opts.owner}/${opts.name} already exists`);
    if (opts.installationId !== undefined && !this.state.installations.has(opts.installationId)) {
      throw new Error(`github double: installation ${opts.installationId} does not exist (addInstallation it first)`);
    }
    const defaultBranch = opts.defaultBranch ?? 'main';
    const bareDir = await createBareRepo(join(this.root, 'git'), opts.owner, opts.name, opts.files, defaultBranch);
    const repo: RepoState = {
      id: this.state.id(),
      owner: this.state.actor(opts.owner, this.ownerType(opts.owner)),
      name: opts.name,
      defaultBranch,
      installationId: opts.installationId,
      private: opts.private ?? true,
      bareDir,
      createdAt: this.state.timestamp(),
      permissions: new Map(),
      protections: new Map(),
      issues: new Map(),
      nextNumber: 1,
      comments: [],
      statuses: [],
      checkRuns: [],
      releases: [],
    };
    this.state.repos.set(`${opts.owner}/${opts.name}`.toLowerCase(), repo);
    return this.shapes.repo(repo) as RepoInfo;
  }

  private ownerType(login: string): Actor['type'] {
    const inst = [...this.state.installations.values()].find((i) => i.account.login.toLowerCase() === login.toLowerCase());
    return inst?.account.type ?? 'Organization';
  }

  /** Mints an installation token without going through the JWT flow. */
  installationToken(installationId: number): string {
    if (!this.state.installations.has(installationId)) throw new Error(`github double: installation ${installationId} does not exist`);
    return this.auth.issueInstallationToken(installationId).token;
  }

  /** A token acting as a human user (reviews, comments), limited by setPermission. */
  userToken(login: string): string {
    return this.auth.issueUserToken(login).token;
  }

  /** Makes every token issued so far expired, to exercise token refresh. */
  expireTokens(): void {
    for (const t of this.state.tokens.values()) t.expiresAt = 0;
  }

  setPermission(owner: string, repo: string, username: string, permission: Permission): void {
    this.state.mustRepo(owner, repo).permissions.set(username.toLowerCase(), permission);
  }

  protectBranch(owner: string, repo: string, branch: string, opts: ProtectBranchOptions = {}): void {
    const requiredApprovals = opts.requiredApprovals ?? 1;
    const rule: Protection = {
      requiredApprovals,
      message: opts.message ?? `At least ${requiredApprovals} approving review${requiredApprovals === 1 ? ' is' : 's are'} required by reviewers with write access.`,
      requiredStatusChecks: opts.requiredStatusChecks ?? [],
      dismissStaleReviews: opts.dismissStaleReviews ?? false,
      reviewersNeedWrite: opts.reviewersNeedWrite ?? false,
    };
    this.state.mustRepo(owner, repo).protections.set(branch, rule);
  }

  async addReview(owner: string, repo: string, number: number, opts: AddReviewOptions): Promise<Json> {
    const r = this.state.mustRepo(owner, repo);
    const pr = pullOr404(r, number);
    const commitId = opts.commitId ?? (await this.repoGit.headSha(r, pr));
    const review = submitReview(this.state, pr, this.state.actor(opts.user, opts.userType), opts.state, opts.body ?? '', commitId);
    return this.shapes.review(r, number, review);
  }

  async createRelease(owner: string, repo: string, opts: { tag: string; prerelease?: boolean; draft?: boolean; name?: string; body?: string; author?: string }): Promise<Json> {
    const r = this.state.mustRepo(owner, repo);
    const rel = createRelease({ state: this.state }, r, {
      tagName: opts.tag,
      prerelease: opts.prerelease ?? false,
      draft: opts.draft ?? false,
      name: opts.name ?? opts.tag,
      body: opts.body ?? null,
      author: this.state.actor(opts.author ?? 'octocat'),
    });
    await ensureTag(r, rel);
    return this.shapes.release(r, rel);
  }

  /** An annotated tag (a real tag object, as `git tag -a` makes) on `ref`; returns the
   *  tag object's sha and the commit it points at. */
  async tagAnnotated(owner: string, repo: string, tag: string, opts: { ref?: string; message?: string; tagger?: string } = {}): Promise<{ tagSha: string; commitSha: string }> {
    const r = this.state.mustRepo(owner, repo);
    const commitSha = await revParse(r.bareDir, opts.ref ?? r.defaultBranch);
    if (!commitSha) throw new Error(`github double: no commit ${opts.ref ?? r.defaultBranch} in ${owner}/${repo}`);
    const who = opts.tagger ?? 'octocat';
    const tagSha = await createAnnotatedTag(r.bareDir, tag, commitSha, opts.message ?? `Release ${tag}`, { name: who, email: `${who}@users.noreply.github.com` });
    return { tagSha, commitSha };
  }

  async pulls(owner: string, repo: string): Promise<Json[]> {
    const r = this.state.mustRepo(owner, repo);
    const prs = [...r.issues.values()].filter((i) => i.pull);
    return Promise.all(prs.map(async (pr) => this.shapes.pull(r, pr, await this.repoGit.live(r, pr))));
  }

  issues(owner: string, repo: string): Json[] {
    const r = this.state.mustRepo(owner, repo);
    return [...r.issues.values()].filter((i) => !i.pull).map((i) => this.shapes.issue(r, i, r.comments.filter((c) => c.issueNumber === i.number).length));
  }

  comments(owner: string, repo: string): Array<Json & { issue_number: number; body: string }> {
    const r = this.state.mustRepo(owner, repo);
    return r.comments.map((c) => ({ ...this.shapes.comment(r, c), issue_number: c.issueNumber, body: c.body }));
  }

  statuses(owner: string, repo: string): Array<Json & { sha: string; state: string; context: string }> {
    const r = this.state.mustRepo(owner, repo);
    return r.statuses.map((s) => ({ ...this.shapes.status(r, s), sha: s.sha, state: s.state, context: s.context }));
  }

  checkRuns(owner: string, repo: string): Json[] {
    const r = this.state.mustRepo(owner, repo);
    return r.checkRuns.map((c) => this.shapes.checkRun(r, c));
  }

  /** Every annotation of a check run, in the order they were sent. */
  checkAnnotations(owner: string, repo: string, checkRunId: number): Array<Json & { path: string; start_line: number; annotation_level: string; message: string }> {
    const c = this.state.mustRepo(owner, repo).checkRuns.find((x) => x.id === checkRunId);
    if (!c) throw new Error(`no check run ${checkRunId} in ${owner}/${repo}`);
    return c.annotations as Array<Json & { path: string; start_line: number; annotation_level: string; message: string }>;
  }

  releases(owner: string, repo: string): Json[] {
    const r = this.state.mustRepo(owner, repo);
    return r.releases.map((rel) => this.shapes.release(r, rel));
  }

  /** Runs git in the bare repository, e.g. `git(o, r, 'show', 'main:path')`. */
  git(owner: string, repo: string, ...args: string[]): Promise<string> {
    return git(this.state.mustRepo(owner, repo).bareDir, args);
  }

  bareDir(owner: string, repo: string): string {
    return this.state.mustRepo(owner, repo).bareDir;
  }

  /** Another actor pushes a commit (null content deletes a file); returns the new commit sha. */
  pushAsUser(owner: string, repo: string, files: FileSet, message: string, branch = 'main', user = 'octocat'): Promise<string> {
    const r = this.state.mustRepo(owner, repo);
    return commitFiles(r.bareDir, branch, files, message, { name: user, email: `${user}@users.noreply.github.com` }, r.defaultBranch);
  }

  assertNoViolations(): void {
    const lines = [
      ...this.violations.map((v) => `contract violation: ${v.method} ${v.path}${v.operationId ? ` (${v.operationId})` : ''}: ${v.problems.join('; ')}`),
      ...this.unexpected.map((u) => `unexpected request: ${u.method} ${u.path}${u.operationId ? ` (${u.operationId})` : ''}: ${u.reason}`),
    ];
    if (lines.length) throw new Error(`github double saw ${lines.length} problem(s):\n${lines.join('\n')}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await rm(this.root, { recursive: true, force: true });
  }
}

export async function startGitHubDouble(opts: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
  const root = await mkdtemp(join(tmpdir(), 'github-double-'));
  const server = createServer();
  // Git clients keep connections alive between the ref advertisement and the pack request.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return new GitHubDouble(`http://127.0.0.1:${port}`, server, root, opts);
}
