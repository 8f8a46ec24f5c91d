// Commit statuses, check runs, releases and container package versions.
import { revParse, runGit } from '../gitrepo.ts';
import { ApiError, intParam, needRepo, ok, paginate, str, type Ctx, type Handler } from '../http-util.ts';
import type { CheckRunState, ReleaseState, RepoState, StatusState } from '../state.ts';

async function commitOr422(repo: RepoState, rev: string): Promise<string> {
  const sha = await revParse(repo.bareDir, rev);
  if (!sha) throw new ApiError(422, `No commit found for SHA: ${rev}`);
  return sha;
}

async function refOr404(repo: RepoState, ref: string): Promise<string> {
  const sha = await revParse(repo.bareDir, ref);
  if (!sha) throw new ApiError(404, `No commit found for SHA: ${ref}`);
  return sha;
}

/** GitHub puts statuses on commits only: any other object's sha (a tag object's, which a
 *  push of an annotated tag carries in `after`) is refused like an unknown one. */
async function commitObjectOr422(repo: RepoState, sha: string): Promise<string> {
  const r = await runGit(repo.bareDir, ['rev-parse', '--verify', '--quiet', `${sha}^{object}`]);
  const full = r.code === 0 ? r.stdout.trim() : '';
  const type = full ? (await runGit(repo.bareDir, ['cat-file', '-t', full])).stdout.trim() : '';
  if (type !== 'commit') throw new ApiError(422, `No commit found for SHA: ${sha}`);
  return full;
}

function releaseOr404(repo: RepoState, id: number): ReleaseState {
  const r = repo.releases.find((x) => x.id === id);
  if (!r) throw new ApiError(404, 'Not Found');
  return r;
}

function applyRelease(ctx: Ctx, rel: ReleaseState) {
  const b = ctx.body;
  if (typeof b.tag_name === 'string') rel.tagName = b.tag_name;
  if (typeof b.target_commitish === 'string') rel.targetCommitish = b.target_commitish;
  if (b.name !== undefined) rel.name = str(b.name) ?? null;
  if (b.body !== undefined) rel.body = str(b.body) ?? null;
  if (typeof b.prerelease === 'boolean') rel.prerelease = b.prerelease;
  if (typeof b.draft === 'boolean') {
    if (rel.draft && !b.draft) rel.publishedAt = ctx.state.timestamp();
    rel.draft = b.draft;
  }
}

/** GitHub creates the tag from target_commitish when a published release names a new tag. */
/** Container package versions, newest first, as GitHub lists them. */
function packageVersions(ctx: Ctx, owner: string) {
  if (ctx.params.package_type !== 'container') throw new ApiError(404, 'Package not found.');
  const versions = ctx.state.packages.get(`${owner}/${ctx.params.package_name}`.toLowerCase());
  if (!versions) throw new ApiError(404, 'Package not found.');
  const base = `${ctx.shapes.url.replace(/\/$/, '')}/orgs/${owner}/packages/container/${encodeURIComponent(ctx.params.package_name)}`;
  return paginate(
    ctx,
    [...versions].reverse().map((v) => ({
      id: v.id,
      name: v.digest,
      url: `${base}/versions/${v.id}`,
      package_html_url: `https://github.com/orgs/${owner}/packages/container/package/${ctx.params.package_name}`,
      html_url: `https://github.com/orgs/${owner}/packages/container/${ctx.params.package_name}/${v.id}`,
      created_at: v.createdAt,
      updated_at: v.createdAt,
      metadata: { package_type: 'container', container: { tags: v.tags } },
    })),
  );
}

export async function ensureTag(repo: RepoState, rel: ReleaseState): Promise<void> {
  if (rel.draft || (await revParse(repo.bareDir, `refs/tags/${rel.tagName}`))) return;
  const sha = await commitOr422(repo, rel.targetCommitish);
  await runGit(repo.bareDir, ['update-ref', `refs/tags/${rel.tagName}`, sha, '']);
}

