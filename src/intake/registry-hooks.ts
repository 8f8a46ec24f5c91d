// Push notifications from container registries, each on its own path and verified the
// way that registry can be: the CNCF distribution registry and Harbor send a header the
// operator configures (`Authorization: Bearer <token>` or the token itself), Docker Hub and
// Quay sign nothing, so their URL carries the token. A verified push names the images
// pushed; the bot then reconciles the apps that use them (it never trusts the tag in the
// notification more than the registry's own tag list).
import { timingSafeEqual } from 'node:crypto';

export const REGISTRY_HOOKS_PREFIX = '/api/registry/';

export const REGISTRY_KINDS = ['distribution', 'harbor', 'dockerhub', 'quay'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

export interface RegistryPush {
  /** Image repository as clients pull it, e.g. `registry.example.com:5000/team/api`. */
  image: string;
  tag?: string;
}

export type Parsed = { ok: true; kind: RegistryKind; pushes: RegistryPush[] } | { ok: false; status: number; reason: string };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `/api/registry/<kind>[/<token>]` → the kind and the token in the path, if any. */
export function routeOf(path: string): { kind?: RegistryKind; pathToken?: string } | undefined {
  if (!path.startsWith(REGISTRY_HOOKS_PREFIX)) return undefined;
  const [kind, token, ...rest] = path.slice(REGISTRY_HOOKS_PREFIX.length).split('/');
  if (rest.length) return {};
  return { kind: (REGISTRY_KINDS as readonly string[]).includes(kind) ? (kind as RegistryKind) : undefined, pathToken: token || undefined };
}

function authorized(kind: RegistryKind, secret: string, header: string | undefined, pathToken: string | undefined): boolean {
  if (kind === 'dockerhub' || kind === 'quay') return pathToken !== undefined && same(pathToken, secret);
  if (header === undefined) return false;
  const value = header.replace(/^Bearer\s+/i, '').trim();
  return same(value, secret);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The distribution registry's envelope: `{events: [{action, target: {repository, tag}, request: {host}}]}`. */
function distribution(body: Json): RegistryPush[] {
  const events = Array.isArray(body.events) ? body.events : [];
  return events.flatMap((e) => {
    const ev = obj(e);
    const target = obj(ev?.target);
    const repo = str(target?.repository);
    const host = str(obj(ev?.request)?.host);
    if (ev?.action !== 'push' || !repo || !host) return [];
    return [{ image: `${host}/${repo}`, tag: str(target?.tag) }];
  });
}

/** Harbor: `{type: "PUSH_ARTIFACT", event_data: {resources: [{tag, resource_url: "host/proj/repo:tag"}]}}`. */
function harbor(body: Json): RegistryPush[] {
  if (body.type !== 'PUSH_ARTIFACT' && body.type !== 'pushImage') return [];
  const resources = Array.isArray(obj(body.event_data)?.resources) ? (obj(body.event_data)!.resources as unknown[]) : [];
  return resources.flatMap((r) => {
    const url = str(obj(r)?.resource_url);
    if (!url) return [];
    const at = url.search(/[:@][^/]*$/);
    return [{ image: at > 0 ? url.slice(0, at) : url, tag: str(obj(r)?.tag) }];
  });
}

/** Docker Hub: `{push_data: {tag}, repository: {repo_name: "user/repo"}}`. */
function dockerhub(body: Json): RegistryPush[] {
  const name = str(obj(body.repository)?.repo_name);
  return name ? [{ image: `docker.io/${name}`, tag: str(obj(body.push_data)?.tag) }] : [];
}

/** Quay: `{docker_url: "quay.io/ns/repo", updated_tags: ["1.2.3"]}`. */
function quay(body: Json): RegistryPush[] {
  const image = str(body.docker_url);
  if (!image) return [];
  const tags = Array.isArray(body.updated_tags) ? body.updated_tags.filter((t): t is string => typeof t === 'string') : [];
  return tags.length ? tags.map((tag) => ({ image, tag })) : [{ image }];
}

const PARSERS: Record<RegistryKind, (body: Json) => RegistryPush[]> = { distribution, harbor, dockerhub, quay };

/** Verifies and reads one notification. `secret` undefined: registry hooks are off. */
export function parseRegistryHook(path: string, secret: string | undefined, authorization: string | undefined, body: Buffer): Parsed {
  const route = routeOf(path);
  if (!route || !route.kind || secret === undefined) return { ok: false, status: 404, reason: 'no such registry hook' };
  if (!authorized(route.kind, secret, authorization, route.pathToken)) return { ok: false, status: 401, reason: `${route.kind} notification without the registry webhook token` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, reason: 'body is not valid JSON' };
  }
  const json = obj(parsed);
  if (!json) return { ok: false, status: 400, reason: 'payload: expected a JSON object' };
  return { ok: true, kind: route.kind, pushes: PARSERS[route.kind](json) };
}
