// Webhook payloads built from GitHub's real examples (@octokit/webhooks-examples), with only
// the scenario's fields overridden, so handlers see every field GitHub really sends.
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import type {
  CreateEvent,
  IssueCommentEvent,
  PackageEvent,
  PullRequestEvent,
  PullRequestReviewEvent,
  PushEvent,
  RegistryPackageEvent,
  ReleaseEvent,
} from '@octokit/webhooks-types';

type Obj = Record<string, unknown>;

interface Definition {
  name: string;
  examples: Obj[];
}

let definitions: Definition[] | undefined;

function example(event: string, action?: string): Obj {
  definitions ??= createRequire(import.meta.url)('@octokit/webhooks-examples') as Definition[];
  const def = definitions.find((d) => d.name === event);
  const candidates = (def?.examples ?? []).filter((e) => action === undefined || e.action === action);
  // Examples delivered to an app carry `installation`; prefer those as the closest shape.
  const chosen = candidates.find((e) => 'installation' in e) ?? candidates[0];
  if (!chosen) throw new Error(`no @octokit/webhooks-examples example for ${event}${action ? `.${action}` : ''}`);
  return structuredClone(chosen);
}

function at(o: Obj, ...keys: string[]): Obj {
  let cur = o;
  for (const k of keys) {
    if (cur[k] === null || typeof cur[k] !== 'object') cur[k] = {};
    cur = cur[k] as Obj;
  }
  return cur;
}

export interface RepoOptions {
  owner: string;
  repo: string;
  installationId: number;
  /** Login of whoever triggered the event. */
  sender?: string;
  defaultBranch?: string;
  private?: boolean;
  /** The double's URL; clone_url then points at its git endpoint. */
  baseUrl?: string;
  repoId?: number;
}

const userIds = new Map<string, number>();

function user(base: unknown, login: string): Obj {
  const u = structuredClone((base ?? {}) as Obj);
  if (!userIds.has(login)) userIds.set(login, 7_000_000 + userIds.size);
  Object.assign(u, { login, id: userIds.get(login), url: `https://api.github.com/users/${login}`, html_url: `https://github.com/${login}`, type: login.endsWith('[bot]') ? 'Bot' : 'User' });
  return u;
}

function applyRepo(p: Obj, o: RepoOptions): Obj {
  const repo = at(p, 'repository');
  const fullName = `${o.owner}/${o.repo}`;
  const cloneUrl = o.baseUrl ? `${o.baseUrl}/git/${fullName}.git` : `https://github.com/${fullName}.git`;
  Object.assign(repo, {
    id: o.repoId ?? repo.id,
    name: o.repo,
    full_name: fullName,
    private: o.private ?? true,
    html_url: `https://github.com/${fullName}`,
    url: o.baseUrl ? `${o.baseUrl}/repos/${fullName}` : `https://api.github.com/repos/${fullName}`,
    clone_url: cloneUrl,
    git_url: cloneUrl,
    default_branch: o.defaultBranch ?? 'main',
    master_branch: o.defaultBranch ?? 'main',
  });
  repo.owner = { ...user(repo.owner, o.owner), type: 'Organization' };
  if (p.organization && typeof p.organization === 'object') Object.assign(p.organization as Obj, { login: o.owner });
  p.installation = { id: o.installationId, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${o.installationId}` };
  p.sender = user(p.sender, o.sender ?? 'octocat');
  return repo;
}

export function releasePayload(o: RepoOptions & { tag: string; action?: 'published' | 'created' | 'prereleased' | 'released' | 'edited'; prerelease?: boolean; draft?: boolean; name?: string; releaseId?: number; targetCommitish?: string }): ReleaseEvent {
  const action = o.action ?? 'published';
  const p = example('release', action);
  applyRepo(p, o);
  const r = at(p, 'release');
  Object.assign(r, {
    id: o.releaseId ?? r.id,
    tag_name: o.tag,
    name: o.name ?? o.tag,
    prerelease: o.prerelease ?? false,
    draft: o.draft ?? false,
    target_commitish: o.targetCommitish ?? o.defaultBranch ?? 'main',
    html_url: `https://github.com/${o.owner}/${o.repo}/releases/tag/${o.tag}`,
  });
  r.author = user(r.author, o.sender ?? 'octocat');
  return p as unknown as ReleaseEvent;
}

