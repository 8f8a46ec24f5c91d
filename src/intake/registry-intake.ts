// Intake for registry push notifications (see registry-hooks.ts): small bodies, a token,
// one log line per refusal, and an answer at once: the reconcile they trigger runs after.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, type BodyLimits } from './body.ts';
import { respondJson as respond } from './http.ts';
import { parseRegistryHook, routeOf, type RegistryKind, type RegistryPush } from './registry-hooks.ts';
import type { DeliveryCount, IntakeLog, RefusalReason } from './webhook.ts';

/** Registry notifications are a few kilobytes; Harbor batches stay far under this. */
export const REGISTRY_BODY_BYTES = 1024 * 1024;

export interface RegistryIntakeOptions {
  /** REGISTRY_WEBHOOK_TOKEN; undefined turns the registry hooks off (404). */
  secret?: string;
  limits: BodyLimits;
  log: IntakeLog;
  pushed(kind: RegistryKind, pushes: RegistryPush[]): void;
  count?(c: DeliveryCount): void;
}

// the metric's reason for each status a refusal answers with (a bounded set of labels)
const REASONS: Record<number, RefusalReason> = { 400: 'json', 401: 'token', 404: 'no-such-hook', 405: 'method', 408: 'timeout', 413: 'too-large' };


export function createRegistryIntake(opts: RegistryIntakeOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
    // the token may be in the path: log the kind only
    const hook = path.split('/')[3]?.slice(0, 20).replace(/[^a-z]/g, '?');
    // a label names a kind the bot routes, never what a path says
    const kind = routeOf(path)?.kind ?? 'unknown';
    const refuse = (status: number, reason: string, size?: number) => {
      opts.log.warn({ hook, size, status, reason }, 'registry notification refused');
      opts.count?.({ registry: kind, outcome: 'refused', reason: REASONS[status] ?? 'shape' });
      respond(res, status, { error: reason });
    };
    if (req.method !== 'POST') return refuse(405, 'registry notifications are POSTed');
    const read = await readBody(req, opts.limits);
    try {
      if (read.kind === 'too-large') return refuse(413, `body over the ${opts.limits.maxBytes} byte limit`, read.size);
      if (read.kind === 'timeout') return refuse(408, `body not received within ${opts.limits.timeoutMs} ms`, read.size);
      if (read.kind === 'aborted') return opts.count?.({ registry: kind, outcome: 'refused', reason: 'aborted' });
      const parsed = parseRegistryHook(path, opts.secret, typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined, read.body);
      if (!parsed.ok) return refuse(parsed.status, parsed.reason, read.body.length);
      opts.log.info({ hook: parsed.kind, images: parsed.pushes.map((p) => (p.tag ? `${p.image}:${p.tag}` : p.image)) }, 'registry push: reconciling the apps that use these images');
      if (parsed.pushes.length) opts.pushed(parsed.kind, parsed.pushes);
      opts.count?.({ registry: parsed.kind, outcome: 'accepted' });
      respond(res, 202, { status: 'accepted', images: [...new Set(parsed.pushes.map((p) => p.image))] });
    } finally {
      read.done();
    }
  };
}
