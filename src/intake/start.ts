// Starting the intake: in its own thread (npm start) or in this one (tests, benches).
// Either way the handlers run here, through `receive`.
import { Worker } from 'node:worker_threads';
import { listen, type Listener } from './http.ts';
import type { FromIntake, IntakeConfig, ToIntake } from './messages.ts';
import type { RegistryKind, RegistryPush } from './registry-hooks.ts';
import { createIntakeServer } from './routes.ts';
import type { Delivery, IntakeLog, Outcome } from './webhook.ts';

export type Receive = (d: Delivery, payload: unknown) => Promise<Outcome>;

/** Called with the images a verified registry notification says were pushed. */
export type OnRegistryPush = (kind: RegistryKind, pushes: RegistryPush[]) => void;

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
    ...over,
  };
}

export async function startInline(cfg: IntakeConfig, receive: Receive, log: IntakeLog, onPush: OnRegistryPush = () => {}): Promise<Listener> {
  const server = createIntakeServer(cfg, { dispatch: receive, pushed: onPush, health: () => ({ ok: true, mode: cfg.mode }), log });
  return listen(server, cfg.port, cfg.host);
}

/** The worker's code: under tsx (TypeScript sources) the loader must be registered in
 *  the new thread too; compiled JavaScript is loaded as it is. */
function workerSource(): { code: string; eval: true } {
  const url = new URL(import.meta.url.endsWith('.ts') ? './thread.ts' : './thread.js', import.meta.url).href;
  const load = `import(${JSON.stringify(url)})`;
  const code = import.meta.url.endsWith('.ts') ? `import('tsx/esm/api').then((m) => m.register()).then(() => ${load})` : load;
  return { code, eval: true };
}

export async function startThread(cfg: IntakeConfig, receive: Receive, log: IntakeLog & { error(obj: object, msg: string): void }, onPush: OnRegistryPush = () => {}): Promise<Listener> {
  const src = workerSource();
  const worker = new Worker(src.code, { eval: src.eval, workerData: cfg });
  const send = (m: ToIntake) => worker.postMessage(m);
  const beat = setInterval(() => send({ type: 'beat' }), 250);
  beat.unref();
  let closed: (() => void) | undefined;
  worker.on('message', (m: FromIntake) => {
    if (m.type === 'log') log[m.level](m.obj, m.msg);
    else if (m.type === 'closed') closed?.();
    else if (m.type === 'registry') onPush(m.kind, m.pushes);
    else if (m.type === 'delivery') {
      const body = Buffer.from(m.body);
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        // the intake parsed it already; this cannot fail unless memory is corrupt
        return send({ type: 'outcome', seq: m.seq, outcome: { status: 'failed' } });
      }
      receive({ id: m.id, name: m.name, body }, payload).then(
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
