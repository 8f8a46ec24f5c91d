// The shape of `.github/gitops-canary.yml`. Every object is
// strict: a misspelt key (`trafic:`) would otherwise be ignored and the bot would quietly
// do less than the file says. Semantic checks run here too, so each problem is reported
// at its own path and the loader can name the line.
import { z } from '../zod.ts';
import {
  checkBranch, checkCron, checkDays, checkDuration, checkEnvName, checkFilter, checkFreeze, checkHours, checkImage,
  checkSource, checkSteps, checkTemplate, checkTimezone,
} from './checks.ts';
import { cookieNameProblem, headerNameProblem, queryNameProblem, regexProblem, valueProblem } from '../rollout/ab-match.ts';
import { toRolloutStep, type RolloutStep } from '../rollout/steps.ts';
import { isGlob, staticPathProblem } from './paths.ts';
import { commitTemplateProblem } from './commit-template.ts';

export const APP_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
export const TRACK_NAME = /^[a-z0-9][a-z0-9-]*$/;
export { CONFIG_FILES } from './names.ts';
export const DEFAULT_SCHEDULE = '*/5 * * * *';

/** A string validated by `check` (a function returning why it is wrong, or undefined). */
function checked(check: (s: string) => string | undefined) {
  return z.string().superRefine((s, ctx) => {
    const why = check(s);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  });
}

const repoPath = (opts: { glob: boolean }) =>
  checked((s) => staticPathProblem(s) ?? (!opts.glob && isGlob(s) ? 'must name one file, not a glob pattern' : undefined));

const duration = checked(checkDuration).meta({ description: 'Duration such as 30s, 15m, 1h30m, 2d' });

const commitMessage = checked(commitTemplateProblem).meta({
  description: 'Commit message template: the first line is the subject, the rest the body; {{app}}, {{action}}, {{track}}, {{tag}}, {{oldTag}}, {{step}}, {{weights}}, {{oldWeights}}, {{title}}, {{edits}}, {{body}}, and {{#edits}}{{file}} {{object}} {{field}} {{old}} {{new}}{{/edits}}. The trailers are always appended.',
});

const matchValue = checked(valueProblem);
const stringMatch = z
  .union([z.strictObject({ exact: matchValue }), z.strictObject({ prefix: matchValue }), z.strictObject({ regex: checked(regexProblem) })], {
    error: 'a condition is one of { exact: … }, { prefix: … } or { regex: … }',
  })
  .meta({ id: 'StringMatch', description: 'One condition, as Istio StringMatch; regex is RE2 and must match the whole value' });
const conditions = (name: (s: string) => string | undefined, what: string) =>
  z.record(checked(name), stringMatch).optional().meta({ description: what });

const abMatch = z
  .strictObject({
    headers: conditions(headerNameProblem, 'Header name (lower case) -> condition'),
    queryParams: conditions(queryNameProblem, 'Query parameter name -> condition'),
    cookies: conditions(cookieNameProblem, 'Cookie name -> condition on its value'),
  })
  .superRefine((m, ctx) => {
    const n = [m.headers, m.queryParams, m.cookies].reduce((sum, r) => sum + (r && typeof r === 'object' ? Object.keys(r).length : 0), 0);
    if (n === 0) ctx.addIssue({ code: 'custom', message: 'an A/B match needs at least one header, query parameter or cookie condition' });
  });

const weightStep = z.number().int({ error: 'steps are whole percentages' }).min(1).max(100).meta({ description: 'Canary weight in percent' });
const abStep = z.strictObject({ match: abMatch }).meta({ description: 'A/B step: requests matching every condition go to the canary; canary weight 0' });
const MIRROR_RANGE = { error: 'mirror is a whole percentage from 1 to 100' };
const mirrorStep = z
  .strictObject({ mirror: z.number().int(MIRROR_RANGE).min(1, MIRROR_RANGE).max(100, MIRROR_RANGE) })
  .meta({ description: 'Mirror step: this percent of the stable traffic is copied to the canary, its responses discarded; canary weight 0' });

const STEP_KINDS = 'a step is a canary weight (1-100), { match: … } (A/B) or { mirror: 1-100 }, one kind per step';

