// The one importer of prom-client: every metric the bot exposes on /metrics, in a
// Registry of its own (never prom-client's global one, so two servers in one test
// process do not share counts). Other layers record through src/metrics/record.ts,
// which works without this module loaded: the CLI never pays for prom-client.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PREFIX = 'gitops_canary_';
// Seconds; git pushes over the network and handler work fall between 50 ms and a minute.
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const PASS_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(opts: { defaults?: boolean } = {}) {
  const registry = new Registry();
  // The standard process_* and nodejs_* names (event-loop lag included), unprefixed so the
  // usual Node.js dashboards work as they are.
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    deliveries: new Counter({
      name: `${PREFIX}webhook_deliveries_total`,
      help: 'GitHub webhook deliveries by event and outcome (done, failed, busy, refused); reason says why one was refused',
      labelNames: ['event', 'outcome', 'reason'] as const,
      registers,
    }),
    registryNotifications: new Counter({
      name: `${PREFIX}registry_notifications_total`,
      help: 'Registry push notifications by kind (distribution, harbor, dockerhub, quay; unknown for a path naming none) and outcome (accepted, refused); reason says why one was refused',
      labelNames: ['kind', 'outcome', 'reason'] as const,
      registers,
    }),
    changes: new Counter({
      name: `${PREFIX}changes_total`,
      help: 'Changes written to a config repo, by app, track, action and how they were delivered (committed, pull-request)',
      labelNames: ['app', 'track', 'action', 'delivery'] as const,
      registers,
    }),
    eventToPush: new Histogram({
      name: `${PREFIX}event_to_push_seconds`,
      help: 'From receiving a webhook delivery to pushing the change it caused',
      labelNames: ['event'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    pushes: new Counter({
      name: `${PREFIX}git_pushes_total`,
      help: 'git pushes by outcome: ok, rejected (lost a race; the caller plans again and retries), denied, failed',
      labelNames: ['outcome'] as const,
      registers,
    }),
    reconcileSeconds: new Histogram({ name: `${PREFIX}reconcile_duration_seconds`, help: 'Duration of one reconcile pass over every app', buckets: PASS_BUCKETS, registers }),
    tickSeconds: new Histogram({ name: `${PREFIX}tick_duration_seconds`, help: 'Duration of one scheduled rollout tick over the apps on that schedule', buckets: PASS_BUCKETS, registers }),
    ticks: new Counter({
      name: `${PREFIX}rollout_ticks_total`,
      help: 'Rollout tick results by app: advanced, promoted, proposed, rolled-back, recorded, waited, none, skipped, failed',
      labelNames: ['app', 'outcome'] as const,
      registers,
    }),
    gates: new Counter({
      name: `${PREFIX}rollout_gate_results_total`,
      help: 'Prometheus gate evaluations by app and verdict (pass, fail, unknown)',
      labelNames: ['app', 'verdict'] as const,
      registers,
    }),
    notifyFailures: new Counter({
      name: `${PREFIX}notification_failures_total`,
      help: 'Failed notification attempts by notifier, and whether the attempt is retried or the notification dropped',
      labelNames: ['notifier', 'outcome'] as const,
      registers,
    }),
    ready: new Gauge({ name: `${PREFIX}ready`, help: 'Readiness checks: 1 passing, 0 failing', labelNames: ['check'] as const, registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The text exposition /metrics answers with. */
export async function exposition(m: Metrics): Promise<{ contentType: string; body: string }> {
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}
