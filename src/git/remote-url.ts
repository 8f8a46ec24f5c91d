// Remote URLs as given in config: possibly with credentials embedded, possibly http.
import { GitError } from '../errors.ts';

export function parseHttpUrl(remoteUrl: string): URL | undefined {
  if (!/^https?:\/\//i.test(remoteUrl)) return undefined;
  try {
    return new URL(remoteUrl);
  } catch {
    return undefined;
  }
}

/** Moves credentials embedded in an HTTP(S) URL out of it, so they are never stored in
 *  .git/config; the explicit token wins over the embedded one. */
export function splitCredentials(remoteUrl: string | undefined, token: string | undefined): { url?: string; token?: string } {
  if (!remoteUrl) return { token };
  const parsed = parseHttpUrl(remoteUrl);
  if (!parsed || (!parsed.username && !parsed.password)) return { url: remoteUrl, token };
  const embedded = decodeURIComponent(parsed.password || parsed.username);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), token: token ?? embedded };
}

/** A token only travels over https, or plain http to a loopback test server. */
export function assertSecureTransport(url: string): void {
  const parsed = parseHttpUrl(url);
  if (!parsed || parsed.protocol === 'https:') return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return;
  throw new GitError('GIT_INSECURE_REMOTE', `refusing to send a token over plain http to ${parsed.host}; use https`);
}
