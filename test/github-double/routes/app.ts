// App-level endpoints (JWT) and installation discovery.
import { ApiError, intParam, needRepo, ok, type Ctx, type Handler } from '../http-util.ts';

function installationOr404(ctx: Ctx, id: number) {
  const inst = ctx.state.installations.get(id);
  if (!inst) throw new ApiError(404, 'Not Found');
  return inst;
}

export const appRoutes: Record<string, Handler> = {
  'apps/get-authenticated': (ctx) =>
    ok({
      id: ctx.app.appId,
      slug: ctx.app.appSlug,
      client_id: ctx.app.clientId,
      node_id: `A_${ctx.app.appId}`,
      name: ctx.app.appSlug,
      description: 'GitHub double app',
      external_url: ctx.shapes.url,
      html_url: `${ctx.shapes.url}/apps/${ctx.app.appSlug}`,
      owner: null,
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      permissions: { contents: 'write', pull_requests: 'write', issues: 'write', statuses: 'write', checks: 'write', metadata: 'read' },
      events: ['create', 'issue_comment', 'package', 'pull_request', 'pull_request_review', 'push', 'registry_package', 'release'],
      installations_count: ctx.state.installations.size,
    }),

  'apps/list-installations': (ctx) => ok([...ctx.state.installations.values()].map((i) => ctx.shapes.installation(i, ctx.app.appId, ctx.app.appSlug))),

  'apps/get-installation': (ctx) => ok(ctx.shapes.installation(installationOr404(ctx, intParam(ctx, 'installation_id')), ctx.app.appId, ctx.app.appSlug)),

  'apps/create-installation-access-token': (ctx) => {
    const inst = installationOr404(ctx, intParam(ctx, 'installation_id'));
    const t = ctx.auth.issueInstallationToken(inst.id);
    return ok(
      {
        token: t.token,
        expires_at: new Date(t.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: inst.permissions,
        repository_selection: 'selected',
      },
      201,
    );
  },

  'apps/get-repo-installation': (ctx) => {
    const repo = needRepo(ctx);
    if (repo.installationId === undefined) throw new ApiError(404, 'Not Found');
    return ok(ctx.shapes.installation(installationOr404(ctx, repo.installationId), ctx.app.appId, ctx.app.appSlug));
  },

  'apps/list-repos-accessible-to-installation': (ctx) => {
    if (ctx.installationId === undefined) throw new ApiError(403, 'This endpoint requires an installation access token');
    const repos = [...ctx.state.repos.values()].filter((r) => r.installationId === ctx.installationId);
    const perPage = Math.min(Number(ctx.query.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(ctx.query.get('page') ?? 1) || 1, 1);
    return ok({
      total_count: repos.length,
      repository_selection: 'selected',
      repositories: repos.slice((page - 1) * perPage, page * perPage).map((r) => ctx.shapes.repo(r)),
    });
  },
};