const steps = z
  .array(z.union([weightStep, abStep, mirrorStep], { error: STEP_KINDS }).meta({ id: 'RolloutStep' }))
  .min(1)
  .superRefine((list, ctx) => {
    const bad = checkStepOrder(list);
    if (bad) ctx.addIssue({ code: 'custom', message: bad.message, path: bad.index === undefined ? [] : [bad.index] });
  })
  .meta({ description: 'Rollout steps in order: A/B and mirror steps first, then canary weights strictly ascending, ending at 100' });

/** Weights ascend to 100 as before; A/B and mirror steps, which give the canary no weighted
 *  traffic, may only come before the first weight, where they take nothing away. */
function checkStepOrder(list: readonly unknown[]): { index?: number; message: string } | undefined {
  const weights: Array<{ index: number; weight: number }> = [];
  for (const [index, s] of list.entries()) {
    if (typeof s === 'number') weights.push({ index, weight: s });
    else if (s && typeof s === 'object' && weights.length > 0) {
      const kind = 'match' in s ? 'an A/B step' : 'a mirror step';
      return { index, message: `${kind} cannot follow the weight step ${weights[weights.length - 1].weight}: A/B and mirror steps give the canary weight 0, so put them before the first weight` };
    }
  }
  const last = list[list.length - 1];
  if (list.length > 0 && typeof last !== 'number') {
    return { index: list.length - 1, message: 'the last step must be 100, or the canary never takes all traffic' };
  }
  const bad = checkSteps(weights.map((w) => w.weight));
  return bad && { message: bad.message, ...(bad.index === undefined ? {} : { index: weights[bad.index].index }) };
}

const backend = z
  .strictObject({
    subset: z.string().min(1).optional().meta({ description: 'Istio DestinationRule subset' }),
    host: z.string().min(1).optional().meta({ description: 'Service host (Istio destination host or HTTPRoute backendRef name)' }),
    port: z.number().int().min(1).max(65535).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.subset === undefined && b.host === undefined) ctx.addIssue({ code: 'custom', message: 'backend needs a subset or a host' });
    if (b.subset !== undefined && b.port !== undefined) ctx.addIssue({ code: 'custom', message: 'port goes with host, not subset', path: ['port'] });
  })
  .meta({ description: '{subset, host?} or {host, port?}' });

const track = z.strictObject({
  filter: checked(checkFilter).meta({ description: 'Which release tags this track follows, e.g. semver:0.2.*' }),
  paths: z.array(repoPath({ glob: true })).min(1).meta({ description: 'Files (or globs) in this repo whose image references are rewritten' }),
  prerelease: z.boolean().default(false),
});

const traffic = z.strictObject({
  file: repoPath({ glob: false }).meta({ description: 'The VirtualService or HTTPRoute manifest' }),
  route: z.string().min(1).optional().meta({ description: 'Name of the http route to edit when there are several' }),
  stable: backend,
  canary: backend,
  steps: steps.optional(),
});

const window = z
  .strictObject({
    days: checked(checkDays).optional().meta({ description: 'e.g. mon-fri, sat,sun, mon,wed-fri' }),
    hours: checked(checkHours).optional().meta({ description: 'HH:MM-HH:MM local time; end before start means overnight' }),
    timezone: checked(checkTimezone).default('UTC').meta({ description: 'IANA time zone, e.g. Europe/Berlin' }),
  });

const gateCheck = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'check names are letters, digits, ".", "_" and "-"' }),
    query: z.string().min(1).meta({ description: 'PromQL returning a single number' }),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.min === undefined && c.max === undefined) ctx.addIssue({ code: 'custom', message: 'a check needs min or max (or both)' });
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) ctx.addIssue({ code: 'custom', message: `min ${c.min} is above max ${c.max}`, path: ['min'] });
  });

const gates = z.strictObject({
  prometheus: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    timeout: duration.default('10s'),
  }),
  checks: z.array(gateCheck).min(1).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `duplicate check name ${JSON.stringify(c.name)}`, path: [i, 'name'] });
      seen.add(c.name);
    });
  }),
  failures: z.number().int().min(1).default(1).meta({ description: 'Consecutive failed checks before rolling back' }),
});

