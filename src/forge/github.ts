// The GitHub implementation of Forge, over the installation-authenticated Octokit that
// Probot hands each event. Errors from the API become ForgeError with the HTTP status;
// 5xx and timeouts are transient, everything else is not.
import type { ProbotOctokit } from 'probot';
import { ForgeError } from '../errors.ts';
import { listPackageTags, listSourceTags, newSourceReadState, type SourceReadState } from './github-sources.ts';
import type { SourceTags } from './types.ts';
import type { CheckReport, Forge, MergeOutcome, Permission, PullRequest, RepoId, Review } from './types.ts';

type Octokit = InstanceType<typeof ProbotOctokit>;

interface ApiPull {
  number: number;
  html_url: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  title: string;
  body?: string | null;
  state: string;
  merged?: boolean | null;
  merged_at?: string | null;
  mergeable?: boolean | null;
}

function toPull(p: ApiPull): PullRequest {
  return {
    number: p.number,
    url: p.html_url,
    head: p.head.ref,
    headSha: p.head.sha,
    base: p.base.ref,
    title: p.title,
    body: p.body ?? '',
    state: p.state === 'open' ? 'open' : 'closed',
    merged: Boolean(p.merged ?? p.merged_at),
    mergeable: p.mergeable,
  };
}

function wrap(what: string, err: unknown): ForgeError {
  const status = (err as { status?: number }).status;
  const message = (err as { response?: { data?: { message?: string } } }).response?.data?.message ?? (err as Error).message;
  return new ForgeError(`FORGE_HTTP_${status ?? 'ERROR'}`, `GitHub ${what} failed${status ? ` (${status})` : ''}: ${message}`, {}, {
    transient: status === undefined || status >= 500 || status === 429,
    cause: err,
  });
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrap(what, err);
  }
}

export class GitHubForge implements Forge {
  readonly name = 'github';
  /** `sources` remembers list answers and rate-limit backoff across events, so an
   *  unchanged source is answered 304 (see github-sources.ts). */
  constructor(
    private readonly octokit: Octokit,
    private readonly sources: SourceReadState = newSourceReadState(),
  ) {}

  sourceTags(repo: RepoId): Promise<SourceTags | null> {
    return listSourceTags(this.octokit, this.sources, repo);
  }

  packageTags(owner: string, name: string): Promise<SourceTags | null> {
    return listPackageTags(this.octokit, this.sources, owner, name);
  }

  async findPullRequest(repo: RepoId, head: string): Promise<PullRequest | null> {
    const { data } = await call('list pull requests', () =>
      this.octokit.rest.pulls.list({ owner: repo.owner, repo: repo.name, state: 'open', head: `${repo.owner}:${head}` }),
    );
    return data.length ? toPull(data[0] as ApiPull) : null;
  }

