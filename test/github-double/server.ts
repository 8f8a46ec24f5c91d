// Request pipeline: git smart HTTP under /git/, everything else is REST — matched and
// checked against GitHub's OpenAPI description, authenticated, then dispatched by operationId.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Auth, Credential } from './auth.ts';
import { serveGitHttp } from './git-http.ts';
import { publishPullHeads } from './repo-git.ts';
import { ApiError, type AppInfo, type Ctx, type Handler, type Reply } from './http-util.ts';
import { loadContract } from './openapi.ts';
import type { RepoGit } from './repo-git.ts';
import { appRoutes } from './routes/app.ts';
import { checkRoutes } from './routes/checks.ts';
import { issueRoutes } from './routes/issues.ts';
import { pullRoutes } from './routes/pulls.ts';
import { repoRoutes } from './routes/repos.ts';
import type { Shapes } from './shapes.ts';
import type { Actor, DoubleState, RepoState } from './state.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  operationId?: string;
  body?: unknown;
}

export interface Violation {
  method: string;
  path: string;
  operationId?: string;
  problems: string[];
}

export interface Unexpected {
  method: string;
  path: string;
  operationId?: string;
  reason: string;
}

export interface ServerDeps {
  state: DoubleState;
  auth: Auth;
  shapes: Shapes;
  git: RepoGit;
  app: AppInfo;
  gitRoot: string;
  validate: boolean;
  botActor: () => Actor;
  rate: { limit: number; remaining: number; resetAt: number };
  requests: RecordedRequest[];
  violations: Violation[];
  unexpected: Unexpected[];
}

const ROUTES: Record<string, Handler> = { ...appRoutes, ...repoRoutes, ...pullRoutes, ...issueRoutes, ...checkRoutes };

const JWT_OPERATIONS = new Set(['apps/get-repo-installation', 'apps/get-org-installation', 'apps/get-user-installation']);

export function createHandler(deps: ServerDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', deps.shapes.url);
    try {
      if (url.pathname.startsWith('/git/')) {
        await handleGit(deps, req, res, url);
        return;
      }
      await handleApi(deps, req, res, url);
    } catch (err) {
      deps.unexpected.push({ method: req.method ?? '', path: url.pathname, reason: `double crashed: ${(err as Error).stack ?? String(err)}` });
      if (!res.headersSent) send(res, { status: 500, body: { message: `double crashed: ${(err as Error).message}` } });
      else res.end();
    }
  };
}

async function handleGit(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const record = (status: number) => deps.requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, status, operationId: 'git-http' });
  const m = /^\/git\/([^/]+)\/([^/]+?)(?:\.git)?(\/.*)?$/.exec(url.pathname);
  const repo = m ? deps.state.repo(decodeURIComponent(m[1]), decodeURIComponent(m[2])) : undefined;
  if (!m || !repo) {
    record(404);
    return send(res, { status: 404, body: 'Repository not found.\n' });
  }
  const rest = m[3] ?? '';
  const push = url.searchParams.get('service') === 'git-receive-pack' || rest.endsWith('/git-receive-pack');
  const cred = deps.auth.fromBasic(req.headers.authorization);
  const denied = gitAccess(deps, repo, cred, push);
  if (denied) {
    record(denied.status);
    return send(res, denied);
  }
  const user = cred.kind === 'token' ? (cred.token.user?.login ?? deps.botActor().login) : 'anonymous';
  if (!push) await publishPullHeads(repo);
  const status = await serveGitHttp(req, res, { root: deps.gitRoot, pathInfo: `/${repo.owner.login}/${repo.name}.git${rest}`, query: url.search.slice(1), remoteUser: user });
  record(status);
}

function gitAccess(deps: ServerDeps, repo: RepoState, cred: Credential, push: boolean): Reply | undefined {
  const challenge = { status: 401, body: 'Invalid username or token. Password authentication is not supported for Git operations.\n', headers: { 'www-authenticate': 'Basic realm="GitHub"' } };
  if (cred.kind === 'none') return !push && !repo.private ? undefined : challenge;
  if (cred.kind !== 'token') return challenge;
  const t = cred.token;
  if (t.installationId !== undefined) {
    if (t.installationId === repo.installationId) return undefined;
    if (!push && !repo.private) return undefined;
    return push && !repo.private ? { status: 403, body: 'Write access to repository not granted.\n' } : { status: 404, body: 'Repository not found.\n' };
  }
  const perm = deps.state.permission(repo, t.user!.login);
  if (perm === 'none') return { status: 404, body: 'Repository not found.\n' };
  if (push && perm === 'read') return { status: 403, body: `Permission to ${repo.owner.login}/${repo.name}.git denied to ${t.user!.login}.\n` };
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return /gzip/i.test(req.headers['content-encoding'] ?? '') ? gunzipSync(raw) : raw;
}

