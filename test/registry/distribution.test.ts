// The Distribution client against an in-process registry on 127.0.0.1: the Bearer and
// Basic handshakes, token reuse and expiry, pagination, digests, and every failure named
// with its image and registry.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors.ts';
import type { Credential } from '../../src/registry/credentials.ts';
import { distributionRegistry, MANIFEST_ACCEPT, nextLink } from '../../src/registry/distribution.ts';
import { digestOf, startFakeRegistry, type FakeRegistry, type FakeRegistryOptions } from '../helpers/fake-registry.ts';

let reg: FakeRegistry | undefined;
afterEach(async () => {
  await reg?.close();
  reg = undefined;
});

async function fake(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  reg = await startFakeRegistry(opts);
  for (const t of ['0.1.0', '0.1.1', '0.2.0', '0.2.1', 'latest']) reg.addTag('team/app', t);
  return reg;
}

const creds = (c: Credential) => (host: string) => (host.startsWith('127.0.0.1') ? c : undefined);

async function failure(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('bearer token handshake', () => {
  it('fetches an anonymous token for the pull scope, then reuses it until it expires', async () => {
    const r = await fake({ auth: 'bearer', tokenSeconds: 300 });
    let now = 1_000_000;
    const client = distributionRegistry({ now: () => now });
    expect(await client.listTags(`${r.host}/team/app`)).toEqual(['0.1.0', '0.1.1', '0.2.0', '0.2.1', 'latest']);
    const token = r.requests.find((q) => q.path.startsWith('/token'))!;
    expect(new URL(token.path, r.url).searchParams.get('scope')).toBe('repository:team/app:pull');
    expect(new URL(token.path, r.url).searchParams.get('service')).toBe('fake-registry');
    expect(token.authorization).toBeUndefined();

    // known challenge and a live token: one request, no handshake
    const before = r.requests.length;
    await client.resolveDigest(`${r.host}/team/app`, '0.2.1');
    expect(r.requests.slice(before).map((q) => q.method)).toEqual(['HEAD']);

    // past expiry (less the early-renewal margin): a new token, sent with the first request
    now += 291_000;
    const mark = r.requests.length;
    await client.listTags(`${r.host}/team/app`);
    expect(r.requests.slice(mark).map((q) => q.path.split('?')[0])).toEqual(['/token', '/v2/team/app/tags/list']);
  });

  it('asks for a token per repository, not with the scope of the challenge it remembered', async () => {
    const r = await fake({ auth: 'bearer' });
    r.addTag('team/other', '1.0.0');
    const client = distributionRegistry();
    await client.listTags(`${r.host}/team/app`);
    expect(await client.listTags(`${r.host}/team/other`)).toEqual(['1.0.0']);
    const scopes = r.requests.filter((q) => q.path.startsWith('/token')).map((q) => new URL(q.path, r.url).searchParams.get('scope'));
    expect(scopes).toEqual(['repository:team/app:pull', 'repository:team/other:pull']);
  });

  it('sends Basic credentials to the realm, and says when the token service refuses them', async () => {
    const r = await fake({ auth: 'bearer', user: 'bot', password: 'right' });
    const ok = distributionRegistry({ credentials: creds({ kind: 'basic', username: 'bot', password: 'right' }) });
    expect(await ok.listTags(`${r.host}/team/app`)).toHaveLength(5);
    const token = r.requests.find((q) => q.path.startsWith('/token'))!;
    expect(token.authorization).toBe(`Basic ${Buffer.from('bot:right').toString('base64')}`);
    expect(new URL(token.path, r.url).searchParams.get('account')).toBe('bot');

    const bad = distributionRegistry({ credentials: creds({ kind: 'basic', username: 'bot', password: 'wrong' }) });
    const err = await failure(bad.listTags(`${r.host}/team/app`));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.transient).toBe(false);
    expect(err.message).toBe(`cannot read the tags of ${r.host}/team/app from registry ${r.host}: the token service ${r.host} refused the credentials for ${r.host} (HTTP 401: incorrect username or password)`);
    expect(err.message).not.toContain('wrong');
  });

  it("exchanges docker's identity token at the realm (OAuth2 refresh_token grant)", async () => {
    const r = await fake({ auth: 'bearer', refreshToken: 'refresh-me', user: 'someone', password: 'unused' });
    const client = distributionRegistry({ credentials: creds({ kind: 'identity', username: '<token>', token: 'refresh-me' }) });
    expect(await client.listTags(`${r.host}/team/app`)).toHaveLength(5);
    const token = r.requests.find((q) => q.path.startsWith('/token'))!;
    expect(token.method).toBe('POST');
    const form = new URLSearchParams(token.body);
    expect(Object.fromEntries(form)).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-me', service: 'fake-registry', scope: 'repository:team/app:pull' });
  });

  it('refuses a plain-HTTP realm off loopback before sending anything there', async () => {
    const r = await fake({ auth: 'bearer', realm: 'http://auth.registry.invalid/token' });
    const client = distributionRegistry({ credentials: creds({ kind: 'basic', username: 'bot', password: 'secret' }) });
    const err = await failure(client.listTags(`${r.host}/team/app`));
    expect(err.code).toBe('REGISTRY_INSECURE_REALM');
    expect(err.message).toContain('the token realm http://auth.registry.invalid is not HTTPS (list its host in REGISTRY_INSECURE_HOSTS to allow it)');
    expect(r.requests.map((q) => q.path.split('?')[0])).toEqual(['/v2/team/app/tags/list']);
  });

  it('says anonymous access was refused when no credentials are configured', async () => {
    const r = await fake({ auth: 'bearer', user: 'bot', password: 'right' });
    const err = await failure(distributionRegistry().listTags(`${r.host}/team/app`));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.why).toBe(`the token service ${r.host} refused anonymous access (HTTP 401: incorrect username or password)`);
  });
});

