// JSON in GitHub's response shapes: the fields Octokit, Probot and the bot read, plus the
// required properties of the OpenAPI response schemas where they are cheap to fill.
import type { Actor, CheckRunState, CommentState, Installation, IssueState, ReleaseState, RepoState, ReviewState, StatusState } from './state.ts';

type Json = Record<string, unknown>;

export interface PullLive {
  headSha: string;
  baseSha: string;
  mergeable: boolean | null;
  mergeableState: 'clean' | 'dirty' | 'blocked' | 'unknown';
}

export class Shapes {
  constructor(readonly url: string) {}

  user(a: Actor): Json {
    return {
      login: a.login,
      id: a.id,
      node_id: nodeId('U', a.id),
      avatar_url: `${this.url}/avatars/${a.login}`,
      gravatar_id: '',
      url: `${this.url}/users/${a.login}`,
      html_url: `${this.url}/${a.login}`,
      type: a.type,
      site_admin: false,
    };
  }

  repoApi(r: RepoState): string {
    return `${this.url}/repos/${r.owner.login}/${r.name}`;
  }

  cloneUrl(r: RepoState): string {
    return `${this.url}/git/${r.owner.login}/${r.name}.git`;
  }

  repo(r: RepoState): Json {
    const api = this.repoApi(r);
    return {
      id: r.id,
      node_id: nodeId('R', r.id),
      name: r.name,
      full_name: `${r.owner.login}/${r.name}`,
      owner: this.user(r.owner),
      private: r.private,
      visibility: r.private ? 'private' : 'public',
      html_url: `${this.url}/${r.owner.login}/${r.name}`,
      description: null,
      fork: false,
      url: api,
      clone_url: this.cloneUrl(r),
      git_url: this.cloneUrl(r),
      ssh_url: `git@127.0.0.1:${r.owner.login}/${r.name}.git`,
      default_branch: r.defaultBranch,
      archived: false,
      disabled: false,
      created_at: r.createdAt,
      updated_at: r.createdAt,
      pushed_at: r.createdAt,
      pulls_url: `${api}/pulls{/number}`,
      issues_url: `${api}/issues{/number}`,
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    };
  }

  installation(i: Installation, appId: number, appSlug: string): Json {
    return {
      id: i.id,
      account: this.user(i.account),
      app_id: appId,
      app_slug: appSlug,
      target_id: i.account.id,
      target_type: i.account.type === 'Organization' ? 'Organization' : 'User',
      permissions: i.permissions,
      events: ['create', 'issue_comment', 'package', 'pull_request', 'pull_request_review', 'push', 'registry_package', 'release'],
      repository_selection: 'selected',
      access_tokens_url: `${this.url}/app/installations/${i.id}/access_tokens`,
      repositories_url: `${this.url}/installation/repositories`,
      html_url: `${this.url}/settings/installations/${i.id}`,
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      single_file_name: null,
      suspended_at: null,
      suspended_by: null,
    };
  }

  issue(r: RepoState, i: IssueState, commentCount: number): Json {
    const api = `${this.repoApi(r)}/issues/${i.number}`;
    return {
      id: i.id,
      node_id: nodeId('I', i.id),
      number: i.number,
      url: api,
      repository_url: this.repoApi(r),
      comments_url: `${api}/comments`,
      html_url: `${this.url}/${r.owner.login}/${r.name}/${i.pull ? 'pull' : 'issues'}/${i.number}`,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: null,
      user: this.user(i.user),
      labels: i.labels.map((name, n) => ({ id: n + 1, name, color: 'ededed', default: false, description: null })),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      comments: commentCount,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_at: i.closedAt,
      author_association: 'MEMBER',
      ...(i.pull ? { pull_request: { url: `${this.repoApi(r)}/pulls/${i.number}`, html_url: `${this.url}/${r.owner.login}/${r.name}/pull/${i.number}`, merged_at: i.pull.mergedAt } } : {}),
    };
  }