  async getPullRequest(repo: RepoId, number: number): Promise<PullRequest> {
    const { data } = await call(`get pull request #${number}`, () => this.octokit.rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: number }));
    return toPull(data as ApiPull);
  }

  async openOrUpdatePullRequest(repo: RepoId, pr: { head: string; base: string; title: string; body: string }) {
    const existing = await this.findPullRequest(repo, pr.head);
    if (existing) {
      const { data } = await call(`update pull request #${existing.number}`, () =>
        this.octokit.rest.pulls.update({ owner: repo.owner, repo: repo.name, pull_number: existing.number, title: pr.title, body: pr.body }),
      );
      return { pr: toPull(data as ApiPull), created: false };
    }
    const { data } = await call('open pull request', () =>
      this.octokit.rest.pulls.create({ owner: repo.owner, repo: repo.name, head: pr.head, base: pr.base, title: pr.title, body: pr.body }),
    );
    return { pr: toPull(data as ApiPull), created: true };
  }

  async reviews(repo: RepoId, number: number): Promise<Review[]> {
    const reviews = await call(`list reviews of #${number}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.listReviews, { owner: repo.owner, repo: repo.name, pull_number: number, per_page: 100 }),
    );
    // Reviews come oldest first; a reviewer's latest decisive one stands, so a later
    // "changes requested" (or a dismissal) withdraws an approval. Logins are case-insensitive.
    const latest = new Map<string, Review>();
    for (const r of reviews) {
      const user = r.user;
      if (!user?.login) continue;
      if (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED') {
        latest.set(user.login.toLowerCase(), { login: user.login, state: r.state, bot: user.type === 'Bot' });
      }
    }
    return [...latest.values()];
  }

  async merge(repo: RepoId, number: number, opts: { method: 'merge' | 'squash' | 'rebase'; sha?: string; title?: string; message?: string }): Promise<MergeOutcome> {
    try {
      const { data } = await this.octokit.rest.pulls.merge({
        owner: repo.owner,
        repo: repo.name,
        pull_number: number,
        merge_method: opts.method,
        ...(opts.sha ? { sha: opts.sha } : {}),
        ...(opts.title && opts.method !== 'rebase' ? { commit_title: opts.title } : {}),
        ...(opts.message && opts.method !== 'rebase' ? { commit_message: opts.message } : {}),
        // A refusal (405 protection, 409 stale head) is an answer; Octokit's retry plugin
        // would otherwise repeat it with backoff for ~15 s.
        request: { retries: 0 },
      });
      return { merged: data.merged, sha: data.sha, message: data.message };
    } catch (err) {
      const status = (err as { status?: number }).status;
      // Branch protection, unmergeable or stale head: the host refused, which is an answer, not a crash.
      if (status === 405 || status === 409 || status === 422) return { merged: false, message: wrap('merge', err).message };
      throw wrap(`merge #${number}`, err);
    }
  }

  async comment(repo: RepoId, issue: number, body: string) {
    const { data } = await call(`comment on #${issue}`, () => this.octokit.rest.issues.createComment({ owner: repo.owner, repo: repo.name, issue_number: issue, body }));
    return { url: data.html_url };
  }

  async permission(repo: RepoId, user: string): Promise<Permission> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.name, username: user });
      return data.permission as Permission;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return 'none';
      throw wrap(`permission of ${user}`, err);
    }
  }

  async tagCommit(repo: RepoId, tag: string): Promise<string | null> {
    let object: { type: string; sha: string };
    try {
      ({ data: { object } } = await this.octokit.rest.git.getRef({ owner: repo.owner, repo: repo.name, ref: `tags/${tag}` }));
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw wrap(`look up tag ${tag}`, err);
    }
    // Annotated tags point at a tag object; follow it (tags of tags are followed too).
    for (let hops = 0; object.type === 'tag' && hops < 5; hops++) {
      const sha = object.sha;
      ({ data: { object } } = await call(`read tag object ${sha.slice(0, 12)}`, () => this.octokit.rest.git.getTag({ owner: repo.owner, repo: repo.name, tag_sha: sha })));
    }
    return object.type === 'commit' ? object.sha : null;
  }

  async reportStatus(repo: RepoId, sha: string, status: { state: 'pending' | 'success' | 'failure' | 'error'; url?: string; description: string }) {
    await call(`status on ${sha.slice(0, 12)}`, () =>
      this.octokit.rest.repos.createCommitStatus({
        owner: repo.owner,
        repo: repo.name,
        sha,
        state: status.state,
        context: 'gitops-canary',
        description: status.description.slice(0, 140),
        ...(status.url ? { target_url: status.url } : {}),
      }),
    );
  }

  async reportCheck(repo: RepoId, sha: string, check: CheckReport) {
    const [first, ...rest] = annotationBatches(check.annotations ?? []);
    // GitHub refuses a summary over 65,535 characters; a sidecar bump can list thousands of edits
    const output = { title: check.title, summary: check.summary.length > 65_000 ? `${check.summary.slice(0, 65_000)}\n\n(truncated)` : check.summary };
    const created = await call(`check run on ${sha.slice(0, 12)}`, () =>
      this.octokit.rest.checks.create({
        owner: repo.owner,
        repo: repo.name,
        name: check.name ?? 'gitops-canary',
        head_sha: sha,
        status: 'completed',
        conclusion: check.conclusion,
        output: { ...output, ...(first ? { annotations: first } : {}) },
      }),
    );
    // Updates append annotations to the run; title and summary must be sent again.
    for (const batch of rest) {
      await call(`annotations of check run ${created.data.id}`, () =>
        this.octokit.rest.checks.update({ owner: repo.owner, repo: repo.name, check_run_id: created.data.id, output: { ...output, annotations: batch } }),
      );
    }
  }
}

/** GitHub takes at most this many annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;

export function annotationBatches<T>(all: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += ANNOTATIONS_PER_REQUEST) out.push(all.slice(i, i + ANNOTATIONS_PER_REQUEST));
  return out;
}