export function createRelease(ctx: Pick<Ctx, 'state'>, repo: RepoState, fields: Partial<ReleaseState> & { tagName: string; author: ReleaseState['author'] }): ReleaseState {
  if (repo.releases.some((r) => r.tagName === fields.tagName)) {
    throw new ApiError(422, 'Validation Failed', { errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
  }
  const now = ctx.state.timestamp();
  const rel: ReleaseState = {
    id: ctx.state.id(),
    targetCommitish: repo.defaultBranch,
    name: null,
    body: null,
    draft: false,
    prerelease: false,
    createdAt: now,
    publishedAt: null,
    ...fields,
  };
  rel.publishedAt = rel.draft ? null : now;
  repo.releases.push(rel);
  return rel;
}

function annotationsOf(output: unknown): unknown[] {
  const a = output && typeof output === 'object' ? (output as { annotations?: unknown }).annotations : undefined;
  if (!Array.isArray(a)) return [];
  if (a.length > 50) throw new ApiError(422, 'Validation Failed', { errors: ['Only 50 annotations are allowed per request'] });
  return a;
}

/** The run's output as GitHub shows it: annotations are counted and served on their own. */
function withoutAnnotations(output: unknown): unknown {
  if (!output || typeof output !== 'object') return output;
  const { annotations: _, ...rest } = output as Record<string, unknown>;
  return rest;
}

export const checkRoutes: Record<string, Handler> = {
  'repos/create-commit-status': async (ctx) => {
    const repo = needRepo(ctx);
    const sha = await commitObjectOr422(repo, ctx.params.sha);
    const s: StatusState = {
      id: ctx.state.id(),
      sha,
      state: ctx.body.state as StatusState['state'],
      context: str(ctx.body.context) ?? 'default',
      description: str(ctx.body.description) ?? null,
      targetUrl: str(ctx.body.target_url) ?? null,
      creator: ctx.actor,
      createdAt: ctx.state.timestamp(),
    };
    repo.statuses.push(s);
    return ok(ctx.shapes.status(repo, s), 201);
  },

  'repos/list-commit-statuses-for-ref': async (ctx) => {
    const repo = needRepo(ctx);
    const sha = await refOr404(repo, ctx.params.ref);
    return paginate(ctx, repo.statuses.filter((s) => s.sha === sha).reverse().map((s) => ctx.shapes.status(repo, s)));
  },

  'repos/get-combined-status-for-ref': async (ctx) => {
    const repo = needRepo(ctx);
    const sha = await refOr404(repo, ctx.params.ref);
    const newest = new Map<string, StatusState>();
    for (const s of repo.statuses.filter((x) => x.sha === sha)) newest.set(s.context, s);
    const states = [...newest.values()].map((s) => s.state);
    const state = states.some((s) => s === 'error' || s === 'failure') ? 'failure' : states.length === 0 || states.includes('pending') ? 'pending' : 'success';
    return ok({
      state,
      sha,
      total_count: newest.size,
      statuses: [...newest.values()].map((s) => ctx.shapes.status(repo, s)),
      repository: ctx.shapes.repo(repo),
      commit_url: `${ctx.shapes.repoApi(repo)}/commits/${sha}`,
      url: `${ctx.shapes.repoApi(repo)}/commits/${sha}/status`,
    });
  },

  'checks/create': (ctx) => {
    const repo = needRepo(ctx);
    const b = ctx.body;
    const c: CheckRunState = {
      id: ctx.state.id(),
      name: String(b.name),
      headSha: String(b.head_sha),
      status: str(b.status) ?? (b.conclusion ? 'completed' : 'queued'),
      conclusion: str(b.conclusion) ?? null,
      output: withoutAnnotations(b.output),
      annotations: annotationsOf(b.output),
      detailsUrl: str(b.details_url) ?? null,
      externalId: str(b.external_id) ?? null,
      startedAt: str(b.started_at) ?? ctx.state.timestamp(),
      completedAt: str(b.completed_at) ?? (b.conclusion ? ctx.state.timestamp() : null),
    };
    repo.checkRuns.push(c);
    return ok(ctx.shapes.checkRun(repo, c), 201);
  },

  'checks/list-annotations': (ctx) => {
    const repo = needRepo(ctx);
    const id = intParam(ctx, 'check_run_id');
    const c = repo.checkRuns.find((x) => x.id === id);
    if (!c) throw new ApiError(404, 'Not Found');
    return paginate(ctx, c.annotations.map((a) => ({ blob_href: '', start_column: null, end_column: null, raw_details: null, title: null, ...(a as object) })));
  },

  'checks/update': (ctx) => {
    const repo = needRepo(ctx);
    const id = intParam(ctx, 'check_run_id');
    const c = repo.checkRuns.find((x) => x.id === id);
    if (!c) throw new ApiError(404, 'Not Found');
    const b = ctx.body;
    if (typeof b.name === 'string') c.name = b.name;
    if (typeof b.status === 'string') c.status = b.status;
    if (typeof b.conclusion === 'string') {
      c.conclusion = b.conclusion;
      c.status = 'completed';
      c.completedAt = str(b.completed_at) ?? ctx.state.timestamp();
    }
    if (b.output !== undefined) {
      c.output = withoutAnnotations(b.output);
      c.annotations.push(...annotationsOf(b.output));
    }
    if (typeof b.details_url === 'string') c.detailsUrl = b.details_url;
    return ok(ctx.shapes.checkRun(repo, c));
  },

  'repos/create-release': async (ctx) => {
    const repo = needRepo(ctx);
    const b = ctx.body;
    const rel = createRelease(ctx, repo, {
      tagName: String(b.tag_name),
      author: ctx.actor,
      targetCommitish: str(b.target_commitish) ?? repo.defaultBranch,
      name: str(b.name) ?? null,
      body: str(b.body) ?? null,
      draft: b.draft === true,
      prerelease: b.prerelease === true,
    });
    try {
      await ensureTag(repo, rel);
    } catch (err) {
      repo.releases.splice(repo.releases.indexOf(rel), 1);
      throw err;
    }
    return ok(ctx.shapes.release(repo, rel), 201);
  },

  'repos/get-release': (ctx) => {
    const repo = needRepo(ctx);
    return ok(ctx.shapes.release(repo, releaseOr404(repo, intParam(ctx, 'release_id'))));
  },

  'repos/update-release': async (ctx) => {
    const repo = needRepo(ctx);
    const rel = releaseOr404(repo, intParam(ctx, 'release_id'));
    applyRelease(ctx, rel);
    await ensureTag(repo, rel);
    return ok(ctx.shapes.release(repo, rel));
  },

  'repos/get-release-by-tag': (ctx) => {
    const repo = needRepo(ctx);
    const rel = repo.releases.find((r) => r.tagName === ctx.params.tag && !r.draft);
    if (!rel) throw new ApiError(404, 'Not Found');
    return ok(ctx.shapes.release(repo, rel));
  },

  'packages/get-all-package-versions-for-package-owned-by-org': (ctx) => packageVersions(ctx, ctx.params.org),
  'packages/get-all-package-versions-for-package-owned-by-user': (ctx) => packageVersions(ctx, ctx.params.username),

  'repos/list-releases': (ctx) => {
    const repo = needRepo(ctx);
    return paginate(ctx, [...repo.releases].reverse().map((r) => ctx.shapes.release(repo, r)));
  },
};
