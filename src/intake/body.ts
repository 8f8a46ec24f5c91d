// Reading a webhook body without letting its sender choose how much memory the bot
// spends. The limit is enforced while the bytes stream in (a declared Content-Length over
// it is refused before one byte is read). Real deliveries are small; a body that grows
// past `SMALL` needs one of a few slots to go on, and waits paused (TCP backpressure
// slows its sender) until one is free. A slot holder never waits on anything, so the
// slots always come free: memory stays under slots × limit + connections × SMALL.
import type { IncomingMessage } from 'node:http';
import { collectGarbage } from './gc.ts';

export type BodyResult =
  | { kind: 'ok'; body: Buffer }
  | { kind: 'too-large'; size: number }
  | { kind: 'timeout'; size: number }
  | { kind: 'aborted'; size: number };

const SMALL = 1024 * 1024;

/** Slots for bodies larger than 1 MB: how many may be buffered at once. */
export class LargeBodySlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly slots: number) {
    this.free = slots;
  }

  /** Calls `go` once a slot is held (at once when one is free). */
  acquire(go: () => void): void {
    if (this.free > 0) {
      this.free--;
      go();
    } else {
      this.waiting.push(go);
    }
  }

  /** Drops a request still waiting (it ended before its turn). */
  cancel(go: () => void): void {
    const i = this.waiting.indexOf(go);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export interface BodyLimits {
  maxBytes: number;
  /** The whole body must arrive within this time (a slow sender holds budget). */
  timeoutMs: number;
  slots: LargeBodySlots;
}

/** After a refusal the sender is still writing; reading and dropping what comes lets it
 *  see the answer (closing at once would reset the connection under its write). Past
 *  `cap` more bytes it is cut off. */
function discardRest(req: IncomingMessage, cap: number): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > cap) req.socket.destroy();
  });
  req.once('close', () => {
    if (dropped > SMALL) collectGarbage();
  });
  req.resume();
}

export function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Reads the body. A large body keeps its slot until `done()` is called: a caller
 *  holding the body still holds the memory. */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyResult & { done(): void }> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limits.maxBytes) return Promise.resolve({ kind: 'too-large', size: declared, done: () => {} });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let slot: 'none' | 'waiting' | 'held' = 'none';
    let settled = false;
    const go = () => {
      slot = 'held';
      if (!settled) req.resume();
    };
    const done = () => {
      if (slot === 'held') limits.slots.release();
      if (slot === 'waiting') limits.slots.cancel(go);
      slot = 'none';
    };
    const finish = (r: BodyResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (r.kind !== 'ok') {
        chunks.length = 0;
        done();
        if (size > SMALL) collectGarbage();
        discardRest(req, limits.maxBytes);
      }
      resolve({ ...r, done });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) return finish({ kind: 'too-large', size });
      chunks.push(chunk);
      if (size > SMALL && slot === 'none') {
        slot = 'waiting';
        req.pause();
        limits.slots.acquire(go);
      }
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', size }), limits.timeoutMs);
    req.on('data', onData);
    req.once('end', () => finish({ kind: 'ok', body: Buffer.concat(chunks, size) }));
    req.once('close', () => {
      if (!req.complete) finish({ kind: 'aborted', size });
    });
    req.once('error', () => finish({ kind: 'aborted', size }));
  });
}
