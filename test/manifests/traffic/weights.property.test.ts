// Property: for any weight list and canary percent P, the written rule totals 100, the
// canary gets exactly P, every other backend stays within one point of its exact share
// (100 * weight / old total), and a rule that totalled 100 keeps the others' weights.
// Generated with a seeded generator, so a failure names a case that reproduces.
import { describe, expect, it } from 'vitest';
import { gatewayHttpRoute as hr } from '../../../src/manifests/gateway-httproute.ts';
import { istioVirtualService as vs } from '../../../src/manifests/istio-virtualservice.ts';
import { parseManifest } from '../../../src/manifests/parse.ts';
import { percents, rescale } from '../../../src/manifests/split-weights.ts';
import type { TrafficEditor, TrafficSpec } from '../../../src/manifests/types.ts';
import { BotError } from '../../../src/errors.ts';
import { applySet } from './helpers.ts';

/** mulberry32: small, seeded, good enough to spread cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/** Weights the way repositories write them: small ratios, percents, zeros, big numbers. */
function weight(r: () => number): number {
  const k = r();
  if (k < 0.15) return 0;
  if (k < 0.55) return 1 + Math.floor(r() * 10);
  if (k < 0.85) return Math.floor(r() * 101);
  return Math.floor(r() * 1_000_001);
}

describe('rescale (pure)', () => {
  it('gives the canary P, totals 100 and keeps every other share within a point', () => {
    const r = rng(11);
    let checked = 0;
    for (let n = 0; n < 5000; n++) {
      const others = Array.from({ length: Math.floor(r() * 5) }, () => weight(r));
      const stable = weight(r);
      const canaryW = weight(r);
      const total = stable + canaryW + sum(others);
      if (total === 0) continue;
      const p = Math.floor(r() * 101);
      const exact = others.map((w) => (100 * w) / total);
      const res = rescale(total, others, p);
      const floors = sum(others.map((w) => Math.floor((100 * w) / total)));
      if ('available' in res) {
        expect(floors, JSON.stringify({ others, total, p })).toBeGreaterThan(100 - p);
        expect(res.available).toBe(100 - floors);
        continue;
      }
      checked++;
      const ctx = JSON.stringify({ stable, canaryW, others, p, res });
      expect(res.stable + p + sum(res.others), ctx).toBe(100);
      expect(res.stable, ctx).toBeGreaterThanOrEqual(0);
      res.others.forEach((o, i) => {
        expect(Number.isInteger(o), ctx).toBe(true);
        expect(Math.abs(o - exact[i]), ctx).toBeLessThan(1);
      });
      if (total === 100) expect(res.others, ctx).toEqual(others);
    }
    expect(checked).toBeGreaterThan(2500);
  });

  it('percents add up to 100 and stay within a point of the exact share', () => {
    const r = rng(5);
    for (let n = 0; n < 2000; n++) {
      const ws = Array.from({ length: 1 + Math.floor(r() * 5) }, () => weight(r));
      if (sum(ws) === 0) continue;
      const pc = percents(ws);
      expect(sum(pc)).toBe(100);
      pc.forEach((x, i) => expect(Math.abs(x - (100 * ws[i]) / sum(ws))).toBeLessThan(1));
      if (sum(ws) === 100) expect(pc).toEqual(ws);
    }
  });
});

interface Dialect {
  editor: TrafficEditor;
  spec: TrafficSpec;
  missing: number;
  single: boolean;
  render(items: { name: string; weight?: number }[]): string;
  read(value: unknown): { name: string; weight?: number }[];
}

const gateway: Dialect = {
  editor: hr,
  spec: { stable: { host: 'b0' }, canary: { host: 'canary' } },
  missing: 1,
  single: false,
  render: (items) =>
    'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\nspec:\n  rules:\n  - backendRefs:\n' +
    items.map((i) => `    - name: ${i.name}\n      port: 80\n` + (i.weight === undefined ? '' : `      weight: ${i.weight}\n`)).join(''),
  read: (v) => (v as { spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] } }).spec.rules[0].backendRefs,
};

const istio: Dialect = {
  editor: vs,
  spec: { stable: { host: 'b0' }, canary: { host: 'canary' } },
  missing: 0,
  single: true,
  render: (items) =>
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web}\nspec:\n  http:\n  - route:\n' +
    items.map((i) => `    - destination:\n        host: ${i.name}\n` + (i.weight === undefined ? '' : `      weight: ${i.weight}\n`)).join(''),
  read: (v) => (v as { spec: { http: { route: { destination: { host: string }; weight?: number }[] }[] } }).spec.http[0].route.map((r) => ({ name: r.destination.host, weight: r.weight })),
};

for (const [label, d] of [
  ['HTTPRoute', gateway],
  ['VirtualService', istio],
] as const) {
  describe(`${label}: set on generated routes`, () => {
    it('writes a total of 100, the canary exactly P, others within a point, or refuses for a stated reason', () => {
      const r = rng(label.length);
      let written = 0;
      for (let n = 0; n < 400; n++) {
        const count = 1 + Math.floor(r() * 4);
        const items = Array.from({ length: count }, (_, i) => ({ name: `b${i}`, weight: r() < 0.25 ? undefined : weight(r) }));
        // the canary is one of them (not the stable, b0) or not there yet
        const at = count > 1 && r() < 0.7 ? 1 + Math.floor(r() * (count - 1)) : -1;
        if (at > 0) items[at].name = 'canary';
        const p = Math.floor(r() * 101);
        const eff = items.map((i) => (d.single && count === 1 ? 1 : (i.weight ?? d.missing)));
        // Istio: an unweighted stable in a route that weighs nothing holds the traffic
        const repair = d === istio && sum(eff) === 0 && items[0].weight === undefined;
        if (repair) eff[0] = 1;
        const total = sum(eff);
        const src = d.render(items);
        const ctx = `${src}\ncanary ${p}`;
        let out;
        try {
          out = applySet(d.editor, src, d.spec, p);
        } catch (err) {
          if (!(err instanceof BotError)) throw err;
          const others = items.map((_, i) => i).filter((i) => i !== 0 && i !== at);
          const floors = sum(others.map((i) => Math.floor((100 * eff[i]) / total)));
          if (err.code === 'TRAFFIC_WEIGHT_ZERO') expect(total, ctx).toBe(0);
          else if (err.code === 'TRAFFIC_WEIGHT_UNAVAILABLE') expect(floors, ctx).toBeGreaterThan(100 - p);
          else throw err;
          continue;
        }
        const canaryBefore = at > 0 ? eff[at] : 0;
        if (out.changes.length === 0) {
          expect(repair, ctx).toBe(false);
          expect(canaryBefore * 100, ctx).toBe(p * total);
          continue;
        }
        written++;
        const after = d.read(out.values[0]);
        const w = after.map((i) => i.weight ?? d.missing);
        expect(sum(w), ctx).toBe(100);
        expect(after.find((i) => i.name === 'canary')?.weight ?? 0, ctx).toBe(p);
        items.forEach((item, i) => {
          if (i === 0 || i === at) return;
          expect(Math.abs(w[i] - (100 * eff[i]) / total), ctx).toBeLessThan(1);
          if (total === 100) expect(after[i].weight, ctx).toBe(item.weight);
        });
        expect(d.editor.read(parseManifest('r.yaml', out.text), d.spec).canary, ctx).toBe(p);
        expect(d.editor.set(parseManifest('r.yaml', out.text), d.spec, p).changes, ctx).toEqual([]);
      }
      expect(written).toBeGreaterThan(200);
    });
  });
}
