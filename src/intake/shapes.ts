// The fields each handler reads, checked before the handler runs. A signed payload
// without them (a hand-made delivery, a proxy that rewrote it) is answered 400 with
// the first missing or mistyped field, never a TypeError from deep inside a handler.
// Only what the handlers use is required: GitHub adds fields over time.
import { z } from '../zod.ts';

const text = z.string();
const name = z.string().min(1);
const repository = z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected "owner/name"'), clone_url: text.optional(), owner: z.object({ login: name }) });
// Events inside a config repo are handled in a clone of it, made from `clone_url`.
const configRepository = repository.extend({ clone_url: name });
const sender = z.object({ login: name, type: text });
const user = z.object({ login: name, type: text.optional() });

const release = z.object({
  repository,
  release: z.object({ tag_name: name, draft: z.boolean(), prerelease: z.boolean(), target_commitish: text }),
});
const create = z.object({ repository, ref: name, ref_type: text });
const push = z.object({
  repository,
  ref: name,
  deleted: z.boolean(),
  after: text,
  head_commit: z.object({ id: text }).nullable().optional(),
});
const packageVersion = z
  .object({ container_metadata: z.object({ tag: z.object({ name: text.optional() }).nullable().optional() }).nullable().optional() })
  .nullable()
  .optional();
const pkg = z.object({ name, package_type: text, namespace: text.nullable().optional(), package_version: packageVersion });
const review = z.object({
  repository: configRepository,
  review: z.object({ state: text, user: user.nullable() }),
  pull_request: z.object({ number: z.number().int().positive(), head: z.object({ ref: text }) }),
});
const pullClosed = z.object({
  repository: configRepository,
  sender,
  pull_request: z.object({
    number: z.number().int().positive(),
    merged: z.boolean().nullable().optional(),
    html_url: text,
    title: text,
    body: text.nullable().optional(),
    head: z.object({ ref: text, sha: text }),
    base: z.object({ ref: text }),
  }),
});
// Opened, pushed to, reopened: the head to analyze; the base only for the log.
const pullHead = z.object({
  repository: configRepository,
  pull_request: z.object({
    number: z.number().int().positive(),
    head: z.object({ ref: text, sha: text }),
    base: z.object({ ref: text }),
  }),
});
const comment = z.object({ repository: configRepository, sender, comment: z.object({ body: text }), issue: z.object({ number: z.number().int().positive() }) });

/** By `event` or `event.action`: the deliveries a handler is registered for. */
const SHAPES: Record<string, z.ZodType> = {
  'release.published': release,
  'release.prereleased': release,
  create,
  push,
  'package.published': z.object({ package: pkg, repository: repository.nullable().optional() }),
  'registry_package.published': z.object({ registry_package: pkg, repository: repository.nullable().optional() }),
  'pull_request_review.submitted': review,
  'pull_request.closed': pullClosed,
  'pull_request.opened': pullHead,
  'pull_request.synchronize': pullHead,
  'pull_request.reopened': pullHead,
  'issue_comment.created': comment,
};

/** `event` or `event.action` keys that have a shape, for tests that hold them to GitHub's examples. */
export const SHAPED_EVENTS: readonly string[] = Object.keys(SHAPES);

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || 'payload';
}

/** Undefined when `payload` has what the handler of `event` needs, else a one-line
 *  reason naming the field. Events no handler listens to are not checked. */
export function shapeProblem(event: string, payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return 'payload: expected a JSON object';
  const action = (payload as { action?: unknown }).action;
  const shape = SHAPES[typeof action === 'string' ? `${event}.${action}` : event] ?? SHAPES[event];
  if (!shape) return undefined;
  const r = shape.safeParse(payload);
  if (r.success) return undefined;
  const issue = r.error.issues[0];
  return `${pathOf(issue.path)}: ${issue.message.replace(/^Invalid input: /, '')}`.replace(/[\r\n]+/g, ' ');
}