export function createTagPayload(o: RepoOptions & { tag: string; refType?: 'tag' | 'branch' }): CreateEvent {
  const p = example('create');
  applyRepo(p, o);
  Object.assign(p, { ref: o.tag, ref_type: o.refType ?? 'tag', master_branch: o.defaultBranch ?? 'main' });
  return p as unknown as CreateEvent;
}

/** `sha`: the tagged commit. A lightweight tag's push carries it as `after` too; for an
 *  annotated tag GitHub sends the tag OBJECT's sha as `after` and the commit only as
 *  `head_commit.id`, so pass `annotated: { tagSha }` (see GitHubDouble.tagAnnotated). */
export function pushTagPayload(o: RepoOptions & { tag: string; sha?: string; annotated?: { tagSha: string } }): PushEvent {
  const p = example('push');
  applyRepo(p, o);
  const sha = o.sha ?? (p.after as string);
  Object.assign(p, {
    ref: `refs/tags/${o.tag}`,
    before: '0000000000000000000000000000000000000000',
    after: o.annotated?.tagSha ?? sha,
    created: true,
    deleted: false,
    forced: false,
    base_ref: null,
    commits: [],
    compare: `https://github.com/${o.owner}/${o.repo}/compare/${o.tag}`,
  });
  Object.assign(at(p, 'head_commit'), { id: sha, tree_id: sha });
  Object.assign(at(p, 'pusher'), { name: o.sender ?? 'octocat', email: `${o.sender ?? 'octocat'}@users.noreply.github.com` });
  return p as unknown as PushEvent;
}

export interface PackageOptions extends RepoOptions {
  /** Image name within the owner, e.g. `api` for ghcr.io/acme/api. */
  packageName: string;
  tag: string;
  digest?: string;
  action?: 'published' | 'updated';
  packageType?: string;
}

function packageObject(o: PackageOptions, base: Obj, defaultType: string): Obj {
  const pkg = structuredClone(base);
  const digest = o.digest ?? `sha256:${'ab'.repeat(32)}`;
  const type = o.packageType ?? defaultType;
  Object.assign(pkg, {
    name: o.packageName,
    namespace: `${o.owner}/${o.repo}`,
    ecosystem: 'CONTAINER',
    package_type: type,
    html_url: `https://github.com/orgs/${o.owner}/packages/container/package/${o.packageName}`,
  });
  pkg.owner = user(pkg.owner, o.owner);
  const v = at(pkg, 'package_version');
  Object.assign(v, { version: digest, name: digest, package_url: `ghcr.io/${o.owner}/${o.packageName}:${o.tag}` });
  delete v.release;
  const meta = at(v, 'container_metadata');
  meta.tag = { name: o.tag, digest };
  Object.assign(at(meta, 'manifest'), { digest });
  pkg.registry = { about_url: 'https://docs.github.com/packages', name: 'GitHub CONTAINER registry', type: 'CONTAINER', url: `https://ghcr.io/${o.owner}`, vendor: 'GitHub Inc' };
  return pkg;
}

function containerPackageExample(action: string): Obj {
  const p = example('package', action);
  if ((p.package as Obj | undefined)?.package_version && (at(p, 'package', 'package_version').container_metadata)) return p;
  // Fall back to the one example that carries container metadata, keeping the action asked for.
  const withMeta = (definitions ?? []).find((d) => d.name === 'package')!.examples.find((e) => (e.package as Obj)?.package_version && ((e.package as Obj).package_version as Obj).container_metadata);
  return { ...structuredClone(withMeta ?? p), action };
}

export function packagePayload(o: PackageOptions): PackageEvent {
  const action = o.action ?? 'published';
  const p = containerPackageExample(action);
  applyRepo(p, o);
  p.package = packageObject(o, p.package as Obj, 'container');
  return p as unknown as PackageEvent;
}

/**
 * The examples package has no registry_package example; GitHub sends the same package
 * object under `registry_package`, with the container type spelled `CONTAINER`.
 */
export function registryPackagePayload(o: PackageOptions): RegistryPackageEvent {
  const action = o.action ?? 'published';
  const p = containerPackageExample(action);
  applyRepo(p, o);
  p.registry_package = packageObject(o, p.package as Obj, 'CONTAINER');
  delete p.package;
  return p as unknown as RegistryPackageEvent;
}

export interface PullRequestOptions extends RepoOptions {
  number: number;
  headRef: string;
  baseRef?: string;
  action?: 'opened' | 'closed' | 'reopened' | 'synchronize' | 'edited';
  merged?: boolean;
  title?: string;
  body?: string;
  headSha?: string;
  mergeCommitSha?: string;
  /** PR author; defaults to the sender. */
  author?: string;
}

