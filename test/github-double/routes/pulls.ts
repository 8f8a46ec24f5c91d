// Pull requests: creation rules, trial-merge mergeability, reviews and the real merge.
import { buildMergeCommit, casUpdateRef, git, revParse, runGit, type MergeMethod } from '../gitrepo.ts';
import { ApiError, intParam, needRepo, ok, paginate, str, type Ctx, type Handler } from '../http-util.ts';
import type { Actor, DoubleState, IssueState, RepoState, ReviewState } from '../state.ts';

function validationFailed(message: string, field?: string): ApiError {
  return new ApiError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', code: 'custom', ...(field ? { field } : {}), message }] });
}

export function pullOr404(repo: RepoState, n: number): IssueState {
  const pr = repo.issues.get(n);
  if (!pr?.pull) throw new ApiError(404, 'Not Found');
  return pr;
}

async function pullJson(ctx: Ctx, repo: RepoState, pr: IssueState, full: boolean) {
  if (full) return ctx.shapes.pull(repo, pr, await ctx.git.live(repo, pr));
  // Listing skips the trial merge, as GitHub's list endpoint has no mergeability either.
  const headSha = await ctx.git.headSha(repo, pr);
  const baseSha = (await revParse(repo.bareDir, `refs/heads/${pr.pull!.base}`)) ?? '';
  return ctx.shapes.pull(repo, pr, { headSha, baseSha, mergeable: null, mergeableState: 'unknown' });
}

export function submitReview(state: DoubleState, pr: IssueState, user: Actor, reviewState: ReviewState['state'], body: string, commitId: string): ReviewState {
  if (pr.state !== 'open') throw new ApiError(422, 'Unprocessable Entity', { errors: ['Can not review a closed pull request'] });
  if (reviewState !== 'COMMENTED' && pr.user.login.toLowerCase() === user.login.toLowerCase()) {
    const what = reviewState === 'APPROVED' ? 'approve' : 'request changes on';
    throw new ApiError(422, 'Unprocessable Entity', { errors: [`Can not ${what} your own pull request`] });
  }
  const review: ReviewState = { id: state.id(), user, state: reviewState, body, commitId, submittedAt: state.timestamp() };
  pr.pull!.reviews.push(review);
  pr.updatedAt = review.submittedAt;
  return review;
}