  pull(r: RepoState, i: IssueState, live: PullLive): Json {
    const p = i.pull!;
    const api = `${this.repoApi(r)}/pulls/${i.number}`;
    const side = (ref: string, sha: string) => ({ label: `${r.owner.login}:${ref}`, ref, sha, user: this.user(r.owner), repo: this.repo(r) });
    return {
      ...this.issue(r, i, 0),
      url: api,
      html_url: `${this.url}/${r.owner.login}/${r.name}/pull/${i.number}`,
      issue_url: `${this.repoApi(r)}/issues/${i.number}`,
      diff_url: `${api}.diff`,
      patch_url: `${api}.patch`,
      commits_url: `${api}/commits`,
      review_comments_url: `${api}/comments`,
      statuses_url: `${this.repoApi(r)}/statuses/${live.headSha}`,
      head: side(p.head, live.headSha),
      base: side(p.base, live.baseSha),
      draft: p.draft,
      merged: p.merged,
      merged_at: p.mergedAt,
      merged_by: p.mergedBy ? this.user(p.mergedBy) : null,
      merge_commit_sha: p.mergeCommitSha,
      mergeable: live.mergeable,
      mergeable_state: live.mergeableState,
      rebaseable: live.mergeable,
      maintainer_can_modify: p.maintainerCanModify,
      requested_reviewers: [],
      requested_teams: [],
      auto_merge: null,
      active_lock_reason: null,
      _links: { self: { href: api }, html: { href: `${this.url}/${r.owner.login}/${r.name}/pull/${i.number}` } },
    };
  }

  review(r: RepoState, number: number, rv: ReviewState): Json {
    return {
      id: rv.id,
      node_id: nodeId('PRR', rv.id),
      user: this.user(rv.user),
      body: rv.body,
      state: rv.state,
      commit_id: rv.commitId,
      submitted_at: rv.submittedAt,
      html_url: `${this.url}/${r.owner.login}/${r.name}/pull/${number}#pullrequestreview-${rv.id}`,
      pull_request_url: `${this.repoApi(r)}/pulls/${number}`,
      author_association: 'MEMBER',
      _links: { html: { href: `${this.url}/${r.owner.login}/${r.name}/pull/${number}` }, pull_request: { href: `${this.repoApi(r)}/pulls/${number}` } },
    };
  }

  comment(r: RepoState, c: CommentState): Json {
    return {
      id: c.id,
      node_id: nodeId('IC', c.id),
      url: `${this.repoApi(r)}/issues/comments/${c.id}`,
      html_url: `${this.url}/${r.owner.login}/${r.name}/issues/${c.issueNumber}#issuecomment-${c.id}`,
      issue_url: `${this.repoApi(r)}/issues/${c.issueNumber}`,
      body: c.body,
      user: this.user(c.user),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      author_association: 'MEMBER',
    };
  }

  status(r: RepoState, s: StatusState): Json {
    return {
      id: s.id,
      node_id: nodeId('SC', s.id),
      url: `${this.repoApi(r)}/statuses/${s.sha}`,
      avatar_url: null,
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      creator: this.user(s.creator),
    };
  }

  checkRun(r: RepoState, c: CheckRunState): Json {
    return {
      id: c.id,
      node_id: nodeId('CR', c.id),
      name: c.name,
      head_sha: c.headSha,
      status: c.status,
      conclusion: c.conclusion,
      external_id: c.externalId,
      details_url: c.detailsUrl,
      url: `${this.repoApi(r)}/check-runs/${c.id}`,
      html_url: `${this.url}/${r.owner.login}/${r.name}/runs/${c.id}`,
      started_at: c.startedAt,
      completed_at: c.completedAt,
      output: { title: null, summary: null, text: null, ...(c.output as object | null), annotations_count: c.annotations.length, annotations_url: `${this.repoApi(r)}/check-runs/${c.id}/annotations` },
      app: null,
      pull_requests: [],
    };
  }

  release(r: RepoState, rel: ReleaseState): Json {
    const api = `${this.repoApi(r)}/releases/${rel.id}`;
    return {
      id: rel.id,
      node_id: nodeId('RE', rel.id),
      url: api,
      html_url: `${this.url}/${r.owner.login}/${r.name}/releases/tag/${rel.tagName}`,
      assets_url: `${api}/assets`,
      upload_url: `${api}/assets{?name,label}`,
      tarball_url: `${this.repoApi(r)}/tarball/${rel.tagName}`,
      zipball_url: `${this.repoApi(r)}/zipball/${rel.tagName}`,
      tag_name: rel.tagName,
      target_commitish: rel.targetCommitish,
      name: rel.name,
      body: rel.body,
      draft: rel.draft,
      prerelease: rel.prerelease,
      created_at: rel.createdAt,
      published_at: rel.publishedAt,
      author: this.user(rel.author),
      assets: [],
    };
  }
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_${Buffer.from(String(id)).toString('base64url')}`;
}
