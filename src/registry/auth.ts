// The Distribution auth handshake. A registry answers 401 with a challenge; for `Basic`
// the credentials go to the registry itself, for `Bearer` a token is fetched from the
// realm (anonymously, with Basic credentials, or by exchanging docker's identity token)
// for the scope the request needs. Challenges and tokens are remembered, so later
// requests carry the right header from the start and a token is fetched once per scope
// until it expires.
import { RegistryError } from '../errors.ts';
import { allowsHttp, type RegistryAddress } from './address.ts';
import type { Challenge } from './challenge.ts';
import type { Credential, CredentialLookup } from './credentials.ts';
import { badResponse, readBody, send, statusError, type Call, type HttpOptions } from './http.ts';

export interface AuthOptions extends HttpOptions {
  credentials: CredentialLookup;
  insecure: readonly string[];
  now: () => number;
}

/** Tokens without `expires_in` live 60 s (the token spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKENS = 512;
const MAX_TOKEN_RESPONSE = 256 * 1024;

function basic(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

export class Authenticator {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(private readonly opts: AuthOptions) {}

  /** What the last 401 from this registry asked for. */
  learn(addr: RegistryAddress, challenge: Challenge): void {
    this.challenges.set(addr.base, challenge);
  }

  /** The Authorization header for a request needing `scope` (`repository:<name>:pull`),
   *  or undefined while the registry has not asked for one. `fresh` skips the token
   *  cache (the cached token was just refused). */
  async header(addr: RegistryAddress, scope: string, call: Call, fresh = false): Promise<string | undefined> {
    const ch = this.challenges.get(addr.base);
    if (!ch) return undefined;
    const cred = this.opts.credentials(addr.host);
    if (ch.scheme === 'basic') {
      if (!cred) throw new RegistryError('REGISTRY_UNAUTHORIZED', `cannot read ${call.what}`, call.registry, `the registry asks for a user name and password and none is configured for ${addr.host} (REGISTRY_CREDENTIALS or a docker config.json)`);
      if (cred.kind !== 'basic') throw new RegistryError('REGISTRY_UNAUTHORIZED', `cannot read ${call.what}`, call.registry, `the registry asks for a password, but the credentials for ${addr.host} hold only an identity token`);
      return basic(cred);
    }
    // The request's own scope, not the challenge's: a challenge is remembered per
    // registry, and its scope named the repository of the request that drew it.
    const key = [ch.realm, ch.service ?? '', scope, cred?.username ?? ''].join('\0');
    const cached = this.tokens.get(key);
    if (!fresh && cached && cached.expires > this.opts.now()) return `Bearer ${cached.token}`;
    this.tokens.delete(key);
    const got = await this.fetchToken(ch, scope, cred, call);
    if (this.tokens.size >= MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
    this.tokens.set(key, got);
    return `Bearer ${got.token}`;
  }

  private async fetchToken(ch: Extract<Challenge, { scheme: 'bearer' }>, scope: string, cred: Credential | undefined, call: Call): Promise<{ token: string; expires: number }> {
    let realm: URL;
    try {
      realm = new URL(ch.realm);
    } catch {
      throw badResponse(call, `the token realm ${JSON.stringify(ch.realm)} is not a URL`);
    }
    // Credentials never travel in clear text to a realm the operator did not allow.
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && allowsHttp(realm.host, this.opts.insecure))) {
      throw new RegistryError('REGISTRY_INSECURE_REALM', `cannot read ${call.what}`, call.registry, `the token realm ${realm.origin} is not HTTPS (list its host in REGISTRY_INSECURE_HOSTS to allow it)`);
    }
    const tokenCall: Call = { what: call.what, registry: call.registry };
    const form = new URLSearchParams();
    if (ch.service) form.set('service', ch.service);
    form.set('scope', scope);
    let res: Response;
    if (cred?.kind === 'identity') {
      // docker's OAuth2 flow: the identity token is a refresh token for the realm
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', cred.token);
      form.set('client_id', 'gitops-canary');
      res = await send(realm.href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }, tokenCall, this.opts);
    } else {
      if (cred) form.set('account', cred.username);
      for (const [k, v] of form) realm.searchParams.append(k, v);
      res = await send(realm.href, { headers: cred ? { authorization: basic(cred) } : {} }, tokenCall, this.opts);
    }
    if (!res.ok) {
      const says = res.status === 401 || res.status === 403 ? `the token service ${realm.host} refused ${cred ? `the credentials for ${call.registry}` : 'anonymous access'}` : `the token service ${realm.host} failed`;
      throw await statusError(res, tokenCall, this.opts, says);
    }
    const body = await readBody(res, MAX_TOKEN_RESPONSE, tokenCall, this.opts);
    let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(body.toString('utf8')) as typeof json;
    } catch {
      throw badResponse(tokenCall, `the token service ${realm.host} answered something other than JSON`);
    }
    const token = typeof json.token === 'string' && json.token ? json.token : typeof json.access_token === 'string' ? json.access_token : '';
    if (!token) throw badResponse(tokenCall, `the token service ${realm.host} answered without a token`);
    const seconds = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_SECONDS;
    // renew a little early: a token that expires in flight costs a refused request
    const margin = Math.min(10, seconds / 4) * 1000;
    return { token, expires: this.opts.now() + seconds * 1000 - margin };
  }
}
