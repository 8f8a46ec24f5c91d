// What the other layers call to record a metric. Until the server installs a registry
// (useMetrics) every call is a no-op, so the CLI and unit tests neither load prom-client
// nor need to pass a registry through every layer.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metrics } from './registry.ts';

let current: Metrics | undefined;

export function useMetrics(m: Metrics | undefined): void {
  current = m;
}

/** The delivery whose handlers are running, for the event-to-push latency. */
const delivery = new AsyncLocalStorage<{ event: string; receivedAt: number }>();

/** Runs `fn` (a delivery's handlers) so that the pushes it makes are timed from `receivedAt`. */
export function withDelivery<T>(event: string, receivedAt: number | undefined, fn: () => Promise<T>): Promise<T> {
  return receivedAt === undefined ? fn() : delivery.run({ event, receivedAt }, fn);
}

export function countDelivery(event: string, outcome: string, reason = ''): void {
  current?.deliveries.inc({ event, outcome, reason });
}

/** A registry push notification: accepted, or refused and why. */
export function countRegistryNotification(kind: string, outcome: 'accepted' | 'refused', reason = ''): void {
  current?.registryNotifications.inc({ kind, outcome, reason });
}

/** A push and how it went; a successful one made for a webhook delivery also times it. */
export function countPush(outcome: 'ok' | 'rejected' | 'denied' | 'failed'): void {
  if (!current) return;
  current.pushes.inc({ outcome });
  const d = outcome === 'ok' ? delivery.getStore() : undefined;
  if (d) current.eventToPush.observe({ event: d.event }, (Date.now() - d.receivedAt) / 1000);
}

/** A delivered change (commits and pull requests; unchanged and dry runs are not changes). */
export function countChange(r: { status: string; plan: { action: string; app?: string; track?: string; trailers: Record<string, string> } }, app: string, lane: string): void {
  if (r.status !== 'committed' && r.status !== 'pull-request') return;
  const { plan } = r;
  current?.changes.inc({ app: plan.app ?? plan.trailers.App ?? app, track: plan.track ?? plan.trailers.Track ?? lane, action: plan.action, delivery: r.status });
}

export function countTick(r: { app: string; outcome: string; gate?: { verdict: string } }): void {
  current?.ticks.inc({ app: r.app, outcome: r.outcome });
  if (r.gate) current?.gates.inc({ app: r.app, verdict: r.gate.verdict });
}

export function countNotifyFailure(notifier: string, retried: boolean): void {
  current?.notifyFailures.inc({ notifier, outcome: retried ? 'retried' : 'dropped' });
}

/** How long a reconcile pass or a scheduled tick took, from `startedAt` (epoch ms). */
export function observePass(which: 'reconcile' | 'tick', startedAt: number): void {
  const h = which === 'reconcile' ? current?.reconcileSeconds : current?.tickSeconds;
  h?.observe((Date.now() - startedAt) / 1000);
}

export function setReady(check: string, ok: boolean): void {
  current?.ready.set({ check }, ok ? 1 : 0);
}
