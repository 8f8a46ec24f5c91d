// GitHub App authentication: RS256 JWTs signed with the app key for /app endpoints, and
// short-lived `ghs_` installation tokens for everything else (REST and git over HTTP).
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { DoubleState, TokenState } from './state.ts';

export type Credential = { kind: 'app' } | { kind: 'token'; token: TokenState } | { kind: 'none' } | { kind: 'invalid'; reason: string };

export class Auth {
  private readonly publicKey: KeyObject;

  constructor(
    privateKeyPem: string,
    private readonly appId: number,
    private readonly clientId: string,
    private readonly state: DoubleState,
    private readonly tokenTtlMs: number,
  ) {
    this.publicKey = createPublicKey(privateKeyPem);
  }

  issueInstallationToken(installationId: number): TokenState {
    return this.store({ token: `ghs_${randomBytes(18).toString('base64url')}`, installationId, expiresAt: this.state.now().getTime() + this.tokenTtlMs });
  }

  issueUserToken(login: string): TokenState {
    return this.store({ token: `ghu_${randomBytes(18).toString('base64url')}`, user: this.state.actor(login), expiresAt: Number.MAX_SAFE_INTEGER });
  }

  private store(t: TokenState): TokenState {
    this.state.tokens.set(t.token, t);
    return t;
  }

  /** Reads `Authorization: Bearer|token <x>`; JWTs are recognised by their three segments. */
  fromHeader(header: string | undefined): Credential {
    if (!header) return { kind: 'none' };
    const m = /^(bearer|token)\s+(\S+)$/i.exec(header.trim());
    if (!m) return { kind: 'invalid', reason: 'unsupported Authorization scheme' };
    const value = m[2];
    if (value.split('.').length === 3) {
      const problem = this.verifyJwt(value);
      return problem ? { kind: 'invalid', reason: problem } : { kind: 'app' };
    }
    return this.fromToken(value);
  }

  /** Git smart HTTP sends `Basic base64(x-access-token:<token>)`. */
  fromBasic(header: string | undefined): Credential {
    if (!header) return { kind: 'none' };
    const m = /^basic\s+(\S+)$/i.exec(header.trim());
    if (!m) return this.fromHeader(header);
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return this.fromToken(colon < 0 ? decoded : decoded.slice(colon + 1));
  }

  fromToken(value: string): Credential {
    const t = this.state.tokens.get(value);
    if (!t) return { kind: 'invalid', reason: 'unknown token' };
    if (t.expiresAt <= this.state.now().getTime()) return { kind: 'invalid', reason: 'token expired' };
    return { kind: 'token', token: t };
  }

  private verifyJwt(jwt: string): string | undefined {
    const [h, p, s] = jwt.split('.');
    let header: { alg?: string };
    let payload: { iss?: unknown; exp?: number; iat?: number };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return 'malformed JWT';
    }
    if (header.alg !== 'RS256') return `JWT alg ${String(header.alg)} is not RS256`;
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), this.publicKey, Buffer.from(s, 'base64url'))) return 'JWT signature does not verify with the app key';
    if (String(payload.iss) !== String(this.appId) && payload.iss !== this.clientId) return `JWT iss ${String(payload.iss)} is not app ${this.appId}`;
    // Real clock on purpose: clients sign with it even when the double's clock is simulated.
    const now = Math.floor(Date.now() / 1000);
    // GitHub allows some clock drift but rejects expired or over-long (>10 min) JWTs.
    if (typeof payload.exp !== 'number' || payload.exp < now) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
    if (typeof payload.iat === 'number' && payload.exp - payload.iat > 660) return "'Expiration time' claim ('exp') is too far in the future";
    return undefined;
  }
}