describe('basic auth', () => {
  it('answers a Basic challenge with the credentials, and keeps sending them', async () => {
    const r = await fake({ auth: 'basic', user: 'bot', password: 'pw' });
    const client = distributionRegistry({ credentials: creds({ kind: 'basic', username: 'bot', password: 'pw' }) });
    await client.listTags(`${r.host}/team/app`);
    await client.listTags(`${r.host}/team/app`);
    expect(r.requests.map((q) => Boolean(q.authorization))).toEqual([false, true, true]);
  });

  it('names the missing credentials and the refused ones', async () => {
    const r = await fake({ auth: 'basic', user: 'bot', password: 'pw' });
    const none = await failure(distributionRegistry().listTags(`${r.host}/team/app`));
    expect(none.message).toBe(`cannot read the tags of ${r.host}/team/app from registry ${r.host}: the registry asks for a user name and password and none is configured for ${r.host} (REGISTRY_CREDENTIALS or a docker config.json)`);
    const wrong = await failure(distributionRegistry({ credentials: creds({ kind: 'basic', username: 'bot', password: 'nope' }) }).resolveDigest(`${r.host}/team/app`, '0.2.1'));
    expect(wrong.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(wrong.message).toBe(`cannot read the digest of ${r.host}/team/app:0.2.1 from registry ${r.host}: the credentials for ${r.host} were refused (HTTP 401)`);
  });
});

describe('tags', () => {
  it('follows Link pagination, asking for n per page', async () => {
    const r = await fake({ page: 2 });
    const tags = await distributionRegistry({ pageSize: 2 }).listTags(`${r.host}/team/app`);
    expect(tags).toEqual(['0.1.0', '0.1.1', '0.2.0', '0.2.1', 'latest']);
    expect(r.requests.map((q) => q.path)).toEqual([
      '/v2/team/app/tags/list?n=2',
      '/v2/team/app/tags/list?n=2&last=0.1.1',
      '/v2/team/app/tags/list?n=2&last=0.2.1',
    ]);
  });

  it('stops at maxPages with a reason, and never follows a link off the registry', async () => {
    const r = await fake({ page: 1 });
    const err = await failure(distributionRegistry({ maxPages: 2 }).listTags(`${r.host}/team/app`));
    expect(err.code).toBe('REGISTRY_TOO_MANY_TAGS');
    expect(err.why).toBe('more than 2 pages of tags (2 tags so far)');

    await r.close();
    reg = await startFakeRegistry({
      intercept: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', link: '<http://127.0.0.2:1/v2/team/app/tags/list?last=x>; rel="next"' });
        res.end('{"tags":["a"]}');
        return true;
      },
    });
    const off = await failure(distributionRegistry().listTags(`${reg.host}/team/app`));
    expect(off.why).toBe('the next page link leaves the registry (http://127.0.0.2:1)');
  });

  it('reads an empty repository as no tags, and an unknown one as not found', async () => {
    const r = await fake();
    r.repos.set('team/empty', new Map());
    expect(await distributionRegistry().listTags(`${r.host}/team/empty`)).toEqual([]);
    const err = await failure(distributionRegistry().listTags(`${r.host}/team/missing`));
    expect(err.code).toBe('REGISTRY_NOT_FOUND');
    expect(err.message).toBe(`cannot read the tags of ${r.host}/team/missing from registry ${r.host}: not found (HTTP 404: NAME_UNKNOWN: repository name not known to registry)`);
  });

  it('parses Link headers as registries write them', () => {
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', 'https://r.example/v2/a/tags/list?n=2')).toBe('https://r.example/v2/a/tags/list?n=2&last=b');
    expect(nextLink('<https://r.example/x>; rel=next, <https://r.example/y>; rel="prev"', 'https://r.example/')).toBe('https://r.example/x');
    expect(nextLink('<https://r.example/y>; rel="prev"', 'https://r.example/')).toBeUndefined();
    expect(nextLink(null, 'https://r.example/')).toBeUndefined();
  });
});

