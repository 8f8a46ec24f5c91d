// The pages rendered in the handlers' thread, where the data lives: /readyz, /metrics
// and a plain home page at / (until the status page takes its place). The intake
// forwards GET requests for these paths here (src/intake/pages.ts).
import type { Readiness } from './health/readiness.ts';
import type { PageAnswer, Pages } from './intake/pages.ts';
import { exposition, type Metrics } from './metrics/registry.ts';
import { esc } from './web/html.ts';
import { statusPages, type PageSources as StatusSources } from './web/pages.ts';

export interface PageSources {
  mode: 'github' | 'local';
  readiness: Readiness;
  metrics: Metrics;
  webhooksPath: string;
  /** The status page's data; without it `/` is the plain home page. */
  status?: StatusSources;
}

function readyz(readiness: Readiness): PageAnswer {
  const r = readiness.report();
  return { status: r.ready ? 200 : 503, contentType: 'application/json', body: `${JSON.stringify({ status: r.ready ? 'ready' : 'not ready', checks: r.checks })}\n` };
}

function home(src: PageSources): PageAnswer {
  const r = src.readiness.report();
  const rows = Object.entries(r.checks)
    .map(([name, c]) => `<tr><td>${esc(name)}</td><td>${c.ok ? 'ok' : 'failing'}</td><td>${esc(c.reason ?? c.warning ?? c.detail ?? '')}</td></tr>`)
    .join('\n');
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>gitops-canary</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}td{padding:0 1rem 0 0;vertical-align:top}</style>
</head>
<body>
<h1>gitops-canary</h1>
<p>Turns releases into GitOps changes: it rewrites image tags and canary traffic weights in a config repo, steps canaries on a schedule behind Prometheus gates, and rolls back with <code>git revert</code>. Running in <strong>${src.mode}</strong> mode; webhooks go to <code>${esc(src.webhooksPath)}</code>.</p>
<p>${r.ready ? 'Ready.' : '<strong>Not ready.</strong>'}</p>
<table>
${rows}
</table>
<ul>
<li><a href="/healthz">/healthz</a>: liveness</li>
<li><a href="/readyz">/readyz</a>: readiness, with the reason for each failing check</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
</ul>
</body>
</html>
`;
  return { status: 200, contentType: 'text/html; charset=utf-8', body };
}

export function createPages(src: PageSources): Pages {
  return async (path) => {
    if (path === '/readyz') return readyz(src.readiness);
    if (path === '/metrics') {
      const m = await exposition(src.metrics);
      return { status: 200, contentType: m.contentType, body: m.body };
    }
    if (src.status) return statusPages(path, src.status);
    if (path === '/') return home(src);
    return undefined;
  };
}