const rollout = z
  .strictObject({
    steps: steps.optional(),
    bake: duration.default('0s'),
    schedule: checked(checkCron).default(DEFAULT_SCHEDULE).meta({ description: 'node-cron expression for progress checks' }),
    window: window.optional(),
    freeze: z.array(z.string()).optional().meta({ description: 'ISO dates or datetimes, START/END, inclusive' }),
    approval: z.enum(['per-step', 'first-step', 'none']).default('per-step'),
    gates: gates.optional(),
    promote: z.boolean().default(false).meta({ description: 'At 100%: make the canary tag stable and reset weights' }),
  })
  .superRefine((r, ctx) => {
    const tz = r.window?.timezone ?? 'UTC';
    (r.freeze ?? []).forEach((f, i) => {
      if (typeof f !== 'string') return;
      const why = checkFreeze(f, tz);
      if (why !== undefined) ctx.addIssue({ code: 'custom', message: why, path: ['freeze', i] });
    });
  });

const app = z
  .strictObject({
    image: checked(checkImage).meta({ description: 'Image repository whose references are rewritten, e.g. ghcr.io/acme/podinfo' }),
    source: checked(checkSource).meta({ description: 'The only GitHub repository (owner/repo) whose releases may change this app' }),
    sources: z
      .array(z.enum(['repo', 'registry']))
      .min(1)
      .refine((l) => new Set(l).size === l.length, { error: 'each source is listed once' })
      .optional()
      .meta({ description: 'Where reconciliation looks for new tags: repo (releases and tags of `source`) and/or registry (tags of `image` in its registry). Default: [repo]' }),
    reconcileInterval: duration.optional().meta({ description: "How often reconciliation reads this app's sources; default RECONCILE_INTERVAL (5m)" }),
    tagTemplate: checked(checkTemplate).optional().meta({ description: 'Image tag for a release, using {version} and/or {tag}' }),
    tracks: z
      .record(z.string().regex(TRACK_NAME, { error: 'track names are lower case letters, digits and "-"' }), track)
      .refine((t) => Object.keys(t).length > 0, { error: 'at least one track is required' }),
    traffic: traffic.optional(),
    delivery: z.enum(['pull-request', 'commit']).default('pull-request'),
    branch: checked(checkBranch).optional().meta({ description: "Target branch; the repository's default branch when omitted" }),
    merge: z.enum(['manual', 'on-approval', 'auto']).default('manual'),
    approvals: z.number().int().min(0).max(100).default(1),
    mergeMethod: z.enum(['merge', 'squash', 'rebase']).default('merge'),
    notify: z
      .strictObject({
        slack: checked(checkEnvName).optional().meta({ description: 'Name of the env var holding the Slack webhook URL' }),
        teams: checked(checkEnvName).optional().meta({ description: 'Name of the env var holding the Microsoft Teams (Workflows) webhook URL' }),
        discord: checked(checkEnvName).optional().meta({ description: 'Name of the env var holding the Discord webhook URL' }),
        webhook: checked(checkEnvName).optional().meta({ description: 'Name of the env var holding a generic webhook URL' }),
      })
      .optional(),
    rollout: rollout.optional(),
    commitMessage: commitMessage.optional(),
    analysis: z
      .enum(['strict', 'warn'])
      .default('strict')
      .meta({ description: 'What happens when the pre-change analysis finds errors: strict refuses the change, warn reports them and makes it anyway' }),
  })
  .superRefine((a, ctx) => checkApp(a, ctx));

type AppShape = z.output<typeof app>;

// Object-level rules. Zod runs these even when a nested value had issues, so every
// access is defensive.
function checkApp(a: AppShape, ctx: z.RefinementCtx): void {
  const tracks = a.tracks && typeof a.tracks === 'object' ? a.tracks : {};
  if (a.traffic) {
    const missing = ['stable', 'canary'].filter((t) => !(t in tracks));
    if (missing.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['traffic'], message: `traffic needs tracks named "stable" and "canary"; missing ${missing.map((m) => `"${m}"`).join(' and ')} under tracks` });
    }
    if (a.traffic.steps === undefined && a.rollout?.steps === undefined) {
      ctx.addIssue({ code: 'custom', path: ['traffic'], message: 'traffic needs steps: set traffic.steps or rollout.steps' });
    }
  }
  if (a.rollout && !a.traffic) {
    ctx.addIssue({ code: 'custom', path: ['rollout'], message: 'rollout needs a traffic section: there are no weights to move without one' });
  }
  if (a.delivery === 'commit' && a.merge !== 'manual') {
    ctx.addIssue({ code: 'custom', path: ['merge'], message: `merge: ${a.merge} needs delivery: pull-request (delivery: commit pushes directly)` });
  }
  if (a.merge === 'on-approval' && a.approvals === 0) {
    ctx.addIssue({ code: 'custom', path: ['approvals'], message: 'merge: on-approval needs approvals of at least 1' });
  }
  const owner = new Map<string, string>();
  for (const [name, t] of Object.entries(tracks)) {
    (Array.isArray(t?.paths) ? t.paths : []).forEach((p, i) => {
      const prev = owner.get(p);
      if (prev !== undefined && prev !== name) {
        ctx.addIssue({ code: 'custom', path: ['tracks', name, 'paths', i], message: `${JSON.stringify(p)} is also a path of track "${prev}"; each file belongs to one track` });
      }
      owner.set(p, name);
    });
  }
}