function applyPull(p: Obj, o: PullRequestOptions, repo: Obj): Obj {
  const pr = at(p, 'pull_request');
  const closed = o.action === 'closed';
  Object.assign(pr, {
    number: o.number,
    title: o.title ?? pr.title,
    body: o.body ?? pr.body,
    state: closed ? 'closed' : 'open',
    merged: o.merged ?? false,
    merged_at: o.merged ? '2024-01-01T00:00:00Z' : null,
    merge_commit_sha: o.mergeCommitSha ?? pr.merge_commit_sha ?? null,
    closed_at: closed ? '2024-01-01T00:00:00Z' : null,
    html_url: `https://github.com/${o.owner}/${o.repo}/pull/${o.number}`,
    url: `https://api.github.com/repos/${o.owner}/${o.repo}/pulls/${o.number}`,
  });
  pr.user = user(pr.user, o.author ?? o.sender ?? 'octocat');
  Object.assign(at(pr, 'head'), { ref: o.headRef, label: `${o.owner}:${o.headRef}`, sha: o.headSha ?? at(pr, 'head').sha, repo });
  Object.assign(at(pr, 'base'), { ref: o.baseRef ?? o.defaultBranch ?? 'main', label: `${o.owner}:${o.baseRef ?? o.defaultBranch ?? 'main'}`, repo });
  return pr;
}

export function pullRequestPayload(o: PullRequestOptions): PullRequestEvent {
  const action = o.action ?? 'opened';
  const p = example('pull_request', action);
  const repo = applyRepo(p, o);
  p.number = o.number;
  applyPull(p, o, repo);
  return p as unknown as PullRequestEvent;
}

export function pullRequestReviewPayload(
  o: PullRequestOptions & { reviewer: string; state?: 'approved' | 'changes_requested' | 'commented' | 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED'; reviewBody?: string; reviewAction?: 'submitted' | 'edited' | 'dismissed' },
): PullRequestReviewEvent {
  const p = example('pull_request_review', o.reviewAction ?? 'submitted');
  const repo = applyRepo(p, { ...o, sender: o.sender ?? o.reviewer });
  applyPull(p, { ...o, action: o.action ?? 'opened' }, repo);
  const review = at(p, 'review');
  Object.assign(review, {
    state: (o.state ?? 'approved').toLowerCase(),
    body: o.reviewBody ?? null,
    commit_id: o.headSha ?? review.commit_id,
    html_url: `https://github.com/${o.owner}/${o.repo}/pull/${o.number}#pullrequestreview-${review.id}`,
    pull_request_url: `https://api.github.com/repos/${o.owner}/${o.repo}/pulls/${o.number}`,
  });
  review.user = user(review.user, o.reviewer);
  return p as unknown as PullRequestReviewEvent;
}

export function issueCommentPayload(
  o: RepoOptions & { issueNumber: number; body: string; commenter: string; isPullRequest?: boolean; commentId?: number; action?: 'created' | 'edited' | 'deleted' },
): IssueCommentEvent {
  const p = example('issue_comment', o.action ?? 'created');
  applyRepo(p, { ...o, sender: o.sender ?? o.commenter });
  const issue = at(p, 'issue');
  const api = `https://api.github.com/repos/${o.owner}/${o.repo}`;
  Object.assign(issue, { number: o.issueNumber, url: `${api}/issues/${o.issueNumber}`, html_url: `https://github.com/${o.owner}/${o.repo}/${o.isPullRequest === false ? 'issues' : 'pull'}/${o.issueNumber}` });
  if (o.isPullRequest === false) delete issue.pull_request;
  else issue.pull_request = { url: `${api}/pulls/${o.issueNumber}`, html_url: `https://github.com/${o.owner}/${o.repo}/pull/${o.issueNumber}`, diff_url: `https://github.com/${o.owner}/${o.repo}/pull/${o.issueNumber}.diff`, patch_url: `https://github.com/${o.owner}/${o.repo}/pull/${o.issueNumber}.patch`, merged_at: null };
  const comment = at(p, 'comment');
  Object.assign(comment, { id: o.commentId ?? comment.id, body: o.body, issue_url: `${api}/issues/${o.issueNumber}` });
  comment.user = user(comment.user, o.commenter);
  return p as unknown as IssueCommentEvent;
}

/** X-Hub-Signature-256 value for a raw webhook body. */
export function sign(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