const EVENTS: Record<string, ReviewState['state']> = { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' };

export const pullRoutes: Record<string, Handler> = {
  'pulls/list': async (ctx) => {
    const repo = needRepo(ctx);
    const state = ctx.query.get('state') ?? 'open';
    const head = ctx.query.get('head');
    const base = ctx.query.get('base');
    const prs = [...repo.issues.values()]
      .filter((i) => i.pull)
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => !head || `${repo.owner.login}:${i.pull!.head}`.toLowerCase() === head.toLowerCase() || (!head.includes(':') && i.pull!.head === head))
      .filter((i) => !base || i.pull!.base === base);
    if ((ctx.query.get('direction') ?? 'desc') === 'desc') prs.reverse();
    return paginate(ctx, await Promise.all(prs.map((p) => pullJson(ctx, repo, p, false))));
  },

  'pulls/create': async (ctx) => {
    const repo = needRepo(ctx);
    const rawHead = str(ctx.body.head)!;
    const base = str(ctx.body.base)!;
    const [headOwner, head] = rawHead.includes(':') ? rawHead.split(/:(.*)/s) : [repo.owner.login, rawHead];
    if (headOwner.toLowerCase() !== repo.owner.login.toLowerCase()) throw validationFailed(`double: cross-repository pull requests are not supported (head ${rawHead})`, 'head');
    const title = str(ctx.body.title);
    if (!title) throw validationFailed('title is required', 'title');
    const headSha = await revParse(repo.bareDir, `refs/heads/${head}`);
    if (!headSha) throw new ApiError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] });
    const baseSha = await revParse(repo.bareDir, `refs/heads/${base}`);
    if (!baseSha) throw new ApiError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] });
    const dup = [...repo.issues.values()].find((i) => i.pull && i.state === 'open' && i.pull.head === head && i.pull.base === base);
    if (dup) throw validationFailed(`A pull request already exists for ${repo.owner.login}:${head}.`);
    const ahead = Number((await git(repo.bareDir, ['rev-list', '--count', `${baseSha}..${headSha}`])).trim());
    if (ahead === 0) throw validationFailed(`No commits between ${base} and ${head}`);
    const pr = ctx.state.newIssue(repo, {
      title,
      body: str(ctx.body.body) ?? null,
      user: ctx.actor,
      pull: {
        head,
        base,
        headSha,
        draft: ctx.body.draft === true,
        merged: false,
        mergedAt: null,
        mergedBy: null,
        mergeCommitSha: null,
        maintainerCanModify: ctx.body.maintainer_can_modify !== false,
        reviews: [],
      },
    });
    return ok(await pullJson(ctx, repo, pr, true), 201);
  },

  'pulls/get': async (ctx) => {
    const repo = needRepo(ctx);
    return ok(await pullJson(ctx, repo, pullOr404(repo, intParam(ctx, 'pull_number')), true));
  },

  'pulls/update': async (ctx) => {
    const repo = needRepo(ctx);
    const pr = pullOr404(repo, intParam(ctx, 'pull_number'));
    if (typeof ctx.body.title === 'string') pr.title = ctx.body.title;
    if (typeof ctx.body.body === 'string') pr.body = ctx.body.body;
    if (typeof ctx.body.base === 'string') {
      if (!(await revParse(repo.bareDir, `refs/heads/${ctx.body.base}`))) throw validationFailed(`Proposed base branch '${ctx.body.base}' was not found`, 'base');
      pr.pull!.base = ctx.body.base;
    }
    if (ctx.body.state === 'closed' && pr.state === 'open') {
      await ctx.git.headSha(repo, pr);
      pr.state = 'closed';
      pr.closedAt = ctx.state.timestamp();
    } else if (ctx.body.state === 'open' && pr.state === 'closed') {
      if (pr.pull!.merged) throw validationFailed('state cannot be changed. The pull request has been merged.', 'state');
      pr.state = 'open';
      pr.closedAt = null;
    }
    pr.updatedAt = ctx.state.timestamp();
    return ok(await pullJson(ctx, repo, pr, true));
  },

  'pulls/check-if-merged': (ctx) => {
    const repo = needRepo(ctx);
    return pullOr404(repo, intParam(ctx, 'pull_number')).pull!.merged ? { status: 204 } : { status: 404, body: { message: 'Not Found' } };
  },

  'pulls/merge': async (ctx) => {
    const repo = needRepo(ctx);
    const number = intParam(ctx, 'pull_number');
    const pr = pullOr404(repo, number);
    const p = pr.pull!;
    if (p.merged || pr.state !== 'open') throw new ApiError(405, 'Pull Request is not mergeable');
    if (p.draft) throw new ApiError(405, 'Pull Request is still a draft');
    const live = await ctx.git.live(repo, pr);
    const sha = str(ctx.body.sha);
    if (sha && sha !== live.headSha) throw new ApiError(409, 'Head branch was modified. Review and try the merge again.');
    const verdict = ctx.git.protection(repo, pr, live.headSha);
    if (!verdict.ok) throw new ApiError(405, verdict.message!);
    if (!live.mergeable) throw new ApiError(405, 'Pull Request is not mergeable');
    const method = (str(ctx.body.merge_method) ?? 'merge') as MergeMethod;
    const defaults: Record<MergeMethod, [string, string]> = {
      merge: [`Merge pull request #${number} from ${repo.owner.login}/${p.head}`, pr.title],
      squash: [`${pr.title} (#${number})`, pr.body ?? ''],
      rebase: ['', ''],
    };
    const commit = await buildMergeCommit(repo.bareDir, {
      method,
      baseSha: live.baseSha,
      headSha: live.headSha,
      title: str(ctx.body.commit_title) ?? defaults[method][0],
      message: str(ctx.body.commit_message) ?? defaults[method][1],
      author: { name: ctx.actor.login, email: `${ctx.actor.id}+${ctx.actor.login}@users.noreply.github.com` },
    });
    if (!commit) throw new ApiError(405, method === 'rebase' ? 'This branch can’t be rebased' : 'Pull Request is not mergeable');
    if (!(await casUpdateRef(repo.bareDir, `refs/heads/${p.base}`, commit, live.baseSha))) {
      throw new ApiError(409, 'Base branch was modified. Review and try the merge again.');
    }
    const now = ctx.state.timestamp();
    Object.assign(p, { merged: true, mergedAt: now, mergedBy: ctx.actor, mergeCommitSha: commit, headSha: live.headSha });
    Object.assign(pr, { state: 'closed', closedAt: now, updatedAt: now });
    return ok({ sha: commit, merged: true, message: 'Pull Request successfully merged' });
  },

  'pulls/list-reviews': (ctx) => {
    const repo = needRepo(ctx);
    const number = intParam(ctx, 'pull_number');
    return paginate(ctx, pullOr404(repo, number).pull!.reviews.map((r) => ctx.shapes.review(repo, number, r)));
  },

  'pulls/create-review': async (ctx) => {
    const repo = needRepo(ctx);
    const number = intParam(ctx, 'pull_number');
    const pr = pullOr404(repo, number);
    const event = str(ctx.body.event);
    if (!event || !EVENTS[event]) throw new ApiError(422, 'Unprocessable Entity', { errors: ['double: pending reviews (no event) are not supported'] });
    const body = str(ctx.body.body) ?? '';
    if (event !== 'APPROVE' && !body) throw new ApiError(422, 'Unprocessable Entity', { errors: [`Review body is required for ${event}`] });
    const commitId = str(ctx.body.commit_id) ?? (await ctx.git.headSha(repo, pr));
    return ok(ctx.shapes.review(repo, number, submitReview(ctx.state, pr, ctx.actor, EVENTS[event], body, commitId)));
  },

  'pulls/list-files': async (ctx) => {
    const repo = needRepo(ctx);
    const pr = pullOr404(repo, intParam(ctx, 'pull_number'));
    const headSha = await ctx.git.headSha(repo, pr);
    const range = `refs/heads/${pr.pull!.base}...${headSha}`;
    const numstat = await runGit(repo.bareDir, ['diff', '--numstat', '--no-renames', range]);
    const status = await runGit(repo.bareDir, ['diff', '--name-status', '--no-renames', range]);
    const kinds: Record<string, string> = { A: 'added', M: 'modified', D: 'removed', T: 'changed' };
    const statusOf = new Map(status.stdout.split('\n').filter(Boolean).map((l) => { const [s, f] = l.split('\t'); return [f, kinds[s[0]] ?? 'modified']; }));
    const files = numstat.stdout.split('\n').filter(Boolean).map((l) => {
      const [a, d, filename] = l.split('\t');
      const additions = Number(a) || 0;
      const deletions = Number(d) || 0;
      const raw = `${ctx.shapes.url}/raw/${repo.owner.login}/${repo.name}/${headSha}/${filename}`;
      return { sha: headSha, filename, status: statusOf.get(filename) ?? 'modified', additions, deletions, changes: additions + deletions, blob_url: raw, raw_url: raw, contents_url: `${ctx.shapes.repoApi(repo)}/contents/${filename}?ref=${headSha}` };
    });
    return paginate(ctx, files);
  },
};
