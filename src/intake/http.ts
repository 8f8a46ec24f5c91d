// The HTTP surface: /healthz, the GitHub webhook path, the registry hooks, the pages the
// handlers' thread renders (/readyz, /metrics, /), 404 for the rest. The same handler runs
// in the intake thread (npm start) or in the caller's thread (tests, benchmarks).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { REGISTRY_HOOKS_PREFIX } from './registry-hooks.ts';

export const WEBHOOKS_PATH = '/api/github/webhooks';

/** The paths the handlers' thread answers (pages.ts); every other path stays the intake's. */
export const PAGE_PATHS: ReadonlySet<string> = new Set(['/', '/readyz', '/metrics', '/api/status']);
/** Local mode's commit pages (`/commit/<sha>`), where there is no forge to link to. */
const PAGE_PREFIXES = ['/commit/'];

export interface Health {
  /** The body of /healthz; `ok: false` answers 503. */
  (): { ok: boolean; [k: string]: unknown };
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A one-line JSON answer, unless one has gone out already. */
export function respondJson(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

type PageRoute = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export function createHttpServer(routes: { health: Health; webhook: Route; registry?: Route; page?: PageRoute }): Server {
  const run = (route: Route, req: IncomingMessage, res: ServerResponse) =>
    route(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"intake failed"}\n');
    });
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0].replace(/\/+$/, '') || '/';
    if (req.method === 'GET' && path === '/healthz') {
      const { ok, ...rest } = routes.health();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy', ...rest }));
      return;
    }
    if (path === WEBHOOKS_PATH) return void run(routes.webhook, req, res);
    if (routes.registry && path.startsWith(REGISTRY_HOOKS_PREFIX)) return void run(routes.registry, req, res);
    const page = routes.page;
    if (page && (PAGE_PATHS.has(path) || PAGE_PREFIXES.some((p) => path.startsWith(p)))) return void run((q, s) => page(q, s, path), req, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Not Found' }));
  });
  // A sender that never finishes its headers must not hold a socket forever.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  return server;
}

export interface Listener {
  readonly port: number;
  /** Stops accepting; resolves once every request in flight has been answered. */
  close(): Promise<void>;
}

export function listen(server: Server, port: number, host: string): Promise<Listener> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({ port: typeof address === 'object' && address ? address.port : port, close: () => closeServer(server) });
    });
  });
}

/** close() waits for keep-alive sockets to idle out; sweep them while requests finish. */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  return closed.finally(() => clearInterval(sweep));
}
