// Instant queries against the Prometheus HTTP API. Never throws: every failure becomes a
// result the gate logic can classify, because an unreachable Prometheus must hold a canary
// where it is, not roll it back and not advance it.

export type QueryResult =
  | { status: 'ok'; value: number }
  | { status: 'no-data' | 'unreachable' | 'error'; reason: string };

export interface QueryOptions {
  timeoutMs: number;
  /** Evaluation time; Prometheus uses its own "now" when omitted. */
  at?: Date;
  fetch?: typeof fetch;
}

interface ApiResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

interface Sample {
  metric?: Record<string, string>;
  value?: [number, string];
}

export async function queryInstant(url: string, promql: string, opts: QueryOptions): Promise<QueryResult> {
  let endpoint: URL;
  try {
    endpoint = new URL(`${url.replace(/\/+$/, '')}/api/v1/query`);
  } catch {
    return { status: 'error', reason: `invalid Prometheus URL ${JSON.stringify(url)}` };
  }
  endpoint.searchParams.set('query', promql);
  if (opts.at) endpoint.searchParams.set('time', (opts.at.getTime() / 1000).toFixed(3));
  const doFetch = opts.fetch ?? fetch;
  const where = endpoint.origin;

  let res: Response;
  let body: string;
  try {
    res = await doFetch(endpoint, { signal: AbortSignal.timeout(opts.timeoutMs), headers: { accept: 'application/json' } });
    body = await res.text();
  } catch (err) {
    return { status: 'unreachable', reason: `Prometheus at ${where} unreachable: ${describeFetchError(err, opts.timeoutMs)}` };
  }

  let json: ApiResponse | undefined;
  try {
    json = JSON.parse(body) as ApiResponse;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const detail = json?.error ? `${json.errorType ?? 'error'}: ${json.error}` : snippet(body);
    // Gateway errors mean we never reached Prometheus itself.
    const status = res.status === 502 || res.status === 503 || res.status === 504 ? 'unreachable' : 'error';
    return { status, reason: `Prometheus at ${where} answered HTTP ${res.status}${detail ? ` (${detail})` : ''}` };
  }
  if (!json || typeof json !== 'object') {
    return { status: 'error', reason: `Prometheus at ${where} returned a non-JSON body: ${snippet(body)}` };
  }
  if (json.status !== 'success') {
    return { status: 'error', reason: `Prometheus query failed: ${json.errorType ?? 'error'}: ${json.error ?? 'no error message'}` };
  }
  return interpret(json.data);
}

function interpret(data: ApiResponse['data']): QueryResult {
  const type = data?.resultType;
  const result = data?.result;
  if (type === 'scalar') return sampleValue(result as Sample['value']);
  if (type === 'vector' && Array.isArray(result)) {
    const samples = result as Sample[];
    if (samples.length === 0) return { status: 'no-data', reason: 'query returned no series (no matching data)' };
    if (samples.length > 1) {
      const shown = samples.slice(0, 3).map((s) => labels(s.metric)).join(', ');
      return {
        status: 'error',
        reason: `query is ambiguous: it returned ${samples.length} series (${shown}${samples.length > 3 ? ', …' : ''}); aggregate it (for example with sum(...)) so it yields one value`,
      };
    }
    return sampleValue(samples[0].value);
  }
  if (type === 'matrix') return { status: 'error', reason: 'query returned a range vector; gate queries must yield one instant value (wrap it in rate(...) or similar)' };
  return { status: 'error', reason: `unexpected Prometheus result type ${JSON.stringify(type)}` };
}

function sampleValue(v: Sample['value']): QueryResult {
  if (!Array.isArray(v) || typeof v[1] !== 'string') return { status: 'error', reason: 'malformed sample in Prometheus response' };
  const value = parseSampleValue(v[1]);
  if (value === undefined) return { status: 'error', reason: `unparseable sample value ${JSON.stringify(v[1])}` };
  // NaN is what 0/0 gives when there is no traffic; it says nothing about health.
  if (Number.isNaN(value)) return { status: 'no-data', reason: 'query returned NaN (typically no traffic: 0/0)' };
  return { status: 'ok', value };
}

function parseSampleValue(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === '+inf' || t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  const n = Number(t);
  return t === '' || Number.isNaN(n) ? undefined : n;
}

function labels(metric: Record<string, string> | undefined): string {
  const entries = Object.entries(metric ?? {});
  const name = metric?.__name__ ?? '';
  const rest = entries.filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${rest.join(',')}}`;
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs}ms`;
  const cause = e?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? e?.message ?? String(err);
}

function snippet(body: string): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
}
