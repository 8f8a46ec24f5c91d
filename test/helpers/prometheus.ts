// Runs a real Prometheus server for integration tests: a private config and TSDB under a temp
// dir, listening on 127.0.0.1 only, scraping the given targets every second.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PrometheusServer {
  url: string;
  port: number;
  /** Recent stderr lines, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function findPrometheus(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat('/usr/bin', '/usr/local/bin')) {
    const candidate = join(dir, 'prometheus');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error('prometheus binary not found on PATH; run .ci/install-prometheus.sh first');
}

export async function startPrometheus(opts: { targets: string[]; job?: string }): Promise<PrometheusServer> {
  const bin = findPrometheus();
  const dir = await mkdtemp(join(tmpdir(), 'gitops-canary-prom-'));
  const job = opts.job ?? 'canary';
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${job}`,
    '    static_configs:',
    `      - targets: [${opts.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);

  let lastError = '';
  // The free port is found by binding and releasing it, so another process may take it in
  // between; retry with a fresh port when Prometheus exits during startup.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 200) stderr.shift();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('error', (err) => stderr.push(String(err)));
    const url = `http://127.0.0.1:${port}`;
    const server: PrometheusServer = {
      url,
      port,
      log: () => stderr.join(''),
      stop: () => stopChild(child, exited).then(() => rm(dir, { recursive: true, force: true })),
    };
    try {
      await waitReady(url, exited, job);
      return server;
    } catch (err) {
      lastError = `${(err as Error).message}\n${server.log()}`;
      await stopChild(child, exited);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`prometheus did not start: ${lastError}`);
}

async function waitReady(url: string, exited: Promise<number | null>, job: string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  // Ready first, then the first successful scrape (`up == 1`), so queries have data.
  for (let i = 0; i < 300; i++) {
    if (gone) throw new Error('prometheus exited during startup');
    try {
      const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (ready.ok) {
        const q = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`min(up{job="${job}"})`)}`, { signal: AbortSignal.timeout(1000) });
        const body = (await q.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
        if (body.data?.result?.[0]?.value[1] === '1') return;
      }
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error('prometheus was not ready with a successful scrape within 60s');
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `fn` until `done` accepts its result or the attempts run out; returns the last result
 *  either way, so the test asserts on it and a timeout shows what was seen. */
export async function pollUntil<T>(fn: () => Promise<T>, done: (v: T) => boolean, opts: { attempts?: number; intervalMs?: number } = {}): Promise<T> {
  const attempts = opts.attempts ?? 60;
  let last = await fn();
  for (let i = 1; i < attempts && !done(last); i++) {
    await sleep(opts.intervalMs ?? 500);
    last = await fn();
  }
  return last;
}
