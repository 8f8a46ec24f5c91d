import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusQuery } from '../../src/rollout/gates.ts';
import { queryInstant } from '../../src/rollout/prometheus.ts';

// A tiny stand-in for the Prometheus HTTP API: the query text picks the canned answer.
const vector = (...values: Array<[Record<string, string>, string]>) => ({
  status: 'success',
  data: { resultType: 'vector', result: values.map(([metric, v]) => ({ metric, value: [1767225600, v] })) },
});

const answers: Record<string, (res: ServerResponse) => void> = {
  one: (res) => json(res, 200, vector([{}, '0.995'])),
  empty: (res) => json(res, 200, vector()),
  nan: (res) => json(res, 200, vector([{}, 'NaN'])),
  inf: (res) => json(res, 200, vector([{}, '+Inf'])),
  many: (res) =>
    json(res, 200, vector([{ __name__: 'up', pod: 'a' }, '1'], [{ __name__: 'up', pod: 'b' }, '1'], [{ __name__: 'up', pod: 'c' }, '0'], [{ pod: 'd' }, '1'])),
  scalar: (res) => json(res, 200, { status: 'success', data: { resultType: 'scalar', result: [1767225600, '42'] } }),
  matrix: (res) => json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [] } }),
  bad: (res) => json(res, 400, { status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected end of input' }),
  boom: (res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal server error');
  },
  gateway: (res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('upstream connect error');
  },
  html: (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>login</html>');
  },
  hang: () => {
    // never answers: exercises the client timeout
  },
};

let server: Server;
let base: string;
const requests: URL[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    if (url.pathname !== '/prom/api/v1/query') return json(res, 404, { status: 'error', error: 'not found' });
    const handler = answers[url.searchParams.get('query') ?? ''];
    if (!handler) return json(res, 400, { status: 'error', errorType: 'bad_data', error: 'unknown test query' });
    handler(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const q = (query: string, extra: { at?: Date; timeoutMs?: number } = {}) => queryInstant(base, query, { timeoutMs: 5000, ...extra });

describe('queryInstant', () => {
  it('returns the value of a single sample and sends the query and time', async () => {
    expect(await q('one', { at: new Date('2026-01-01T00:00:00.250Z') })).toEqual({ status: 'ok', value: 0.995 });
    const last = requests[requests.length - 1];
    expect(last.pathname).toBe('/prom/api/v1/query');
    expect(last.searchParams.get('query')).toBe('one');
    expect(last.searchParams.get('time')).toBe('1767225600.250');
  });

  it('reports an empty vector as no data', async () => {
    expect(await q('empty')).toEqual({ status: 'no-data', reason: 'query returned no series (no matching data)' });
  });

  it('reports NaN as no data', async () => {
    const r = await q('nan');
    expect(r.status).toBe('no-data');
    expect(r.status !== 'ok' && r.reason).toMatch(/NaN/);
  });

  it('reads +Inf as infinity', async () => {
    expect(await q('inf')).toEqual({ status: 'ok', value: Infinity });
  });

  it('calls several series ambiguous and names them', async () => {
    const r = await q('many');
    expect(r.status).toBe('error');
    expect(r.status !== 'ok' && r.reason).toBe(
      'query is ambiguous: it returned 4 series (up{pod="a"}, up{pod="b"}, up{pod="c"}, …); aggregate it (for example with sum(...)) so it yields one value',
    );
  });

  it('accepts scalars and rejects range vectors', async () => {
    expect(await q('scalar')).toEqual({ status: 'ok', value: 42 });
    expect((await q('matrix')).status).toBe('error');
  });

  it("passes on Prometheus's own error message for a bad query", async () => {
    const r = await q('bad');
    expect(r).toEqual({ status: 'error', reason: expect.stringContaining('HTTP 400 (bad_data: 1:5: parse error: unexpected end of input)') });
  });

  it('reports HTTP 500 as an error with the body', async () => {
    const r = await q('boom');
    expect(r.status).toBe('error');
    expect(r.status !== 'ok' && r.reason).toMatch(/answered HTTP 500 \(internal server error\)/);
  });

  it('reports a gateway 503 as unreachable', async () => {
    expect((await q('gateway')).status).toBe('unreachable');
  });

  it('reports a non-JSON 200 as an error', async () => {
    const r = await q('html');
    expect(r.status).toBe('error');
    expect(r.status !== 'ok' && r.reason).toMatch(/non-JSON body: <html>login<\/html>/);
  });

  it('reports a timeout as unreachable', async () => {
    const r = await q('hang', { timeoutMs: 200 });
    expect(r).toEqual({ status: 'unreachable', reason: expect.stringMatching(/unreachable: no answer within 200ms$/) });
  });

  it('reports a refused connection as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await queryInstant(`http://127.0.0.1:${port}`, 'up', { timeoutMs: 5000 });
    expect(r.status).toBe('unreachable');
    expect(r.status !== 'ok' && r.reason).toMatch(new RegExp(`^Prometheus at http://127.0.0.1:${port} unreachable: ECONNREFUSED`));
  });

  it('rejects an invalid URL without throwing', async () => {
    expect(await queryInstant('not a url', 'up', { timeoutMs: 100 })).toEqual({ status: 'error', reason: 'invalid Prometheus URL "not a url"' });
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      seen.push(String(input));
      return new Response(JSON.stringify(vector([{}, '7'])), { status: 200 });
    }) as typeof fetch;
    expect(await queryInstant('http://prometheus:9090', 'x', { timeoutMs: 100, fetch: fakeFetch })).toEqual({ status: 'ok', value: 7 });
    expect(seen).toEqual(['http://prometheus:9090/api/v1/query?query=x']);
  });
});

describe('prometheusQuery', () => {
  it('binds a server and parses the timeout duration', async () => {
    const query = prometheusQuery({ url: base, timeout: '5s' });
    expect(await query('one')).toEqual({ status: 'ok', value: 0.995 });
    const fast = prometheusQuery({ url: base, timeout: 150 });
    expect((await fast('hang')).status).toBe('unreachable');
  });

  it('rejects a malformed timeout with the config field', () => {
    expect(() => prometheusQuery({ url: base, timeout: '10 seconds' })).toThrow(/rollout\.gates\.prometheus\.timeout/);
  });
});
