// The intake thread's entry. It owns the HTTP server, so /healthz and the webhook checks
// answer within milliseconds even while the handlers' thread spends seconds parsing a
// large manifest; verified deliveries cross over as raw bytes.
import { parentPort, workerData } from 'node:worker_threads';
import { listen, type Listener } from './http.ts';
import type { FromIntake, IntakeConfig, PageAnswer, ToIntake } from './messages.ts';
import { createIntakeServer } from './routes.ts';
import type { Delivery, Outcome } from './webhook.ts';

const port = parentPort!;
const cfg = workerData as IntakeConfig;
const post = (m: FromIntake, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

const pending = new Map<number, (o: Outcome) => void>();
const pages = new Map<number, (a: PageAnswer | null) => void>();
let seq = 0;
let lastBeat = Date.now();
let closing = false;

const log = {
  info: (obj: object, msg: string) => post({ type: 'log', level: 'info', obj, msg }),
  warn: (obj: object, msg: string) => post({ type: 'log', level: 'warn', obj, msg }),
};

function dispatch(d: Delivery): Promise<Outcome> {
  if (closing) return Promise.resolve({ status: 'busy' });
  const n = ++seq;
  // A copy the size of the body: a small Buffer may share a pooled ArrayBuffer, which
  // must not be transferred away.
  const body = d.body.buffer.slice(d.body.byteOffset, d.body.byteOffset + d.body.byteLength) as ArrayBuffer;
  return new Promise<Outcome>((resolve) => {
    pending.set(n, resolve);
    post({ type: 'delivery', seq: n, id: d.id, name: d.name, body, receivedAt: d.receivedAt }, [body]);
  });
}

/** Asks the handlers' thread for a page. The route gives up after cfg.pageTimeoutMs; the
 *  entry is dropped a little later so a late answer finds nothing to resolve. */
function page(path: string, query: string): Promise<PageAnswer | null> {
  const n = ++seq;
  return new Promise((resolve) => {
    pages.set(n, resolve);
    setTimeout(() => pages.delete(n) && resolve(null), cfg.pageTimeoutMs + 1000).unref();
    post({ type: 'page', seq: n, path, query });
  });
}

const health = () => {
  const lag = Date.now() - lastBeat;
  return { ok: lag < cfg.stallMs, mode: cfg.mode, handlersLastSeenMs: lag };
};

let listener: Listener;
try {
  const server = createIntakeServer(cfg, {
    dispatch,
    pushed: (kind, pushes) => post({ type: 'registry', kind, pushes }),
    health,
    log,
    page,
    count: (count) => post({ type: 'count', count }),
  });
  listener = await listen(server, cfg.port, cfg.host);
  post({ type: 'listening', port: listener.port });
} catch (err) {
  post({ type: 'failed', message: (err as Error).message });
  process.exit(1);
}

port.on('message', (m: ToIntake) => {
  if (m.type === 'beat') lastBeat = Date.now();
  else if (m.type === 'outcome') {
    pending.get(m.seq)?.(m.outcome);
    pending.delete(m.seq);
  } else if (m.type === 'page-answer') {
    pages.get(m.seq)?.(m.answer);
    pages.delete(m.seq);
  } else if (m.type === 'close') {
    closing = true;
    void listener.close().then(() => post({ type: 'closed' }));
  }
});
