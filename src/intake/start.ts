// Starting the intake: in its own thread (npm start) or in this one (tests, benches).
// Either way the handlers run here, through `receive`.
import { Worker } from 'node:worker_threads';
import { listen, type Listener } from './http.ts';
import type { FromIntake, IntakeConfig, ToIntake } from './messages.ts';
import { askPages, type Pages } from './pages.ts';
import type { RegistryKind, RegistryPush } from './registry-hooks.ts';
import { createIntakeServer } from './routes.ts';
import type { Delivery, DeliveryCount, IntakeLog, Outcome } from './webhook.ts';

export type Receive = (d: Delivery, payload: unknown) => Promise<Outcome>;

/** Called with the images a verified registry notification says were pushed. */
export type OnRegistryPush = (kind: RegistryKind, pushes: RegistryPush[]) => void;

/** What the handlers' side offers the intake besides deliveries. */
export interface IntakeHooks {
  onPush?: OnRegistryPush;
  /** /readyz, /metrics, / and /api/status; without it they answer 404. */
  pages?: Pages;
  /** Every delivery's outcome, refusals included (for the metrics). */
  count?(c: DeliveryCount): void;
}

/** GitHub caps webhook payloads at 25 MB; nothing larger is a real delivery. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export function intakeConfig(s: { port: number; host: string; mode: string; webhookSecret: string; registryWebhookToken?: string }, over: Partial<IntakeConfig> = {}): IntakeConfig {
  return {
    registrySecret: s.registryWebhookToken,
    port: s.port,
    host: s.host,
    mode: s.mode,
    secret: s.webhookSecret,
    maxBodyBytes: MAX_BODY_BYTES,
    largeBodySlots: 1,
    bodyTimeoutMs: 30_000,
    answerWithinMs: 9_000,
    stallMs: 120_000,
    pageTimeoutMs: 5_000,
    ...over,
  };
}

export async function startInline(cfg: IntakeConfig, receive: Receive, log: IntakeLog, hooks: IntakeHooks = {}): Promise<Listener> {
  const server = createIntakeServer(cfg, {
    dispatch: receive,
    pushed: hooks.onPush ?? (() => {}),
    health: () => ({ ok: true, mode: cfg.mode }),
    log,
    page: askPages(hooks.pages),
    count: hooks.count ?? (() => {}),
  });
  return listen(server, cfg.port, cfg.host);
}

/** The worker's code: under tsx (TypeScript sources) the loader must be registered in
 *  the new thread too; compiled JavaScript is loaded as it is. */
function workerSource(): { code: string; eval: true } {
  const url = new URL(import.meta.url.endsWith('.ts') ? './thread.ts' : './thread.js', import.meta.url).href;
  const load = `import(${JSON.stringify(url)})`;
  // resolved here: eval'd code resolves bare names from the working directory, which need
  // not be the checkout
  const tsx = import.meta.url.endsWith('.ts') ? JSON.stringify(import.meta.resolve('tsx/esm/api')) : '';
  const code = tsx ? `import(${tsx}).then((m) => m.register()).then(() => ${load})` : load;
  return { code, eval: true };
}

export async function startThread(cfg: IntakeConfig, receive: Receive, log: IntakeLog & { error(obj: object, msg: string): void }, hooks: IntakeHooks = {}): Promise<Listener> {
  const src = workerSource();
  const worker = new Worker(src.code, { eval: src.eval, workerData: cfg });
  const send = (m: ToIntake) => worker.postMessage(m);
  const beat = setInterval(() => send({ type: 'beat' }), 250);
  beat.unref();
  let closed: (() => void) | undefined;
  const page = askPages(hooks.pages);
  worker.on('message', (m: FromIntake) => {
    if (m.type === 'log') log[m.level](m.obj, m.msg);
    else if (m.type === 'closed') closed?.();
    else if (m.type === 'registry') hooks.onPush?.(m.kind, m.pushes);
    else if (m.type === 'count') hooks.count?.(m.count);
    else if (m.type === 'page') {
      page(m.path, m.query).then(
        (answer) => send({ type: 'page-answer', seq: m.seq, answer: answer ?? null }),
        (err: Error) => {
          log.error({ path: m.path, err: err.message }, 'page failed');
          send({ type: 'page-answer', seq: m.seq, answer: { status: 500, contentType: 'application/json', body: '{"error":"page failed"}\n' } });
        },
      );
    } else if (m.type === 'delivery') {
      const body = Buffer.from(m.body);
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        // the intake parsed it already; this cannot fail unless memory is corrupt
        return send({ type: 'outcome', seq: m.seq, outcome: { status: 'failed' } });
      }
      receive({ id: m.id, name: m.name, body, receivedAt: m.receivedAt }, payload).then(
        (outcome) => send({ type: 'outcome', seq: m.seq, outcome }),
        (err: Error) => {
          log.error({ delivery: m.id, event: m.name, err: err.message }, 'delivery failed');
          send({ type: 'outcome', seq: m.seq, outcome: { status: 'failed' } });
        },
      );
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (m: FromIntake) => {
      if (m.type === 'listening') resolve(m.port);
      if (m.type === 'failed') reject(new Error(`the intake thread could not listen on ${cfg.host}:${cfg.port}: ${m.message}`));
      if (m.type === 'listening' || m.type === 'failed') worker.off('message', onMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'intake thread failed'));
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        closed = resolve;
        send({ type: 'close' });
      });
      clearInterval(beat);
      await worker.terminate();
    },
  };
}
