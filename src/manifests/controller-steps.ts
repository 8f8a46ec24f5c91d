// The rollout plans of the controllers that set traffic weights themselves, as readable
// lines for `status`: an Argo Rollout's canary steps, a Flagger Canary's analysis. Read
// from the repo only; what the controller is doing right now lives in the cluster.

type Data = Record<string, unknown>;

const rec = (v: unknown): Data => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

/** Argo reads a bare number (or a string of digits) as seconds. */
function duration(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  return /^\d+$/.test(s) ? `${s}s` : s;
}

/** Istio's StringMatch as Argo and Flagger write it: `{exact|regex|prefix: value}`. */
function stringMatch(name: string, m: unknown): string {
  const v = rec(m);
  if (v.exact !== undefined) return `${name} = ${JSON.stringify(text(v.exact) ?? '')}`;
  if (v.regex !== undefined) return `${name} ~ ${text(v.regex) ?? ''}`;
  if (v.prefix !== undefined) return `${name} starts with ${JSON.stringify(text(v.prefix) ?? '')}`;
  return `${name} present`;
}

function headerRoute(v: Data): string {
  const name = text(v.name) ?? '(unnamed)';
  const matches = list(v.match).map((m) => stringMatch(text(rec(m).headerName) ?? '?', rec(m).headerValue));
  return matches.length ? `setHeaderRoute ${name}: requests with ${matches.join(' and ')} go to the canary` : `setHeaderRoute ${name}: removed`;
}

function mirrorRoute(v: Data): string {
  const name = text(v.name) ?? '(unnamed)';
  const match = list(v.match);
  if (match.length === 0) return `setMirrorRoute ${name}: removed`;
  const pct = text(v.percentage) ?? '100';
  const conds = match.map((m) => {
    const c = rec(m);
    const parts = [
      ...(c.method !== undefined ? [stringMatch('method', c.method)] : []),
      ...(c.path !== undefined ? [stringMatch('path', c.path)] : []),
      ...Object.entries(rec(c.headers)).map(([h, s]) => stringMatch(h, s)),
    ];
    return parts.length ? parts.join(' and ') : 'any request';
  });
  return `setMirrorRoute ${name}: mirror ${pct}% of requests with ${conds.join(', or ')} to the canary`;
}

function canaryScale(v: Data): string {
  if (v.matchTrafficWeight === true) return 'setCanaryScale: canary replicas follow the traffic weight';
  if (v.replicas !== undefined) return `setCanaryScale: ${text(v.replicas)} canary replicas`;
  if (v.weight !== undefined) return `setCanaryScale: canary replicas at ${text(v.weight)}% of spec.replicas`;
  return 'setCanaryScale';
}

function analysis(kind: string, v: Data): string {
  const names = list(v.templates).map((t) => text(rec(t).templateName)).filter(Boolean);
  return `${kind}${names.length ? ` ${names.join(', ')}` : ''}`;
}

/** One readable line for one entry of `spec.strategy.canary.steps`. */
export function rolloutStepText(step: unknown): string {
  const s = rec(step);
  if (s.setWeight !== undefined) return `setWeight ${text(s.setWeight)}%`;
  if ('pause' in s) {
    const d = duration(rec(s.pause).duration);
    return d ? `pause ${d}` : 'pause until promoted';
  }
  if (s.analysis !== undefined) return analysis('analysis', rec(s.analysis));
  if (s.setCanaryScale !== undefined) return canaryScale(rec(s.setCanaryScale));
  if (s.setHeaderRoute !== undefined) return headerRoute(rec(s.setHeaderRoute));
  if (s.setMirrorRoute !== undefined) return mirrorRoute(rec(s.setMirrorRoute));
  if (s.experiment !== undefined) {
    const e = rec(s.experiment);
    const names = list(e.templates).map((t) => text(rec(t).name)).filter(Boolean);
    return `experiment${names.length ? ` ${names.join(', ')}` : ''}${e.duration !== undefined ? ` for ${duration(e.duration)}` : ''}`;
  }
  if (s.plugin !== undefined) return `plugin ${text(rec(s.plugin).name) ?? ''}`.trim();
  return Object.keys(s)[0] ?? '(empty step)';
}

/** The Rollout's canary steps, numbered. Argo goes straight to 100% without steps. */
export function rolloutSteps(rollout: unknown): string[] {
  const steps = list(rec(rec(rec(rec(rollout).spec).strategy).canary).steps);
  if (steps.length === 0) return ['no steps: Argo Rollouts shifts all traffic at once'];
  return steps.map((s, i) => `${i + 1}. ${rolloutStepText(s)}`);
}

// Beyond this many steps the weights are summarised rather than listed.
const LISTED = 12;

function weights(ws: number[]): string {
  const shown = ws.length > LISTED ? [...ws.slice(0, 3), '…', ...ws.slice(-2)] : ws;
  return shown.map((w) => (typeof w === 'number' ? `${w}%` : w)).join(' → ');
}

/** A Flagger Canary's analysis: its cadence, how weights progress, what it checks. */
export function flaggerAnalysis(canary: unknown): string[] {
  const spec = rec(rec(canary).spec);
  // `canaryAnalysis` is the pre-1.0 spelling of `analysis`.
  const a = rec(spec.analysis ?? spec.canaryAnalysis);
  const out: string[] = [];
  const every = text(a.interval);
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const stepWeights = list(a.stepWeights).map(num).filter((n): n is number => n !== undefined);
  const step = num(a.stepWeight);
  const max = num(a.maxWeight) ?? 100;
  if (stepWeights.length) {
    out.push(`canary weight ${weights(stepWeights)}${every ? `, one step every ${every}` : ''} (stepWeights)`);
  } else if (step !== undefined && step > 0) {
    const ws: number[] = [];
    for (let w = step; w < max; w += step) ws.push(w);
    ws.push(max);
    out.push(`canary weight ${weights(ws)}${every ? `, one step every ${every}` : ''} (stepWeight ${step}, maxWeight ${max})`);
  }
  const iterations = num(a.iterations);
  if (iterations !== undefined) {
    const conds = list(a.match).map((m) =>
      Object.entries(rec(rec(m).headers))
        .map(([h, s]) => stringMatch(h, s))
        .join(' and '),
    );
    const who = conds.filter(Boolean).length ? ` for requests with ${conds.filter(Boolean).join(', or ')}` : '';
    out.push(`${iterations} iterations${every ? ` every ${every}` : ''}${who}`);
  }
  if (a.mirror === true) out.push(`mirror ${text(a.mirrorWeight) ?? '100'}% of the traffic to the canary before shifting it`);
  const promo = num(a.stepWeightPromotion);
  if (promo !== undefined) out.push(`promotion shifts ${promo}% a step`);
  if (a.threshold !== undefined) out.push(`rolls back after ${text(a.threshold)} failed checks`);
  const metrics = list(a.metrics).map((m) => text(rec(m).name)).filter(Boolean);
  if (metrics.length) out.push(`metrics: ${metrics.join(', ')}`);
  const hooks = list(a.webhooks).map((h) => text(rec(h).name)).filter(Boolean);
  if (hooks.length) out.push(`webhooks: ${hooks.join(', ')}`);
  if (rec(spec).skipAnalysis === true) out.push('skipAnalysis: true (promotes without checks)');
  return out.length ? out : ['no analysis in the Canary'];
}
