// A fake Istio-instrumented workload for the Prometheus integration tests: serves the
// Prometheus text format on /metrics, and every scrape adds traffic at the configured rates,
// so rate() over the scraped counters reflects what the test set.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LATENCY_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export interface Traffic {
  /** Successful (200) requests added per scrape. */
  ok: number;
  /** Failed (500) requests added per scrape. */
  errors: number;
  /** Latency recorded for every request added. */
  latencyMs: number;
}

export interface MetricsServer {
  /** `127.0.0.1:PORT`, for a scrape config. */
  target: string;
  workload: string;
  scrapes(): number;
  setTraffic(t: Partial<Traffic>): void;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: { workload?: string; traffic?: Partial<Traffic> } = {}): Promise<MetricsServer> {
  const workload = opts.workload ?? 'podinfo-canary';
  let traffic: Traffic = { ok: 100, errors: 0, latencyMs: 20, ...opts.traffic };
  let scrapes = 0;
  let ok = 0;
  let errors = 0;
  const buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  let sum = 0;

  const record = () => {
    ok += traffic.ok;
    errors += traffic.errors;
    const n = traffic.ok + traffic.errors;
    LATENCY_BUCKETS.forEach((le, i) => {
      if (traffic.latencyMs <= le) buckets[i] += n;
    });
    buckets[LATENCY_BUCKETS.length] += n;
    sum += n * traffic.latencyMs;
  };

  const render = (): string => {
    const base = `destination_workload="${workload}",reporter="destination"`;
    const lines = [
      '# HELP istio_requests_total Total requests.',
      '# TYPE istio_requests_total counter',
      `istio_requests_total{${base},response_code="200"} ${ok}`,
      `istio_requests_total{${base},response_code="500"} ${errors}`,
      '# HELP istio_request_duration_milliseconds Request duration.',
      '# TYPE istio_request_duration_milliseconds histogram',
      ...LATENCY_BUCKETS.map((le, i) => `istio_request_duration_milliseconds_bucket{${base},le="${le}"} ${buckets[i]}`),
      `istio_request_duration_milliseconds_bucket{${base},le="+Inf"} ${buckets[LATENCY_BUCKETS.length]}`,
      `istio_request_duration_milliseconds_sum{${base}} ${sum}`,
      `istio_request_duration_milliseconds_count{${base}} ${buckets[LATENCY_BUCKETS.length]}`,
    ];
    return `${lines.join('\n')}\n`;
  };

  const server: Server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    scrapes++;
    record();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    target: `127.0.0.1:${port}`,
    workload,
    scrapes: () => scrapes,
    setTraffic(t) {
      traffic = { ...traffic, ...t };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
