// The webhook intake: everything a delivery must pass before a handler sees it, cheapest
// check first — method, headers, size (while streaming), signature, JSON, shape. A
// refusal is one log line (delivery, event, size, reason) and a one-line JSON answer;
// no body is ever logged or echoed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, type BodyLimits } from './body.ts';
import { respondJson as respond } from './http.ts';
import { checkSignature } from './signature.ts';
import { shapeProblem } from './shapes.ts';

export interface Delivery {
  id: string;
  name: string;
  /** The verified raw body: the receiving side parses it itself. */
  body: Buffer;
  /** When the request arrived (epoch ms), for the event-to-push latency. */
  receivedAt?: number;
}

/** What became of a delivery once handed over. */
export type Outcome = { status: 'done' } | { status: 'failed' } | { status: 'busy' };

/** Why a delivery was refused, as a metric label (a bounded set). */
export type RefusalReason = 'method' | 'content-type' | 'headers' | 'too-large' | 'timeout' | 'aborted' | 'signature' | 'json' | 'shape' | 'no-such-hook' | 'token';

/** One delivery for the deliveries metric: its outcome, or why it was refused. A registry
 *  notification (`registry`: its kind, or `unknown`) is accepted or refused. */
export type DeliveryCount =
  | { event: string; outcome: Outcome['status'] | 'refused'; reason?: RefusalReason; registry?: undefined }
  | { registry: string; outcome: 'accepted' | 'refused'; reason?: RefusalReason };

export interface IntakeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface IntakeOptions {
  secret: string;
  limits: BodyLimits;
  log: IntakeLog;
  /** Hands a verified delivery to the handlers. */
  dispatch(d: Delivery, payload: unknown): Promise<Outcome>;
  /** After this long the answer is 202 and the handlers go on (GitHub waits 10 s). */
  answerWithinMs: number;
  /** Every delivery once its outcome is known (the handlers may finish after a 202). */
  count?(c: DeliveryCount): void;
}


function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** A header value safe to put in a log line: bounded, one line. */
function loggable(v: string | undefined): string | undefined {
  return v === undefined ? undefined : v.slice(0, 100).replace(/[^\x20-\x7e]/g, '?');
}

const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;

// Event names as metric labels: the header is the sender's to choose, so anything but a
// known GitHub event becomes `other` and a forger cannot grow the label set.
const KNOWN_EVENTS = new Set([
  'release', 'create', 'delete', 'push', 'package', 'registry_package', 'pull_request', 'pull_request_review', 'issue_comment',
  'ping', 'installation', 'installation_repositories', 'installation_target', 'github_app_authorization', 'meta',
  'check_run', 'check_suite', 'status', 'workflow_run', 'workflow_job', 'repository', 'issues', 'pull_request_review_comment',
]);

function eventLabel(event: string | undefined): string {
  return event && KNOWN_EVENTS.has(event) ? event : 'other';
}

export function createIntake(opts: IntakeOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = Date.now();
    const delivery = loggable(header(req, 'x-github-delivery'));
    const event = loggable(header(req, 'x-github-event'));
    const label = eventLabel(event);
    const refuse = (status: number, why: RefusalReason, reason: string, size?: number) => {
      opts.count?.({ event: label, outcome: 'refused', reason: why });
      opts.log.warn({ delivery, event, size, status, reason }, 'webhook refused');
      respond(res, status, { error: reason });
    };
    // 1. Shape of the request itself.
    if (req.method !== 'POST') return refuse(405, 'method', `method ${loggable(req.method)} not allowed; webhooks are POSTed`);
    if (!JSON_TYPE.test(header(req, 'content-type') ?? '')) return refuse(415, 'content-type', 'content-type must be application/json');
    if (!delivery || !event) return refuse(400, 'headers', 'X-GitHub-Event and X-GitHub-Delivery headers are required');
    // 2. The body, bounded while it streams in.
    const read = await readBody(req, opts.limits);
    try {
      if (read.kind === 'too-large') return refuse(413, 'too-large', `body over the ${opts.limits.maxBytes} byte limit`, read.size);
      if (read.kind === 'timeout') return refuse(408, 'timeout', `body not received within ${opts.limits.timeoutMs} ms`, read.size);
      if (read.kind === 'aborted') {
        opts.count?.({ event: label, outcome: 'refused', reason: 'aborted' });
        return opts.log.warn({ delivery, event, size: read.size, reason: 'client went away' }, 'webhook refused');
      }
      // 3. Who sent it.
      const signed = checkSignature(opts.secret, read.body, req.headers['x-hub-signature-256']);
      if (!signed.ok) return refuse(401, 'signature', signed.reason, read.body.length);
      // 4. What it says.
      let payload: unknown;
      try {
        payload = JSON.parse(read.body.toString('utf8'));
      } catch {
        return refuse(400, 'json', 'body is not valid JSON', read.body.length);
      }
      const problem = shapeProblem(event, payload);
      if (problem) return refuse(400, 'shape', `${event} payload: ${problem}`, read.body.length);
      // 5. Hand over; answer once the handlers are done, or 202 if they take long.
      let timer: NodeJS.Timeout | undefined;
      const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), opts.answerWithinMs)));
      const handed = opts.dispatch({ id: delivery, name: event, body: read.body, receivedAt }, payload);
      handed.then(
        (o) => opts.count?.({ event: label, outcome: o.status }),
        () => opts.count?.({ event: label, outcome: 'failed' }),
      );
      const outcome = await Promise.race([handed, slow]);
      clearTimeout(timer);
      if (outcome === 'slow') return respond(res, 202, { status: 'accepted', delivery });
      if (outcome.status === 'failed') return respond(res, 500, { error: `delivery ${delivery} failed; the bot's log has the reason` });
      if (outcome.status === 'busy') return respond(res, 503, { error: 'shutting down; redeliver later' });
      respond(res, 200, { status: 'ok', delivery });
    } finally {
      read.done();
    }
  };
}
