// Issues, issue comments (PR conversation comments are issue comments on GitHub) and labels.
import { ApiError, intParam, needRepo, ok, paginate, str, type Ctx, type Handler } from '../http-util.ts';
import type { CommentState, IssueState, RepoState } from '../state.ts';

function issueOr404(repo: RepoState, n: number): IssueState {
  const i = repo.issues.get(n);
  if (!i) throw new ApiError(404, 'Not Found');
  return i;
}

function commentOr404(repo: RepoState, id: number): CommentState {
  const c = repo.comments.find((x) => x.id === id);
  if (!c) throw new ApiError(404, 'Not Found');
  return c;
}

function issueJson(ctx: Ctx, repo: RepoState, i: IssueState) {
  return ctx.shapes.issue(repo, i, repo.comments.filter((c) => c.issueNumber === i.number).length);
}

function labelNames(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray((v as { labels?: unknown }).labels) ? (v as { labels: unknown[] }).labels : [];
  return list.map((l) => (typeof l === 'string' ? l : str((l as { name?: unknown }).name) ?? '')).filter(Boolean);
}

export const issueRoutes: Record<string, Handler> = {
  'issues/create': (ctx) => {
    const repo = needRepo(ctx);
    const title = ctx.body.title;
    const issue = ctx.state.newIssue(repo, { title: String(title), body: str(ctx.body.body) ?? null, user: ctx.actor, labels: labelNames(ctx.body.labels) });
    return ok(issueJson(ctx, repo, issue), 201);
  },

  'issues/get': (ctx) => {
    const repo = needRepo(ctx);
    return ok(issueJson(ctx, repo, issueOr404(repo, intParam(ctx, 'issue_number'))));
  },

  'issues/update': (ctx) => {
    const repo = needRepo(ctx);
    const i = issueOr404(repo, intParam(ctx, 'issue_number'));
    if (ctx.body.title !== undefined && ctx.body.title !== null) i.title = String(ctx.body.title);
    if (ctx.body.body !== undefined) i.body = str(ctx.body.body) ?? null;
    if (ctx.body.labels !== undefined) i.labels = labelNames(ctx.body.labels);
    if ((ctx.body.state === 'closed' || ctx.body.state === 'open') && !i.pull?.merged) {
      i.state = ctx.body.state;
      i.closedAt = i.state === 'closed' ? ctx.state.timestamp() : null;
    }
    i.updatedAt = ctx.state.timestamp();
    return ok(issueJson(ctx, repo, i));
  },

  'issues/add-labels': (ctx) => {
    const repo = needRepo(ctx);
    const i = issueOr404(repo, intParam(ctx, 'issue_number'));
    for (const l of labelNames(ctx.body)) if (!i.labels.includes(l)) i.labels.push(l);
    return ok(i.labels.map((name, n) => ({ id: n + 1, node_id: `L_${n + 1}`, url: `${ctx.shapes.repoApi(repo)}/labels/${encodeURIComponent(name)}`, name, color: 'ededed', default: false, description: null })));
  },

  'issues/create-comment': (ctx) => {
    const repo = needRepo(ctx);
    const i = issueOr404(repo, intParam(ctx, 'issue_number'));
    const now = ctx.state.timestamp();
    const c: CommentState = { id: ctx.state.id(), issueNumber: i.number, body: String(ctx.body.body), user: ctx.actor, createdAt: now, updatedAt: now };
    repo.comments.push(c);
    i.updatedAt = now;
    return ok(ctx.shapes.comment(repo, c), 201);
  },

  'issues/list-comments': (ctx) => {
    const repo = needRepo(ctx);
    const i = issueOr404(repo, intParam(ctx, 'issue_number'));
    const since = ctx.query.get('since');
    const list = repo.comments.filter((c) => c.issueNumber === i.number && (!since || c.updatedAt >= since));
    return paginate(ctx, list.map((c) => ctx.shapes.comment(repo, c)));
  },

  'issues/get-comment': (ctx) => {
    const repo = needRepo(ctx);
    return ok(ctx.shapes.comment(repo, commentOr404(repo, intParam(ctx, 'comment_id'))));
  },

  'issues/update-comment': (ctx) => {
    const repo = needRepo(ctx);
    const c = commentOr404(repo, intParam(ctx, 'comment_id'));
    c.body = String(ctx.body.body);
    c.updatedAt = ctx.state.timestamp();
    return ok(ctx.shapes.comment(repo, c));
  },

  'issues/delete-comment': (ctx) => {
    const repo = needRepo(ctx);
    const c = commentOr404(repo, intParam(ctx, 'comment_id'));
    repo.comments.splice(repo.comments.indexOf(c), 1);
    return { status: 204 };
  },
};
