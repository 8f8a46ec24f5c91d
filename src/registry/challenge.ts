// The `WWW-Authenticate` challenge of a registry's 401 (RFC 7235): `Bearer realm=…,
// service=…` for token auth (Docker Hub, GHCR, Quay, Harbor, distribution with
// `auth: token`), `Basic realm=…` for htpasswd.

// A challenge's `scope` is not kept: the client asks for the scope of each request.
export type Challenge = { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string };

/** Parameters `a="x, y", b=z` with quoted-string escapes. */
function params(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && m[0] !== '') {
    out.set(m[1].toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]);
  }
  return out;
}

/** The challenge, or undefined when the header is missing or names another scheme. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = header.trim().match(/^([A-Za-z]+)(?:\s+(.*))?$/s);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme === 'basic') return { scheme: 'basic' };
  if (scheme !== 'bearer') return undefined;
  const p = params(m[2] ?? '');
  const realm = p.get('realm');
  if (!realm) return undefined;
  const service = p.get('service');
  return { scheme: 'bearer', realm, ...(service ? { service } : {}) };
}
