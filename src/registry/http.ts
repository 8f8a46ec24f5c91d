// One HTTP exchange with a registry or its token service: a timeout on every request,
// bodies read up to a limit, and failures turned into RegistryErrors whose `why` is safe
// to show (no headers, no credentials, the server's own words cut short).
import { RegistryError } from '../errors.ts';

export type Fetch = typeof fetch;

/** What a request is about, for messages: `what` is e.g. "the tags of ghcr.io/acme/app". */
export interface Call {
  what: string;
  registry: string;
}

export interface HttpOptions {
  fetch: Fetch;
  timeoutMs: number;
}

function oneLine(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function causeOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.cause?.message) return oneLine(e.cause.message);
  if (e.cause?.code) return e.cause.code;
  return oneLine(e.message ?? String(err));
}

function isTimeout(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** A failure before any answer (refused, reset, DNS, TLS, timeout): always transient. */
export function unreachable(err: unknown, call: Call, timeoutMs: number): RegistryError {
  if (err instanceof RegistryError) return err;
  if (isTimeout(err)) return new RegistryError('REGISTRY_TIMEOUT', `cannot read ${call.what}`, call.registry, `no answer within ${timeoutMs / 1000}s`, { transient: true, cause: err });
  return new RegistryError('REGISTRY_UNREACHABLE', `cannot read ${call.what}`, call.registry, causeOf(err), { transient: true, cause: err });
}

export async function send(url: string, init: RequestInit, call: Call, opts: HttpOptions): Promise<Response> {
  try {
    return await opts.fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (err) {
    throw unreachable(err, call, opts.timeoutMs);
  }
}

/** The body, refusing more than `limit` bytes: a registry is a remote party. */
export async function readBody(res: Response, limit: number, call: Call, opts: HttpOptions): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooLarge = () => new RegistryError('REGISTRY_TOO_LARGE', `cannot read ${call.what}`, call.registry, `answer larger than ${limit} bytes`);
  if (declared > limit) {
    await discard(res);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (!res.body) return Buffer.alloc(0);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > limit) {
        await discard(res);
        throw tooLarge();
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    throw unreachable(err, call, opts.timeoutMs);
  }
  return Buffer.concat(chunks);
}

/** Frees the connection of an answer whose body is not wanted. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // already consumed or aborted: nothing holds the connection
  }
}

/** The registry's own error words: `{"errors": [{"code", "message"}]}` (Distribution
 *  spec), or a token service's `{"details"}` / `{"error"}`. */
function serverWords(body: string): string {
  try {
    const j = JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown }>; details?: unknown; error?: unknown; message?: unknown };
    const e = j.errors?.[0];
    if (e) return oneLine([e.code, e.message].filter((x) => typeof x === 'string' && x !== '').join(': '));
    for (const k of [j.details, j.error, j.message]) if (typeof k === 'string' && k !== '') return oneLine(k);
  } catch {
    // not JSON: an HTML error page says nothing useful
  }
  return '';
}

const STATUS: Record<number, { code: string; says: string }> = {
  401: { code: 'REGISTRY_UNAUTHORIZED', says: 'credentials missing or refused' },
  403: { code: 'REGISTRY_DENIED', says: 'access denied' },
  404: { code: 'REGISTRY_NOT_FOUND', says: 'not found' },
  429: { code: 'REGISTRY_RATE_LIMITED', says: 'rate limited' },
};

/** An answer that is not a success, as an error: 429 and 5xx are transient. */
export async function statusError(res: Response, call: Call, opts: HttpOptions, says?: string): Promise<RegistryError> {
  let words = '';
  try {
    words = serverWords((await readBody(res, 64 * 1024, call, opts)).toString('utf8'));
  } catch {
    // the status alone still says what happened
  }
  const known = STATUS[res.status] ?? (res.status >= 500 ? { code: 'REGISTRY_UNAVAILABLE', says: 'server error' } : { code: 'REGISTRY_BAD_RESPONSE', says: 'unexpected answer' });
  const why = `${says ?? known.says} (HTTP ${res.status}${words ? `: ${words}` : ''})`;
  return new RegistryError(known.code, `cannot read ${call.what}`, call.registry, why, { transient: res.status === 429 || res.status >= 500 });
}

export function badResponse(call: Call, why: string): RegistryError {
  return new RegistryError('REGISTRY_BAD_RESPONSE', `cannot read ${call.what}`, call.registry, why);
}