describe('digests', () => {
  it('reads Docker-Content-Digest from a HEAD that accepts indexes and manifests of both formats', async () => {
    const r = await fake();
    const want = r.addTag('team/app', '0.3.0', '{"schemaVersion":2,"manifests":[]}', 'application/vnd.oci.image.index.v1+json');
    expect(await distributionRegistry().resolveDigest(`${r.host}/team/app`, '0.3.0')).toBe(want);
    expect(r.requests.map((q) => q.method)).toEqual(['HEAD']);
    expect(r.requests[0].accept).toBe(MANIFEST_ACCEPT);
    for (const t of ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']) {
      expect(MANIFEST_ACCEPT).toContain(t);
    }
  });

  it('hashes the manifest from a GET when HEAD carries no digest', async () => {
    const r = await fake({ headWithoutDigest: true });
    const want = r.addTag('team/app', '0.3.0', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
    expect(await distributionRegistry().resolveDigest(`${r.host}/team/app`, '0.3.0')).toBe(want);
    expect(r.requests.map((q) => q.method)).toEqual(['HEAD', 'GET']);
  });

  it('follows a redirect to another origin (a CDN) without our credentials', async () => {
    const cdn = await startFakeRegistry({
      intercept: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end('{"schemaVersion":2,"from":"cdn"}');
        return true;
      },
    });
    try {
      reg = await startFakeRegistry({
        auth: 'basic',
        user: 'bot',
        password: 'pw',
        headWithoutDigest: true,
        intercept: (req, res) => {
          if (req.method !== 'GET' || !req.headers.authorization) return false;
          res.writeHead(307, { location: `${cdn.url}/blob` });
          res.end();
          return true;
        },
      });
      reg.addTag('team/app', '1.0.0');
      const digest = await distributionRegistry({ credentials: creds({ kind: 'basic', username: 'bot', password: 'pw' }) }).resolveDigest(`${reg.host}/team/app`, '1.0.0');
      expect(digest).toBe(digestOf('{"schemaVersion":2,"from":"cdn"}'));
      expect(cdn.requests.map((q) => [q.path, q.authorization])).toEqual([['/blob', undefined]]);
    } finally {
      await cdn.close();
    }
  });

  it('names image, tag and registry when the tag does not exist', async () => {
    const r = await fake();
    const err = await failure(distributionRegistry().resolveDigest(`${r.host}/team/app`, '9.9.9'));
    expect(err.code).toBe('REGISTRY_NOT_FOUND');
    expect(err.message).toBe(`cannot read the digest of ${r.host}/team/app:9.9.9 from registry ${r.host}: no such tag or repository (HTTP 404)`);
  });
});

describe('failures', () => {
  it('treats 5xx and 429 as transient, with the server words', async () => {
    let status = 503;
    reg = await startFakeRegistry({
      intercept: (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'try later\nplease' }] }));
        return true;
      },
    });
    const down = await failure(distributionRegistry().listTags(`${reg.host}/team/app`));
    expect([down.code, down.transient, down.why]).toEqual(['REGISTRY_UNAVAILABLE', true, 'server error (HTTP 503: UNAVAILABLE: try later please)']);
    status = 429;
    const slow = await failure(distributionRegistry().listTags(`${reg.host}/team/app`));
    expect([slow.code, slow.transient]).toEqual(['REGISTRY_RATE_LIMITED', true]);
  });

  it('reports a refused connection as unreachable, naming the registry', async () => {
    const port = await closedPort();
    const err = await failure(distributionRegistry().resolveDigest(`127.0.0.1:${port}/team/app`, '1.0.0'));
    expect(err.code).toBe('REGISTRY_UNREACHABLE');
    expect(err.transient).toBe(true);
    expect(err.message).toBe(`cannot read the digest of 127.0.0.1:${port}/team/app:1.0.0 from registry 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('times out a registry that does not answer', async () => {
    reg = await startFakeRegistry({ intercept: () => true });
    const started = Date.now();
    const err = await failure(distributionRegistry({ timeoutMs: 200 }).listTags(`${reg.host}/team/app`));
    expect([err.code, err.transient, err.why]).toEqual(['REGISTRY_TIMEOUT', true, 'no answer within 0.2s']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses oversized answers and non-JSON tag lists', async () => {
    let body = 'not json';
    reg = await startFakeRegistry({
      intercept: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
        return true;
      },
    });
    expect((await failure(distributionRegistry().listTags(`${reg.host}/team/app`))).why).toBe('the tag list is not JSON');
    body = `{"tags":["${'x'.repeat(9 * 1024 * 1024)}"]}`;
    expect((await failure(distributionRegistry().listTags(`${reg.host}/team/app`))).code).toBe('REGISTRY_TOO_LARGE');
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
