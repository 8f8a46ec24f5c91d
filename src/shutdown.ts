// Stopping without losing a change in flight. Kubernetes sends SIGTERM and waits
// terminationGracePeriodSeconds (30 s by default) before SIGKILL; a push cut off halfway
// is harmless to git, but the event it was for would be lost (GitHub does not redeliver).
// So: take no new work, let the jobs that started finish within the grace period, flush
// the notifications they queued, and say whether everything drained.
import type { Listener } from './intake/http.ts';

export interface Stoppable {
  /** Stops taking deliveries; resolves once those in flight are answered. */
  server: Listener;
  scheduler: { stop(): void };
  /** Resolves when no job holds a working copy (WorkspacePool.idle). */
  idle(): Promise<void>;
  flush(): Promise<void>;
}

export async function drain(parts: Stoppable, graceMs: number): Promise<'drained' | 'timed-out'> {
  // 1. No new ticks, no new connections (the listener sweeps idle keep-alive sockets).
  parts.scheduler.stop();
  const closed = parts.server.close();
  // 2. Webhook requests answer once their handler is done; ticks hold a working copy.
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.all([closed, parts.idle()]).then(() => 'drained' as const),
    new Promise<'timed-out'>((resolve) => (timer = setTimeout(() => resolve('timed-out'), graceMs))),
  ]);
  clearTimeout(timer);
  // 3. What the finished jobs queued for Slack and webhooks (bounded by their own timeouts).
  await parts.flush();
  return outcome;
}
