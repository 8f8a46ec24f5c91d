// Runs Debian's `docker-registry` (the CNCF distribution registry) for integration tests,
// on 127.0.0.1 with its storage under a temp dir, behind htpasswd auth or token auth (a
// token service in this process signs ES256 JWTs with a self-signed certificate the
// registry trusts). Images go in with `skopeo copy` from an OCI layout.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const USER = 'ci';
export const PASSWORD = 'registry-pw';

export interface RegistryServer {
  /** `127.0.0.1:<port>`, as images name it. */
  host: string;
  auth: 'htpasswd' | 'token';
  /** Requests the token service answered (token auth only). */
  tokenRequests: number;
  log(): string;
  stop(): Promise<void>;
}

export function findBinary(name: string, hint = '.ci/install-registry.sh'): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat('/usr/bin', '/usr/sbin', '/usr/local/bin')) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found on PATH; run ${hint} first`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The token service of `auth: token`: Basic credentials in, a JWT for the asked scope out. */
async function startTokenService(dir: string, issuer: string, service: string, counter: { n: number }): Promise<{ server: Server; realm: string; cert: string }> {
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.crt');
  await run(findBinary('openssl'), ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=gitops-canary-test-token']);
  const pem = await readFile(cert, 'utf8');
  const x5c = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const privateKey = createPrivateKey(await readFile(key));
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const server = createHttpServer((req, res) => {
    counter.n++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'invalid username or password' }));
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => {
      const [type, name, actions] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1, s.lastIndexOf(':')), s.slice(s.lastIndexOf(':') + 1)];
      return type === 'repository' ? [{ type, name, actions: actions.split(',') }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [x5c] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: USER, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${b64url(signature)}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, realm: `http://127.0.0.1:${port}/token`, cert };
}

/** `notify`: a notifications endpoint (as an operator would point the registry at the bot),
 *  sent `Authorization: Bearer <token>`. */
export async function startRegistry(auth: 'htpasswd' | 'token', opts: { notify?: { url: string; token: string } } = {}): Promise<RegistryServer> {
  const bin = findBinary('docker-registry');
  const dir = await mkdtemp(join(tmpdir(), 'gitops-canary-registry-'));
  const counter = { n: 0 };
  let token: Server | undefined;
  let authConfig: string[];
  if (auth === 'htpasswd') {
    const { stdout } = await run(findBinary('htpasswd'), ['-Bbn', USER, PASSWORD]);
    await writeFile(join(dir, 'htpasswd'), stdout);
    authConfig = ['  htpasswd:', '    realm: gitops-canary-test', `    path: ${join(dir, 'htpasswd')}`];
  } else {
    const t = await startTokenService(dir, 'gitops-canary-test-issuer', 'gitops-canary-test-registry', counter);
    token = t.server;
    authConfig = ['  token:', `    realm: ${t.realm}`, '    service: gitops-canary-test-registry', '    issuer: gitops-canary-test-issuer', `    rootcertbundle: ${t.cert}`];
  }
  let lastError = '';
  // A free port is found by binding and releasing it; another process may take it in
  // between, so a registry that exits at start is retried on a fresh one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const notifications = opts.notify
      ? ['notifications:', '  endpoints:', '    - name: gitops-canary', `      url: ${opts.notify.url}`, '      headers:', `        Authorization: [Bearer ${opts.notify.token}]`, '      timeout: 2s', '      threshold: 3', '      backoff: 1s']
      : [];
    const config = ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, 'http:', `  addr: 127.0.0.1:${port}`, 'auth:', ...authConfig, ...notifications, ''].join('\n');
    await writeFile(join(dir, 'config.yml'), config);
    const child = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (chunk: string) => {
      output.push(chunk);
      if (output.length > 200) output.shift();
    };
    child.stdout!.setEncoding('utf8').on('data', keep);
    child.stderr!.setEncoding('utf8').on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('error', (err) => keep(String(err)));
    const server: RegistryServer = {
      host: `127.0.0.1:${port}`,
      auth,
      get tokenRequests() {
        return counter.n;
      },
      log: () => output.join(''),
      stop: async () => {
        await stopChild(child, exited);
        await new Promise<void>((resolve) => (token ? token.close(() => resolve()) : resolve()));
        await rm(dir, { recursive: true, force: true });
      },
    };
    try {
      await waitReady(server.host, exited);
      return server;
    } catch (err) {
      lastError = `${(err as Error).message}\n${server.log()}`;
      await stopChild(child, exited);
    }
  }
  token?.close();
  await rm(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start: ${lastError}`);
}

async function waitReady(host: string, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 100; i++) {
    if (gone) throw new Error('docker-registry exited during startup');
    try {
      // 401 is ready: the API answers and asks for credentials
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 401 || res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('docker-registry did not answer /v2/ within 10s');
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** skopeo with no system policy or credentials involved: only what the test passes. */
function skopeo(args: string[], encoding: 'utf8' | 'buffer' = 'utf8') {
  return run(findBinary('skopeo'), ['--insecure-policy', ...args], { encoding, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, REGISTRY_AUTH_FILE: '/dev/null' } });
}

/** Pushes `ref` of the layout to `image:tag` (all platforms of an index). */
export async function push(layoutDir: string, ref: string, image: string, tag: string): Promise<void> {
  await skopeo(['copy', '--quiet', '--all', '--dest-tls-verify=false', '--dest-creds', `${USER}:${PASSWORD}`, `oci:${layoutDir}:${ref}`, `docker://${image}:${tag}`]);
}

/** `skopeo inspect --raw | sha256sum`: the digest of the manifest as the registry serves it. */
export async function rawDigest(image: string, tag: string): Promise<string> {
  const { stdout } = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, `docker://${image}:${tag}`], 'buffer');
  return `sha256:${createHash('sha256').update(stdout as unknown as Buffer).digest('hex')}`;
}
