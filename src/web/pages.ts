// The pages the handlers' thread serves: the status page, its JSON, and a commit page for
// local mode (which has no forge to link to). The intake forwards GET requests here.
import type { LogEntry } from '../git/history.ts';
import { esc } from './html.ts';
import { statusPage } from './page.ts';
import type { StatusReport } from './report.ts';

export interface PageAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface PageSources {
  report(): Promise<StatusReport>;
  commit(sha: string): LogEntry | undefined;
}

const HTML = 'text/html; charset=utf-8';

export async function statusPages(path: string, src: PageSources): Promise<PageAnswer | undefined> {
  if (path === '' || path === '/') return { status: 200, contentType: HTML, body: statusPage(await src.report()) };
  if (path === '/api/status') return { status: 200, contentType: 'application/json', body: `${JSON.stringify(await src.report(), null, 2)}\n` };
  const m = /^\/commit\/([0-9a-f]{7,64})$/.exec(path);
  if (m) {
    const c = src.commit(m[1]);
    if (!c) return { status: 404, contentType: HTML, body: `<!doctype html><title>not found</title><p>No commit ${esc(m[1])} in the status shown; <a href="/">back</a>.</p>\n` };
    return {
      status: 200,
      contentType: HTML,
      body:
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(c.subject)}</title></head><body style="font:14px system-ui,sans-serif;max-width:900px;margin:auto;padding:16px">` +
        `<p><a href="/">← status</a></p><h1 style="font-size:18px">${esc(c.subject)}</h1><p><code>${esc(c.sha)}</code> · ${esc(c.author)} · ${esc(c.committerDate)}</p>` +
        `<pre style="white-space:pre-wrap;background:#f4f4f4;padding:12px">${esc(c.message)}</pre></body></html>\n`,
    };
  }
  return undefined;
}
