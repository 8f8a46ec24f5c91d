// A client of the OCI Distribution API (`/v2/`), the protocol of Docker Hub, GHCR, Quay,
// Harbor, ECR, GAR and the CNCF registry: tag lists and manifest digests, read-only.
import { createHash } from 'node:crypto';
import { RegistryError } from '../errors.ts';
import { validateTag } from '../policy/image.ts';
import { registryAddress, type RegistryAddress } from './address.ts';
import { Authenticator } from './auth.ts';
import { parseChallenge } from './challenge.ts';
import type { CredentialLookup } from './credentials.ts';
import { badResponse, discard, readBody, send, statusError, type Call, type Fetch, type HttpOptions } from './http.ts';
import type { Registry } from './types.ts';

export interface DistributionOptions {
  credentials?: CredentialLookup;
  /** Hosts (`host` or `host:port`) spoken to over plain HTTP besides loopback. */
  insecureHosts?: readonly string[];
  /** Per request, the token handshake included (default 10 s). */
  timeoutMs?: number;
  /** Tags asked for per page (`n`); registries may send fewer and a `Link` to the rest. */
  pageSize?: number;
  /** Pages read before giving up on a repository (default 100). */
  maxPages?: number;
  fetch?: Fetch;
  now?: () => number;
}

/** Manifest kinds a tag may name, multi-arch first: a pinned reference must name what
 *  the registry stores for the tag, and that is the index when there is one. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const MAX_TAG_PAGE = 8 * 1024 * 1024;
// The Distribution spec lets registries refuse manifests over 4 MiB; none is larger.
const MAX_MANIFEST = 4 * 1024 * 1024;

/** The `rel="next"` target of a Link header, resolved against the page it came with. */
export function nextLink(header: string | null, current: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = part.match(/^\s*<([^>]*)>(.*)$/);
    if (m && /;\s*rel="?next"?/i.test(m[2])) return new URL(m[1], current).href;
  }
  return undefined;
}

class Distribution implements Registry {
  private readonly http: HttpOptions;
  private readonly auth: Authenticator;
  private readonly credentials: CredentialLookup;
  private readonly insecure: readonly string[];

  constructor(private readonly opts: DistributionOptions) {
    this.http = { fetch: opts.fetch ?? fetch, timeoutMs: opts.timeoutMs ?? 10_000 };
    this.credentials = opts.credentials ?? (() => undefined);
    this.insecure = (opts.insecureHosts ?? []).map((h) => h.toLowerCase());
    this.auth = new Authenticator({ ...this.http, credentials: this.credentials, insecure: this.insecure, now: opts.now ?? Date.now });
  }

  async listTags(image: string): Promise<string[]> {
    const addr = registryAddress(image, this.insecure);
    const call: Call = { what: `the tags of ${addr.image}`, registry: addr.host };
    const origin = new URL(addr.base).origin;
    let url = `${addr.base}/v2/${addr.name}/tags/list?n=${this.opts.pageSize ?? 1000}`;
    const tags: string[] = [];
    for (let page = 0; ; page++) {
      if (page === (this.opts.maxPages ?? 100)) {
        throw new RegistryError('REGISTRY_TOO_MANY_TAGS', `cannot read ${call.what}`, call.registry, `more than ${page} pages of tags (${tags.length} tags so far)`);
      }
      const res = await this.request(addr, url, { headers: { accept: 'application/json' } }, call);
      if (!res.ok) throw await statusError(res, call, this.http);
      const body = await readBody(res, MAX_TAG_PAGE, call, this.http);
      let json: { tags?: unknown };
      try {
        json = JSON.parse(body.toString('utf8')) as typeof json;
      } catch {
        throw badResponse(call, 'the tag list is not JSON');
      }
      // an empty repository lists `"tags": null`
      if (json.tags !== null && json.tags !== undefined && !Array.isArray(json.tags)) throw badResponse(call, 'the tag list has no "tags" array');
      tags.push(...((json.tags as unknown[] | null) ?? []).filter((t): t is string => typeof t === 'string'));
      const next = nextLink(res.headers.get('link'), url);
      if (!next) return tags;
      // our credentials go with every page, so pages must stay on the registry
      if (new URL(next).origin !== origin) throw badResponse(call, `the next page link leaves the registry (${new URL(next).origin})`);
      url = next;
    }
  }

  async resolveDigest(image: string, tag: string): Promise<string> {
    const addr = registryAddress(image, this.insecure);
    validateTag(tag);
    const call: Call = { what: `the digest of ${addr.image}:${tag}`, registry: addr.host };
    const url = `${addr.base}/v2/${addr.name}/manifests/${tag}`;
    const headers = { accept: MANIFEST_ACCEPT };
    const head = await this.request(addr, url, { method: 'HEAD', headers }, call);
    const said = head.headers.get('docker-content-digest') ?? '';
    await discard(head);
    if (head.ok && DIGEST.test(said)) return said;
    // HEAD refused as a method or answered without the header (some registries and
    // proxies): the digest is the hash of the manifest as served.
    if (!head.ok && head.status !== 405 && head.status !== 400) throw await statusError(head, call, this.http, head.status === 404 ? 'no such tag or repository' : undefined);
    const res = await this.request(addr, url, { headers }, call);
    if (!res.ok) throw await statusError(res, call, this.http, res.status === 404 ? 'no such tag or repository' : undefined);
    const body = await readBody(res, MAX_MANIFEST, call, this.http);
    return `sha256:${createHash('sha256').update(body).digest('hex')}`;
  }

  /** One request, authorized as the registry asks: a 401 teaches the challenge and the
   *  request is sent once more with the header it asked for. */
  private async request(addr: RegistryAddress, url: string, init: RequestInit & { headers: Record<string, string> }, call: Call): Promise<Response> {
    const scope = `repository:${addr.name}:pull`;
    const attempt = async (fresh: boolean): Promise<Response> => {
      const authorization = await this.auth.header(addr, scope, call, fresh);
      return send(url, { ...init, headers: { ...init.headers, 'user-agent': 'gitops-canary', ...(authorization ? { authorization } : {}) } }, call, this.http);
    };
    const first = await attempt(false);
    if (first.status !== 401) return first;
    const challenge = parseChallenge(first.headers.get('www-authenticate'));
    if (!challenge) throw await statusError(first, call, this.http, 'unauthorized, and the registry named no way to authenticate');
    await discard(first);
    this.auth.learn(addr, challenge);
    const second = await attempt(true);
    if (second.status !== 401) return second;
    const says = this.credentials(addr.host) ? `the credentials for ${addr.host} were refused` : `anonymous access refused and no credentials are configured for ${addr.host} (REGISTRY_CREDENTIALS or a docker config.json)`;
    throw await statusError(second, call, this.http, says);
  }
}

export function distributionRegistry(opts: DistributionOptions = {}): Registry {
  return new Distribution(opts);
}
