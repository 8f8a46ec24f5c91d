// The status page at `/`: server-rendered HTML, inline CSS and SVG, no script, no
// external assets. Readable with JavaScript off and in a terminal browser.
import { esc, href } from './html.ts';
import type { ReportApp, ReportRepo, StatusReport } from './report.ts';
import { timelineSvg } from './timeline-svg.ts';

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:16px;color:#1d1d1f;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}h3{font-size:15px;margin:0 0 8px}
.app{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:12px 0}
table{border-collapse:collapse}td,th{padding:2px 12px 2px 0;text-align:left;vertical-align:top}th{color:#555;font-weight:600}
code{font:12px ui-monospace,monospace;background:#f0f0f0;padding:1px 4px;border-radius:3px}
.bar{display:inline-block;width:200px;height:10px;background:#cfe3ff;border-radius:5px;vertical-align:middle;overflow:hidden}
.bar span{display:block;height:100%;background:#f5a623}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;background:#eee;margin-left:6px}
.paused,.holding{background:#ffe9a8}.problem{color:#b00020}.muted{color:#666}
svg.timeline .grid{stroke:#eee}svg.timeline .axis{fill:#777;font-size:10px}
svg.timeline .weight{fill:none;stroke:#f5a623;stroke-width:2}svg.timeline circle{fill:#f5a623;stroke:#fff}
svg.timeline .tag{fill:#333;font-size:10px}
`;

export function statusPage(report: StatusReport): string {
  const repos = report.repos.map(repoSection).join('');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>gitops-canary status</title><style>${CSS}</style></head><body>` +
    `<h1>gitops-canary</h1><p class="muted">${esc(report.mode)} mode · generated ${esc(report.generatedAt)} · ` +
    `<a href="/api/status">JSON</a> · <a href="/healthz">healthz</a> · <a href="/readyz">readyz</a> · <a href="/metrics">metrics</a></p>` +
    (repos || '<p>No config repositories yet.</p>') +
    `</body></html>\n`
  );
}

function repoSection(r: ReportRepo): string {
  const title = r.url ? `<a href="${href(r.url)}">${esc(r.repo)}</a>` : esc(r.repo);
  const problem = r.problem ? `<p class="problem">${esc(r.problem)}</p>` : '';
  return `<section class="repo"><h2>${title}</h2>${problem}${r.apps.map(appCard).join('')}</section>`;
}

function appCard(a: ReportApp): string {
  const rows: string[] = [];
  for (const t of a.tracks) rows.push(row(`${t.track}`, `${t.tags.map((g) => `<code>${esc(g)}</code>`).join(' ') || '<span class="muted">no references</span>'} <span class="muted">${esc(t.filter)}</span>`));
  if (a.weights) {
    const pct = Math.max(0, Math.min(100, a.weights.canary));
    rows.push(row('weights', `<span class="bar" title="canary ${pct}%"><span style="width:${pct}%"></span></span> stable ${a.weights.stable}% · canary ${a.weights.canary}%${a.weights.others ? ` · others ${a.weights.others}%` : ''}`));
  }
  const ro = a.rollout;
  if (ro) {
    rows.push(row('rollout', ro.step ? esc(ro.step) : '<span class="muted">no rollout in progress</span>'));
    if (ro.enteredAt) rows.push(row('entered', esc(ro.enteredAt)));
    // a hold is what happens next until its cause goes away: one row, named for what it is
    rows.push(row(ro.hold ? 'holding' : 'next', `${esc(ro.next.reason)}${ro.next.at ? ` <span class="muted">(at ${esc(ro.next.at)})</span>` : ''}`));
    if (ro.lastGate) rows.push(row('last gate', `${esc(ro.lastGate.verdict)}${ro.lastGate.summary ? `: ${esc(ro.lastGate.summary)}` : ''} <span class="muted">${esc(ro.lastGate.at)}</span>`));
  }
  if (a.held.length) rows.push(row('held', a.held.map((h) => `<code>${esc(h)}</code>`).join(' ')));
  if (a.lastChange) {
    const c = a.lastChange;
    rows.push(row('last change', `<a href="${href(a.lastChangeUrl)}"><code>${esc(c.sha.slice(0, 12))}</code></a> ${esc(c.subject)} <span class="muted">${esc(c.at)}</span>`));
  }
  for (const p of a.problems) rows.push(row('problem', `<span class="problem">${esc(p)}</span>`));
  const badge = a.paused ? `<span class="badge paused">paused</span>` : ro?.hold ? `<span class="badge holding">holding</span>` : '';
  const svg = timelineSvg(a.timeline, { link: (p) => (p as { url?: string }).url });
  return `<article class="app" id="app-${esc(a.app)}"><h3>${esc(a.app)}${badge} <span class="muted"><code>${esc(a.image)}</code></span></h3><table>${rows.join('')}</table>${svg}</article>`;
}

function row(label: string, html: string): string {
  return `<tr><th>${esc(label)}</th><td>${html}</td></tr>`;
}
