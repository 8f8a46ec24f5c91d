// A tiny Distribution API server on 127.0.0.1 for unit tests: tags and manifests held in
// memory, optional Basic or Bearer auth with its own token realm, and hooks to make it
// misbehave. Every request is recorded, so tests can count handshakes.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  accept?: string;
  body?: string;
}

export interface FakeRegistryOptions {
  auth?: 'none' | 'basic' | 'bearer';
  user?: string;
  password?: string;
  /** Bearer: also accept this refresh token (docker's identitytoken) at the realm. */
  refreshToken?: string;
  /** Seconds each token lives (`expires_in`); omitted from the answer when undefined. */
  tokenSeconds?: number;
  /** Bearer realm override (e.g. an http realm on another host). */
  realm?: string;
  /** Tags per page; the server paginates with Link headers when set. */
  page?: number;
  /** Answer HEAD of manifests without Docker-Content-Digest. */
  headWithoutDigest?: boolean;
  /** Called first for every request; return true when it answered. */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface FakeRegistry {
  host: string;
  url: string;
  requests: Recorded[];
  /** Tags of a repository (`team/app`), each with the manifest body it serves. */
  repos: Map<string, Map<string, { body: string; mediaType: string }>>;
  addTag(repo: string, tag: string, body?: string, mediaType?: string): string;
  close(): Promise<void>;
}

export function digestOf(body: string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

export async function startFakeRegistry(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const requests: Recorded[] = [];
  const repos = new Map<string, Map<string, { body: string; mediaType: string }>>();
  const tokens = new Set<string>();
  let issued = 0;
  const basicOk = (h: string | undefined) => h === `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, authorization: req.headers.authorization, accept: req.headers.accept, ...(body ? { body } : {}) });
      if (opts.intercept?.(req, res)) return;
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (url.pathname === '/token') {
        const form = req.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
        const refresh = form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === opts.refreshToken && opts.refreshToken !== undefined;
        const anonymous = req.headers.authorization === undefined && opts.user === undefined;
        if (!refresh && !anonymous && !basicOk(req.headers.authorization)) return json(401, { details: 'incorrect username or password' });
        const token = `token-${++issued}-${form.get('scope')}`;
        tokens.add(token);
        const key = req.method === 'POST' ? 'access_token' : 'token';
        return json(200, { [key]: token, ...(opts.tokenSeconds !== undefined ? { expires_in: opts.tokenSeconds } : {}) });
      }
      const m = url.pathname.match(/^\/v2\/(.+)\/(tags\/list|manifests\/([^/]+))$/);
      if (!m) return json(404, { errors: [{ code: 'NOT_FOUND', message: 'no route' }] });
      const repo = m[1];
      const auth = opts.auth ?? 'none';
      const h = req.headers.authorization;
      if (auth === 'basic' && !basicOk(h)) return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': 'Basic realm="fake"' });
      if (auth === 'bearer') {
        const t = h?.startsWith('Bearer ') ? h.slice(7) : undefined;
        if (!t || !tokens.has(t) || !t.endsWith(`repository:${repo}:pull`)) {
          const realm = opts.realm ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
          return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': `Bearer realm="${realm}",service="fake-registry",scope="repository:${repo}:pull"` });
        }
      }
      const tags = repos.get(repo);
      if (!tags) return json(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
      if (m[2] === 'tags/list') {
        const all = [...tags.keys()].sort();
        const last = url.searchParams.get('last');
        const n = Number(url.searchParams.get('n') ?? all.length);
        const size = Math.min(opts.page ?? all.length, n || all.length);
        const from = last ? all.indexOf(last) + 1 : 0;
        const slice = all.slice(from, from + size);
        const more = from + size < all.length;
        const link: Record<string, string> = more ? { link: `</v2/${repo}/tags/list?n=${size}&last=${encodeURIComponent(slice[slice.length - 1])}>; rel="next"` } : {};
        return json(200, { name: repo, tags: slice }, link);
      }
      const entry = tags.get(decodeURIComponent(m[3]));
      if (!entry) return json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
      const headers: Record<string, string> = { 'content-type': entry.mediaType, 'content-length': String(Buffer.byteLength(entry.body)) };
      if (!(req.method === 'HEAD' && opts.headWithoutDigest)) headers['docker-content-digest'] = digestOf(entry.body);
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : entry.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    repos,
    addTag(repo, tag, body = JSON.stringify({ schemaVersion: 2, tag }), mediaType = 'application/vnd.oci.image.manifest.v1+json') {
      if (!repos.has(repo)) repos.set(repo, new Map());
      repos.get(repo)!.set(tag, { body, mediaType });
      return digestOf(body);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
