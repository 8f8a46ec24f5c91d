// A real HTTP server that answers the Prometheus instant-query API (/api/v1/query) the way a
// test scripts it: one value, no series, an HTTP error, or no listener at all. The real
// Prometheus (test/helpers/prometheus.ts) cannot be told to go away and come back on the
// same address, which is what a gate that "changes cause" needs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedAnswer =
  | { kind: 'value'; value: number }
  | { kind: 'no-data' }
  | { kind: 'http'; status: number; body: string };

export interface ScriptedPrometheus {
  /** `http://127.0.0.1:PORT`; stays the same across refuse()/listen(). */
  url: string;
  answer: ScriptedAnswer;
  /** Queries answered so far (refused connections are not counted). */
  queries(): number;
  /** Stops listening: connections to `url` are refused (ECONNREFUSED) until listen(). */
  refuse(): Promise<void>;
  /** Listens again on the same port. */
  listen(): Promise<void>;
  close(): Promise<void>;
}

export async function startScriptedPrometheus(answer: ScriptedAnswer = { kind: 'no-data' }): Promise<ScriptedPrometheus> {
  let queries = 0;
  const state = { answer };
  const server: Server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/api/v1/query') {
      res.writeHead(404).end('not found\n');
      return;
    }
    queries++;
    const a = state.answer;
    if (a.kind === 'http') {
      res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body);
      return;
    }
    const now = Date.now() / 1000;
    const result = a.kind === 'no-data' ? [] : [{ metric: {}, value: [now, String(a.value)] }];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });
  const listenOn = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listenOn(0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get answer() {
      return state.answer;
    },
    set answer(a: ScriptedAnswer) {
      state.answer = a;
    },
    queries: () => queries,
    refuse: stop,
    listen: () => listenOn(port),
    close: stop,
  };
}
