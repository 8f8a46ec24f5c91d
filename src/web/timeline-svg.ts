// The canary weight over time as an inline SVG: a step line (weights hold until the next
// change), one linked point per change, and the canary tag written where it changed.
// No script and no external assets, so it renders the same with JavaScript off.
import type { TimelinePoint } from '../jobs/timeline.ts';
import { esc, href } from './html.ts';

export interface SvgOptions {
  width?: number;
  height?: number;
  /** Where a point links: its pull request when it has one, else its commit. */
  link: (p: TimelinePoint) => string | undefined;
  /** Right edge of the chart; defaults to the last point. */
  now?: Date;
}

const PAD = { left: 40, right: 16, top: 24, bottom: 28 };

export function timelineSvg(points: readonly TimelinePoint[], opts: SvgOptions): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 180;
  const shown = points.filter((p) => p.canary !== null);
  if (shown.length === 0) return `<p class="empty">No weight changes recorded yet.</p>`;
  const times = shown.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(opts.now ? opts.now.getTime() : 0, ...times);
  const span = Math.max(1, t1 - t0);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - t0) / span) * plotW;
  const y = (w: number) => PAD.top + (1 - w / 100) * plotH;
  const r = (n: number) => Math.round(n * 10) / 10;

  let path = '';
  shown.forEach((p, i) => {
    const px = r(x(times[i]));
    const py = r(y(p.canary!));
    path += i === 0 ? `M${px},${py}` : `H${px}V${py}`;
  });
  path += `H${r(x(t1))}`;

  const grid = [0, 50, 100]
    .map((w) => `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${r(y(w))}" y2="${r(y(w))}" class="grid"/><text x="${PAD.left - 6}" y="${r(y(w)) + 4}" text-anchor="end" class="axis">${w}%</text>`)
    .join('');
  let lastTag: string | undefined;
  const dots = shown
    .map((p, i) => {
      const px = r(x(times[i]));
      const py = r(y(p.canary!));
      const tag = p.tags.canary;
      const label = tag && tag !== lastTag ? `<text x="${px}" y="${Math.max(12, py - 8)}" text-anchor="middle" class="tag">${esc(tag)}</text>` : '';
      lastTag = tag ?? lastTag;
      const title = `${p.at} ${p.action}${p.step ? ` step ${p.step}` : ''}: canary ${p.canary}%${tag ? `, canary ${tag}` : ''}${p.tags.stable ? `, stable ${p.tags.stable}` : ''} (${p.sha.slice(0, 7)}${p.pr !== undefined ? `, #${p.pr}` : ''})`;
      return (
        `<a href="${href(opts.link(p))}" class="point" data-sha="${esc(p.sha)}" data-canary="${p.canary}" data-action="${esc(p.action)}">` +
        `<circle cx="${px}" cy="${py}" r="4"><title>${esc(title)}</title></circle></a>${label}`
      );
    })
    .join('');
  const from = new Date(t0).toISOString().slice(0, 16).replace('T', ' ');
  const to = new Date(t1).toISOString().slice(0, 16).replace('T', ' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="canary weight over time">` +
    grid +
    `<path d="${path}" class="weight"/>` +
    dots +
    `<text x="${PAD.left}" y="${height - 8}" class="axis">${from}</text><text x="${width - PAD.right}" y="${height - 8}" text-anchor="end" class="axis">${to} UTC</text>` +
    `</svg>`
  );
}
