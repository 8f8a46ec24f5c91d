// Where an image's registry answers. Names are folded the way Docker folds them, so
// `nginx`, `docker.io/nginx` and `index.docker.io/library/nginx` all reach the same API.
import { normalizeRepository } from '../policy/image.ts';

export interface RegistryAddress {
  /** The registry as users write it (`ghcr.io`, `docker.io`, `127.0.0.1:5000`): messages
   *  and credential lookups use it. */
  host: string;
  /** Base URL of the Distribution API, without `/v2/`. */
  base: string;
  /** The repository inside the registry (`library/nginx`, `acme/podinfo`). */
  name: string;
  /** The image as normalised, for messages. */
  image: string;
}

/** Docker Hub's API is not served at the name users write. */
const API_HOST: Record<string, string> = { 'docker.io': 'registry-1.docker.io' };

/** `host` or `host:port`, lower case, IPv6 brackets kept. */
function hostName(host: string): string {
  const bracket = host.match(/^\[([^\]]+)\](?::\d+)?$/);
  if (bracket) return bracket[1];
  return host.replace(/:\d+$/, '');
}

/** Loopback hosts are spoken to over plain HTTP, as Docker treats them as insecure
 *  registries; nothing on them crosses a network. */
export function isLoopback(host: string): boolean {
  const name = hostName(host.toLowerCase());
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** Plain HTTP only for loopback and for hosts the operator listed (REGISTRY_INSECURE_HOSTS,
 *  `host` or `host:port`); everything else is HTTPS. */
export function allowsHttp(host: string, insecure: readonly string[]): boolean {
  const h = host.toLowerCase();
  return isLoopback(h) || insecure.some((i) => i === h || i === hostName(h));
}

/** Throws PolicyError IMAGE_BAD_REF for a reference that is not an image. */
export function registryAddress(image: string, insecure: readonly string[] = []): RegistryAddress {
  const normal = normalizeRepository(image);
  const slash = normal.indexOf('/');
  const host = normal.slice(0, slash);
  const name = normal.slice(slash + 1);
  const api = API_HOST[host] ?? host;
  const scheme = allowsHttp(api, insecure) ? 'http' : 'https';
  return { host, base: `${scheme}://${api}`, name, image: normal };
}

/** Every spelling a credential store may file a registry under (`docker login` writes
 *  Docker Hub as `https://index.docker.io/v1/`). */
export function credentialKeys(host: string): string[] {
  if (host === 'docker.io') return ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/'];
  return [host];
}