async function handleApi(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const raw = await readBody(req);
  const hasBody = raw.length > 0;
  let body: unknown;
  const entry: RecordedRequest = { method, path: url.pathname, query: url.search, status: 0 };
  deps.requests.push(entry);
  const finish = (reply: Reply) => {
    entry.status = reply.status;
    const r = deps.rate;
    const reset = r.resetAt || Math.floor(Date.now() / 1000) + 3600;
    send(res, { ...reply, headers: { 'x-ratelimit-limit': String(r.limit), 'x-ratelimit-remaining': String(r.remaining), 'x-ratelimit-reset': String(reset), ...reply.headers } });
  };
  if (hasBody) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      deps.violations.push({ method, path: url.pathname, problems: ['request body is not valid JSON'] });
      return finish({ status: 400, body: { message: 'Problems parsing JSON' } });
    }
  }
  entry.body = body;
  const contract = loadContract();
  const matched = contract.match(method, url.pathname);
  if (!matched) {
    const problem = `no GitHub operation ${method} ${url.pathname}`;
    deps.violations.push({ method, path: url.pathname, problems: [problem] });
    return finish({ status: 422, body: { message: `double: request does not match GitHub's OpenAPI: ${problem}` } });
  }
  const operationId = matched.op.operationId;
  entry.operationId = operationId;
  const problems = deps.validate ? contract.check(matched, url.searchParams, body, hasBody) : [];
  if (problems.length) {
    deps.violations.push({ method, path: url.pathname, operationId, problems });
    return finish({ status: 422, body: { message: `double: request does not match GitHub's OpenAPI (${operationId}): ${problems.join('; ')}` } });
  }
  try {
    const ctx = authorize(deps, req, url, matched.params, operationId, method);
    ctx.body = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (Array.isArray(body)) ctx.body = { labels: body };
    const handler = ROUTES[operationId];
    if (!handler) {
      deps.unexpected.push({ method, path: url.pathname, operationId, reason: 'operation not implemented by the double' });
      return finish({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
    }
    finish(conditional(req, method, await handler(ctx)));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    finish({ status: err.status, body: { message: err.message, ...err.extra, documentation_url: 'https://docs.github.com/rest' } });
  }
}

/** GitHub's conditional requests: every 200 GET carries an ETag of its body, and a
 *  request that names it in If-None-Match is answered 304 with no body (which GitHub
 *  does not count against the rate limit). */
function conditional(req: IncomingMessage, method: string, reply: Reply): Reply {
  if (method !== 'GET' || reply.status !== 200 || reply.body === undefined) return reply;
  const etag = `W/"${createHash('sha1').update(JSON.stringify(reply.body)).digest('hex')}"`;
  const headers = { ...reply.headers, etag };
  const asked = req.headers['if-none-match'];
  if (typeof asked === 'string' && asked.split(',').map((t) => t.trim()).includes(etag)) return { status: 304, headers };
  return { ...reply, headers };
}

function authorize(deps: ServerDeps, req: IncomingMessage, url: URL, params: Record<string, string>, operationId: string, method: string): Ctx {
  const cred = deps.auth.fromHeader(req.headers.authorization);
  const needsJwt = JWT_OPERATIONS.has(operationId) || url.pathname === '/app' || url.pathname.startsWith('/app/');
  if (cred.kind === 'none') throw new ApiError(401, 'Requires authentication');
  if (cred.kind === 'invalid') throw new ApiError(401, needsJwt ? `A JSON web token could not be decoded (${cred.reason})` : 'Bad credentials');
  if (needsJwt && cred.kind !== 'app') throw new ApiError(401, 'A JSON web token could not be decoded');
  if (!needsJwt && cred.kind === 'app') throw new ApiError(403, 'Resource not accessible by integration: this endpoint needs an installation token, not the app JWT');
  const token = cred.kind === 'token' ? cred.token : undefined;
  const ctx: Ctx = {
    method,
    operationId,
    params,
    query: url.searchParams,
    body: {},
    actor: token?.user ?? deps.botActor(),
    installationId: token?.installationId,
    state: deps.state,
    shapes: deps.shapes,
    auth: deps.auth,
    git: deps.git,
    app: deps.app,
    requestUrl: url,
  };
  if (params.owner !== undefined && params.repo !== undefined) {
    const repo = deps.state.repo(params.owner, params.repo);
    if (!repo) throw new ApiError(404, 'Not Found');
    if (token) checkRepoAccess(deps, repo, token.installationId, token.user, method);
    ctx.repo = repo;
  }
  return ctx;
}

function checkRepoAccess(deps: ServerDeps, repo: RepoState, installationId: number | undefined, user: Actor | undefined, method: string): void {
  const read = method === 'GET' || method === 'HEAD';
  if (installationId !== undefined) {
    if (installationId === repo.installationId) return;
    if (repo.private) throw new ApiError(404, 'Not Found');
    if (!read) throw new ApiError(403, 'Resource not accessible by integration');
    return;
  }
  if (user && deps.state.permission(repo, user.login) === 'none') throw new ApiError(404, 'Not Found');
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = {
    'x-github-request-id': randomUUID(),
    'x-github-media-type': 'github.v3; format=json',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    ...reply.headers,
  };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  if (typeof reply.body === 'string') {
    res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(reply.body);
    return;
  }
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(reply.body));
}
