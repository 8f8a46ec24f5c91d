// Image references as written in manifests and config: `[registry[:port]/]path[:tag][@digest]`.
// Pure functions; the grammar follows the distribution/reference rules Docker and
// containerd use, so what matches here matches what the cluster pulls.
import { PolicyError } from '../errors.ts';

export interface ImageRefParts {
  repository: string;
  tag?: string;
  digest?: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
// OCI image-spec digest grammar: algorithm ":" encoded.
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/;
const DIGEST_LENGTH: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

function bad(ref: string, why: string): PolicyError {
  return new PolicyError('IMAGE_BAD_REF', `invalid image reference ${JSON.stringify(ref)}: ${why}`);
}

/** Throws PolicyError IMAGE_BAD_TAG unless `tag` is a valid OCI tag. Returns the tag. */
export function validateTag(tag: string): string {
  if (!TAG.test(tag)) {
    throw new PolicyError('IMAGE_BAD_TAG', `invalid image tag ${JSON.stringify(tag)}: must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
  }
  return tag;
}

/** Throws PolicyError IMAGE_BAD_DIGEST unless `digest` is `algorithm:hex` (sha256 = 64 hex). */
export function validateDigest(digest: string): string {
  const m = DIGEST.test(digest) ? digest.split(':') : undefined;
  const exact = m && DIGEST_LENGTH[m[0]];
  if (!m || (exact && !exact.test(m[1]))) {
    throw new PolicyError('IMAGE_BAD_DIGEST', `invalid image digest ${JSON.stringify(digest)}: expected e.g. sha256:<64 hex digits>`);
  }
  return digest;
}

/** Splits a repository into its registry host (if written) and path. The first
 *  component is a registry only when it looks like a host (has `.` or `:`, is
 *  `localhost`, or has upper case), as Docker decides it. */
function splitDomain(repo: string): { domain?: string; path: string } {
  const i = repo.indexOf('/');
  if (i === -1) return { path: repo };
  const first = repo.slice(0, i);
  if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
    return { domain: first, path: repo.slice(i + 1) };
  }
  return { path: repo };
}

function checkRepository(ref: string, repo: string): void {
  if (repo === '') throw bad(ref, 'missing repository');
  const { domain, path } = splitDomain(repo);
  if (domain !== undefined && !HOST.test(domain)) throw bad(ref, `invalid registry host ${JSON.stringify(domain)}`);
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT.test(c)) {
      throw bad(ref, c === '' ? 'empty path component' : `invalid path component ${JSON.stringify(c)} (lower case letters, digits and . _ - only)`);
    }
  }
  if (repo.length > 255) throw bad(ref, 'repository longer than 255 characters');
}

// A fleet's manifests hold the same few references many times over (a sidecar in 801
// files: each reference parsed and normalized 4-5 times a bump, 20 ms in all). Parsed
// ones are kept by their text; one that fails is parsed again, to throw again.
const REMEMBERED = 4096;
const parsed = new Map<string, Readonly<ImageRefParts>>();
const normalized = new Map<string, string>();

function remember<T>(map: Map<string, T>, key: string, value: T): T {
  if (map.size >= REMEMBERED) map.clear();
  map.set(key, value);
  return value;
}

/** Parses `[registry[:port]/]path[:tag][@digest]`. Throws PolicyError IMAGE_BAD_REF. */
export function parseImageRef(s: string): ImageRefParts {
  const known = typeof s === 'string' ? parsed.get(s) : undefined;
  // a copy: a caller may add to what it is given
  return { ...(known ?? remember(parsed, s, Object.freeze(parseAnew(s)))) };
}

function parseAnew(s: string): ImageRefParts {
  if (typeof s !== 'string' || s.trim() === '') throw bad(String(s), 'empty reference');
  if (s !== s.trim() || /\s/.test(s)) throw bad(s, 'contains whitespace');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      validateDigest(digest);
    } catch {
      throw bad(s, `invalid digest ${JSON.stringify(digest)}`);
    }
  }
  let tag: string | undefined;
  // A colon after the last slash separates the tag; one before it belongs to a port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(s, `invalid tag ${JSON.stringify(tag)}`);
  }
  checkRepository(s, rest);
  return { repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Canonical form for matching: `nginx` → `docker.io/library/nginx`, registry host in
 *  lower case, Docker Hub aliases folded. Accepts a full reference (tag/digest ignored). */
export function normalizeRepository(repo: string): string {
  return normalized.get(repo) ?? remember(normalized, repo, normalizeAnew(repo));
}

function normalizeAnew(repo: string): string {
  const { repository } = parseImageRef(repo);
  const { domain, path } = splitDomain(repository);
  const host = domain === undefined ? DOCKER_HUB : domain.toLowerCase();
  if (DOCKER_HUB_ALIASES.has(host)) {
    return `${DOCKER_HUB}/${path.includes('/') ? path : `library/${path}`}`;
  }
  return `${host}/${path}`;
}

/** Kept under the name the shared types mention. */
export const normalizeImage = normalizeRepository;

export function sameRepository(a: string, b: string): boolean {
  return normalizeRepository(a) === normalizeRepository(b);
}

export function formatImageRef(r: ImageRefParts): string {
  return `${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** The last path component (`ghcr.io/acme/podinfo` → `podinfo`): present verbatim in
 *  every spelling of the repository, so it is what cheap text screens look for. */
export function repositoryBaseName(repo: string): string {
  const { repository } = parseImageRef(repo);
  return repository.slice(repository.lastIndexOf('/') + 1);
}
