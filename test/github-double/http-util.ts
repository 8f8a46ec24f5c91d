// Shared request context and reply helpers for the REST routes.
import type { Auth } from './auth.ts';
import type { RepoGit } from './repo-git.ts';
import type { Shapes } from './shapes.ts';
import type { Actor, DoubleState, RepoState } from './state.ts';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface AppInfo {
  appId: number;
  appSlug: string;
  clientId: string;
}

export interface Ctx {
  method: string;
  operationId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** Who is acting: the app's bot user for installation tokens, the user for user tokens. */
  actor: Actor;
  installationId?: number;
  /** Resolved from `{owner}/{repo}` path parameters when present. */
  repo?: RepoState;
  state: DoubleState;
  shapes: Shapes;
  auth: Auth;
  git: RepoGit;
  app: AppInfo;
  requestUrl: URL;
}

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

export function ok(body: unknown, status = 200, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

export function needRepo(ctx: Ctx): RepoState {
  if (!ctx.repo) throw new ApiError(404, 'Not Found');
  return ctx.repo;
}

export function intParam(ctx: Ctx, name: string): number {
  const n = Number(ctx.params[name]);
  if (!Number.isInteger(n)) throw new ApiError(404, 'Not Found');
  return n;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Page-based pagination with a Link header, which octokit.paginate follows. */
export function paginate(ctx: Ctx, items: unknown[]): Reply {
  const perPage = Math.min(Math.max(Number(ctx.query.get('per_page') ?? 30) || 30, 1), 100);
  const page = Math.max(Number(ctx.query.get('page') ?? 1) || 1, 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const u = new URL(ctx.requestUrl);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    links.push(`<${u.toString()}>; rel="${rel}"`);
  };
  if (page < last) {
    link(page + 1, 'next');
    link(last, 'last');
  }
  if (page > 1) {
    link(1, 'first');
    link(page - 1, 'prev');
  }
  return ok(slice, 200, links.length ? { link: links.join(', ') } : undefined);
}
