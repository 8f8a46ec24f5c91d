// The intake thread's entry. It owns the HTTP server, so /healthz and the webhook checks
// answer within milliseconds even while the handlers' thread spends seconds parsing a
// large manifest; verified deliveries cross over as raw bytes.
import { parentPort, workerData } from 'node:worker_threads';
import { LargeBodySlots } from './body.ts';
import { createHttpServer, listen, type Listener } from './http.ts';
import type { FromIntake, IntakeConfig, ToIntake } from './messages.ts';
import { createRegistryIntake, REGISTRY_BODY_BYTES } from './registry-intake.ts';
import { createIntake, type Outcome } from './webhook.ts';

const port = parentPort!;
const cfg = workerData as IntakeConfig;
const post = (m: FromIntake, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

const pending = new Map<number, (o: Outcome) => void>();
let seq = 0;
let lastBeat = Date.now();
let closing = false;

const log = {
  info: (obj: object, msg: string) => post({ type: 'log', level: 'info', obj, msg }),
  warn: (obj: object, msg: string) => post({ type: 'log', level: 'warn', obj, msg }),
};

const intake = createIntake({
  secret: cfg.secret,
  limits: { maxBytes: cfg.maxBodyBytes, timeoutMs: cfg.bodyTimeoutMs, slots: new LargeBodySlots(cfg.largeBodySlots) },
  answerWithinMs: cfg.answerWithinMs,
  log,
  dispatch(d) {
    if (closing) return Promise.resolve({ status: 'busy' });
    const n = ++seq;
    // A copy the size of the body: a small Buffer may share a pooled ArrayBuffer, which
    // must not be transferred away.
    const body = d.body.buffer.slice(d.body.byteOffset, d.body.byteOffset + d.body.byteLength) as ArrayBuffer;
    return new Promise<Outcome>((resolve) => {
      pending.set(n, resolve);
      post({ type: 'delivery', seq: n, id: d.id, name: d.name, body }, [body]);
    });
  },
});

const registry = createRegistryIntake({
  secret: cfg.registrySecret,
  limits: { maxBytes: REGISTRY_BODY_BYTES, timeoutMs: cfg.bodyTimeoutMs, slots: new LargeBodySlots(cfg.largeBodySlots) },
  log,
  pushed: (kind, pushes) => post({ type: 'registry', kind, pushes }),
});

const health = () => {
  const lag = Date.now() - lastBeat;
  return { ok: lag < cfg.stallMs, mode: cfg.mode, handlersLastSeenMs: lag };
};

let listener: Listener;
try {
  listener = await listen(createHttpServer({ health, webhook: intake, registry }), cfg.port, cfg.host);
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
  } else if (m.type === 'close') {
    closing = true;
    void listener.close().then(() => post({ type: 'closed' }));
  }
});