export const configSchema = z
  .strictObject({
    apps: z
      .record(z.string().regex(APP_NAME, { error: 'app names are lower case letters, digits, ".", "_" and "-" (at most 63, starting and ending alphanumeric)' }), app)
      .meta({ description: 'Applications managed by the bot, by name' }),
    commitMessage: commitMessage.optional().meta({ description: "Commit message template for every app without one of its own (see apps.*.commitMessage)" }),
  })
  .meta({ title: 'gitops-canary configuration', description: 'Configuration of the gitops-canary bot, at .github/gitops-canary.yml in the config repo' })
  // every reader of an app's config gets the template that applies to it
  .transform((c) => (c.commitMessage === undefined ? c : { ...c, apps: withDefaultTemplate(c.apps, c.commitMessage) }));

function withDefaultTemplate<A extends { commitMessage?: string }>(apps: Record<string, A>, template: string): Record<string, A> {
  return Object.fromEntries(Object.entries(apps).map(([name, a]) => [name, a.commitMessage === undefined ? { ...a, commitMessage: template } : a]));
}

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type AppConfig = Config['apps'][string];
export type TrackConfig = AppConfig['tracks'][string];
export type TrafficConfig = NonNullable<AppConfig['traffic']>;
export type BackendConfig = TrafficConfig['stable'];
export type RolloutConfig = NonNullable<AppConfig['rollout']>;
export type WindowConfig = NonNullable<RolloutConfig['window']>;
export type GatesConfig = NonNullable<RolloutConfig['gates']>;
export type GateCheck = GatesConfig['checks'][number];
export type NotifyConfig = NonNullable<AppConfig['notify']>;

/** One schema problem, independent of zod's issue types. `path` locates the value. */
export interface SchemaIssue {
  path: (string | number)[];
  message: string;
  /** Keys that were not expected, for unknown-key issues (one issue per key). */
  unknownKey?: string;
  /** For a value outside a fixed set: the value written and the allowed ones. */
  choice?: { got: string; options: string[] };
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

// In the words of the YAML the user wrote, not of JavaScript.
const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping', record: 'a mapping', array: 'a list', string: 'a string', number: 'a number', int: 'a whole number',
  boolean: 'true or false', null: 'null (empty value)',
};

// A value that fits no option of a union: zod reports every option's complaints. The
// option the value was meant for is the one with no complaint about the value itself (a
// wrong type or a stray key there means another option); its complaints are the answer.
// A stray key every object option refuses is reported as a stray key.
function fromUnion(i: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue[] | undefined {
  // a fraction where a whole number belongs is the right shape with a wrong value
  const atRoot = (e: z.core.$ZodIssue) => e.path.length === 0 && ((e.code === 'invalid_type' && e.expected !== 'int') || e.code === 'unrecognized_keys');
  const meant = i.errors.filter((errs) => errs.length > 0 && !errs.some(atRoot));
  if (meant.length === 1) return meant[0].map((e) => ({ ...e, path: [...i.path, ...e.path] }));
  const stray = i.errors.map((errs) => errs.find((e) => e.path.length === 0 && e.code === 'unrecognized_keys') as z.core.$ZodIssueUnrecognizedKeys | undefined);
  const objects = stray.filter((e) => e !== undefined);
  if (objects.length < 2) return undefined;
  const common = objects[0].keys.filter((k) => objects.every((e) => e.keys.includes(k)));
  return common.length ? [{ ...objects[0], keys: common, path: i.path }] : undefined;
}

function toSchemaIssues(issues: readonly z.core.$ZodIssue[], input: unknown): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const i of issues) {
    const path = i.path.map((p) => (typeof p === 'number' ? p : String(p)));
    const inner = i.code === 'invalid_union' ? fromUnion(i) : undefined;
    if (inner) {
      out.push(...toSchemaIssues(inner, input));
    } else if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: [...path, k], message: `unknown key ${JSON.stringify(k)}`, unknownKey: k });
    } else if (i.code === 'invalid_key') {
      const inner = i.issues[0]?.message ?? i.message;
      out.push({ path, message: `invalid name ${JSON.stringify(String(path[path.length - 1]))}: ${inner}` });
    } else if (i.code === 'invalid_type' && i.message.startsWith('Invalid input')) {
      const received = /received (\w+)$/.exec(i.message)?.[1];
      const want = TYPE_NAMES[i.expected] ?? i.expected;
      out.push({ path, message: received === 'undefined' ? `required: expected ${want}` : `expected ${want}, got ${TYPE_NAMES[received ?? ''] ?? received ?? 'something else'}` });
    } else if (i.code === 'invalid_value' && i.values.every((x) => typeof x === 'string') && typeof valueAt(input, path) === 'string') {
      out.push({ path, message: i.message, choice: { got: valueAt(input, path) as string, options: i.values as string[] } });
    } else {
      out.push({ path, message: i.message });
    }
  }
  return out;
}

