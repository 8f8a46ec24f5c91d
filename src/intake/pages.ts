// GET pages that live in the handlers' thread (readiness, metrics, the status page): the
// intake only forwards the path and sends back what comes, with a deadline, so a blocked
// handlers' thread shows as a 503 on /readyz instead of a hung probe.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { respondJson } from './http.ts';
import type { PageAnswer } from './messages.ts';

export type { PageAnswer } from './messages.ts';

/** What the handlers' thread renders: an answer, or undefined for a path it has no page for. */
export type Pages = (path: string, query: URLSearchParams) => Promise<PageAnswer | undefined>;

/** How the intake reaches `Pages`: a direct call (inline) or a message round trip (thread).
 *  `query` is the raw query string, which crosses threads as it is. */
export type PageSource = (path: string, query: string) => Promise<PageAnswer | null | undefined>;

/** Pages asked for and not answered yet; more are refused rather than queued. */
const MAX_IN_FLIGHT = 16;

export function createPageRoute(source: PageSource, timeoutMs: number) {
  let inFlight = 0;
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return respondJson(res, 405, { error: 'method not allowed' });
    }
    if (inFlight >= MAX_IN_FLIGHT) return respondJson(res, 503, { status: 'busy' });
    const query = (req.url ?? '').split('?').slice(1).join('?');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    inFlight++;
    let answer: PageAnswer | null | undefined | 'late' | 'failed';
    try {
      answer = await Promise.race([source(path, query).catch(() => 'failed' as const), late]);
    } finally {
      inFlight--;
      clearTimeout(timer);
    }
    if (answer === 'late') return respondJson(res, 503, { status: 'handlers not answering' });
    if (answer === 'failed') return respondJson(res, 500, { error: 'page failed' });
    if (!answer) return respondJson(res, 404, { message: 'Not Found' });
    const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength);
    res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** Asks `pages` in this thread (inline mode, and the handlers' side of the thread mode). */
export function askPages(pages: Pages | undefined): PageSource {
  return async (path, query) => (pages ? pages(path, new URLSearchParams(query)) : undefined);
}
