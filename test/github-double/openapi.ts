// Contract check against GitHub's own OpenAPI description, so the double cannot drift into
// accepting requests real GitHub would reject (the failure mode of hand-written fakes).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

type Json = Record<string, unknown>;

interface ParamSpec {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  params: ParamSpec[];
  body?: { required: boolean; schema?: Json };
}

interface Compiled {
  op: Operation;
  names: string[];
  exact: RegExp;
  /** Last path parameter may contain unencoded slashes (refs like heads/feature/x, file paths). */
  greedy?: RegExp;
  literalWeight: number;
}

export interface MatchedOperation {
  op: Operation;
  params: Record<string, string>;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];

interface Spec {
  paths: Record<string, Record<string, Json>>;
  components: Json & { parameters: Record<string, ParamSpec> };
}

export class OpenApiContract {
  private readonly routes: Compiled[] = [];
  private readonly ajv: Ajv;
  private readonly paramAjv: Ajv;
  private readonly bodyValidators = new Map<string, ValidateFunction>();
  private readonly paramValidators = new Map<string, ValidateFunction>();

  constructor(spec: Spec) {
    fixNullable(spec.components.schemas);
    // validateSchema:false because GitHub's schemas carry OpenAPI-only keywords; ajv 8
    // understands `nullable`, and formats are GitHub-specific ("repo.nwo") so not checked.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
    this.ajv.addSchema({ $id: 'gh', components: { schemas: (spec.components as Json).schemas } });
    this.paramAjv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: false, coerceTypes: true });
    for (const [template, item] of Object.entries(spec.paths)) {
      const shared = (item.parameters as unknown as ParamSpec[] | undefined) ?? [];
      for (const method of METHODS) {
        const raw = item[method];
        if (!raw) continue;
        const params = [...shared, ...((raw.parameters as unknown[]) ?? [])].map((p) => resolveParam(spec, p));
        const rb = raw.requestBody as Json | undefined;
        const content = rb?.content as Record<string, Json> | undefined;
        const op: Operation = {
          method: method.toUpperCase(),
          template,
          operationId: String(raw.operationId),
          params,
          body: rb ? { required: rb.required === true, schema: content?.['application/json']?.schema as Json | undefined } : undefined,
        };
        this.routes.push(compile(op));
      }
    }
    this.routes.sort((a, b) => b.literalWeight - a.literalWeight);
  }

  match(method: string, path: string): MatchedOperation | undefined {
    const m = method.toUpperCase();
    const candidates = this.routes.filter((r) => r.op.method === m);
    for (const pass of ['exact', 'greedy'] as const) {
      for (const r of candidates) {
        const re = r[pass];
        const hit = re?.exec(path);
        if (!hit) continue;
        const params: Record<string, string> = {};
        r.names.forEach((n, i) => (params[n] = safeDecode(hit[i + 1])));
        return { op: r.op, params };
      }
    }
    return undefined;
  }

  /** Problems GitHub would answer with 4xx; empty when the request is acceptable. */
  check(m: MatchedOperation, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    const problems: string[] = [];
    for (const p of m.op.params) {
      if (p.in !== 'path' && p.in !== 'query') continue;
      const value = p.in === 'path' ? m.params[p.name] : (query.get(p.name) ?? undefined);
      if (value === undefined || value === '') {
        if (p.required) problems.push(`missing required ${p.in} parameter "${p.name}"`);
        continue;
      }
      const v = this.paramValidator(m.op, p);
      if (v && !v(value)) problems.push(`${p.in} parameter "${p.name}"=${JSON.stringify(value)} ${this.paramAjv.errorsText(v.errors, { dataVar: p.name })}`);
    }
    const spec = m.op.body;
    if (!spec) return problems;
    if (!hasBody) {
      if (spec.required) problems.push('missing required request body');
      return problems;
    }
    const v = this.bodyValidator(m.op);
    if (v && !v(body)) problems.push(`request body: ${this.ajv.errorsText(v.errors, { dataVar: 'body', separator: '; ' })}`);
    return problems;
  }

  private bodyValidator(op: Operation): ValidateFunction | undefined {
    if (!op.body?.schema) return undefined;
    const key = `${op.method} ${op.template}`;
    let v = this.bodyValidators.get(key);
    if (!v) {
      v = this.ajv.compile(rebase(op.body.schema));
      this.bodyValidators.set(key, v);
    }
    return v;
  }

  private paramValidator(op: Operation, p: ParamSpec): ValidateFunction | undefined {
    if (!p.schema) return undefined;
    const key = `${op.method} ${op.template} ${p.in}:${p.name}`;
    let v = this.paramValidators.get(key);
    if (!v) {
      v = this.paramAjv.compile(rebase(p.schema));
      this.paramValidators.set(key, v);
    }
    return v;
  }
}

/**
 * OpenAPI 3.0 allows `nullable` without `type`; ajv refuses that, so rewrite those
 * schemas as `anyOf: [schema, null]`, which means the same.
 */
function fixNullable(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(fixNullable);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Json;
  for (const v of Object.values(o)) fixNullable(v);
  if (o.nullable === true && o.type === undefined) {
    const inner: Json = { ...o };
    delete inner.nullable;
    for (const k of Object.keys(o)) delete o[k];
    o.anyOf = [inner, { type: 'null' }];
  }
}

function resolveParam(spec: Spec, p: unknown): ParamSpec {
  const ref = (p as { $ref?: string }).$ref;
  if (!ref) return p as ParamSpec;
  const name = ref.replace('#/components/parameters/', '');
  const found = spec.components.parameters[name];
  if (!found) throw new Error(`OpenAPI: unresolved parameter ${ref}`);
  return found;
}

/** Point local refs at the components schema registered under $id "gh". */
function rebase(schema: Json): Json {
  const copy = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"gh#/components/')) as Json;
  fixNullable(copy);
  return copy;
}

function compile(op: Operation): Compiled {
  const names: string[] = [];
  let literalWeight = 0;
  const parts = op.template.split('/').map((seg) => {
    const source = seg.replace(/\{([^}]+)\}|([^{]+)/g, (_all, name: string | undefined, lit: string | undefined) => {
      if (name) {
        names.push(name);
        return '([^/]+)';
      }
      literalWeight += lit!.length;
      return escapeRe(lit!);
    });
    return source;
  });
  const exact = new RegExp(`^${parts.join('/')}$`);
  let greedy: RegExp | undefined;
  if (SLASHY.has(names.at(-1) ?? '') && op.template.endsWith('}')) {
    const last = parts.length - 1;
    greedy = new RegExp(`^${[...parts.slice(0, last), parts[last].replace(/\(\[\^\/\]\+\)$/, '(.+)')].join('/')}$`);
  }
  return { op, names, exact, greedy, literalWeight };
}

/** Parameters GitHub accepts with unencoded slashes (file paths and ref names). */
const SLASHY = new Set(['path', 'ref', 'branch', 'tag', 'basehead']);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

let shared: OpenApiContract | undefined;

/** Parsing the 13 MB description costs ~1 s, so it is done once per process, on first use. */
export function loadContract(): OpenApiContract {
  if (!shared) {
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve('@octokit/openapi/package.json');
    const file = pkgJson.replace(/package\.json$/, 'generated/api.github.com.json');
    shared = new OpenApiContract(JSON.parse(readFileSync(file, 'utf8')) as Spec);
  }
  return shared;
}