/** Parses a plain value (the YAML as JS) into a Config, or lists every problem. */
export function validateConfigValue(value: unknown): { ok: true; config: Config } | { ok: false; issues: SchemaIssue[] } {
  const r = configSchema.safeParse(value);
  return r.success ? { ok: true, config: r.data } : { ok: false, issues: toSchemaIssues(r.error.issues, value) };
}

interface DefLike {
  type: string;
  shape?: Record<string, { _zod: { def: DefLike } }>;
  valueType?: { _zod: { def: DefLike } };
  element?: { _zod: { def: DefLike } };
  innerType?: { _zod: { def: DefLike } };
  in?: { _zod: { def: DefLike } };
  options?: Array<{ _zod: { def: DefLike } }>;
}

function unwrapDef(d: DefLike | undefined): DefLike | undefined {
  while (d && (d.innerType || (d.type === 'pipe' && d.in))) d = (d.innerType ?? d.in)?._zod.def;
  return d;
}

/** The object schemas `d` stands for: itself, or each object option of a union. */
function objectDefs(d: DefLike | undefined): DefLike[] {
  const u = unwrapDef(d);
  if (u?.type === 'object') return [u];
  return u?.type === 'union' ? (u.options ?? []).flatMap((o) => objectDefs(o._zod.def)) : [];
}

/** Keys the schema accepts for the object at `path` (for "did you mean" hints). A union
 *  (a rollout step) is followed through the object option that has the key. */
export function knownKeysAt(path: readonly (string | number)[]): string[] {
  let def: DefLike | undefined = (configSchema as unknown as { _zod: { def: DefLike } })._zod.def;
  for (const seg of path) {
    def = unwrapDef(def);
    if (def?.type === 'union') def = objectDefs(def).find((o) => o.shape && String(seg) in o.shape);
    if (!def) return [];
    if (def.type === 'object') def = def.shape?.[String(seg)]?._zod.def;
    else if (def.type === 'record') def = def.valueType?._zod.def;
    else if (def.type === 'array') def = def.element?._zod.def;
    else return [];
  }
  return objectDefs(def).flatMap((o) => Object.keys(o.shape ?? {}));
}

/** JSON Schema (draft 2020-12) of the config file as written (defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** Canary weight of each step of the scheduled rollout (rollout.steps, else traffic.steps);
 *  A/B and mirror steps count as 0. */
export function rolloutSteps(a: AppConfig): number[] {
  return rolloutStepList(a).map((s) => s.weight);
}

/** Canary weight of each step for manual stepping (traffic.steps, else rollout.steps). */
export function trafficSteps(a: AppConfig): number[] {
  return trafficStepList(a).map((s) => s.weight);
}

/** The steps of the scheduled rollout, with their A/B and mirror routing. */
export function rolloutStepList(a: AppConfig): RolloutStep[] {
  return (a.rollout?.steps ?? a.traffic?.steps ?? [100]).map(toRolloutStep);
}

/** The steps for manual stepping, with their A/B and mirror routing. */
export function trafficStepList(a: AppConfig): RolloutStep[] {
  return (a.traffic?.steps ?? a.rollout?.steps ?? [100]).map(toRolloutStep);
}
