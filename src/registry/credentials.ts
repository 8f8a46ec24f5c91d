// Registry credentials: REGISTRY_CREDENTIALS (JSON, for env-only deployments) first, then a
// docker `config.json` (DOCKER_CONFIG, else ~/.docker), the file `docker login` writes and
// Kubernetes mounts from a dockerconfigjson Secret. The file is read again when it
// changes, so a rotated Secret is picked up without a restart. Credential helpers
// (`credsStore`, `credHelpers`) are not run: the bot executes no programs for secrets.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { credentialKeys } from './address.ts';

export type Credential =
  | { kind: 'basic'; username: string; password: string }
  /** docker's `identitytoken`: an OAuth2 refresh token exchanged at the token realm. */
  | { kind: 'identity'; username: string; token: string };

export type CredentialLookup = (host: string) => Credential | undefined;

type Entry = { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown };

/** One `auths` entry: `{auth: base64(user:pass)}`, `{username, password}`, and either with
 *  `identitytoken`. Undefined for an entry without usable credentials. */
function credentialOf(e: Entry, where: string): Credential | undefined {
  let username = typeof e.username === 'string' ? e.username : undefined;
  let password = typeof e.password === 'string' ? e.password : undefined;
  if (typeof e.auth === 'string' && e.auth !== '') {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon === -1) throw new ConfigError('REGISTRY_BAD_CREDENTIALS', `${where}: "auth" must be base64 of user:password`);
    username = plain.slice(0, colon);
    password = plain.slice(colon + 1);
  }
  if (typeof e.identitytoken === 'string' && e.identitytoken !== '') return { kind: 'identity', username: username ?? '<token>', token: e.identitytoken };
  if (username !== undefined && password !== undefined && (username !== '' || password !== '')) return { kind: 'basic', username, password };
  return undefined;
}

/** `https://index.docker.io/v1/` → `index.docker.io`; hosts are matched in lower case. */
function keyOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

function parseAuths(json: unknown, where: string): Map<string, Credential> {
  const out = new Map<string, Credential>();
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('REGISTRY_BAD_CREDENTIALS', `${where}: expected a JSON object of registry hosts`);
  for (const [key, entry] of Object.entries(json as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object') throw new ConfigError('REGISTRY_BAD_CREDENTIALS', `${where}: entry ${JSON.stringify(key)} must be an object`);
    const c = credentialOf(entry as Entry, `${where} ${JSON.stringify(key)}`);
    if (c) out.set(keyOf(key), c);
  }
  return out;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // the parser's message may quote the text, which holds secrets
    throw new ConfigError('REGISTRY_BAD_CREDENTIALS', `${where} is not valid JSON`, {}, { cause: err });
  }
}

/** REGISTRY_CREDENTIALS: `{"<host>": {"username": "…", "password": "…"}}`, or `auth` /
 *  `identitytoken` as in a docker config's `auths`. Throws ConfigError at start when
 *  malformed, never later. */
export function envCredentials(raw: string | undefined): Map<string, Credential> {
  if (raw === undefined || raw.trim() === '') return new Map();
  return parseAuths(parseJson(raw, 'REGISTRY_CREDENTIALS'), 'REGISTRY_CREDENTIALS');
}

/** A docker config file's `auths`, re-read when its size or time changes. */
export function dockerConfigCredentials(file: string): () => Map<string, Credential> {
  let seen = '';
  let cached = new Map<string, Credential>();
  return () => {
    let stamp: string;
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      // no docker config is the common case: anonymous pulls
      return new Map();
    }
    if (stamp !== seen) {
      const json = parseJson(readFileSync(file, 'utf8'), file) as { auths?: unknown };
      cached = json && typeof json === 'object' && json.auths !== undefined ? parseAuths(json.auths, `${file} auths`) : new Map();
      seen = stamp;
    }
    return cached;
  };
}

/** Where docker looks for its config: DOCKER_CONFIG (a directory), else ~/.docker. */
export function dockerConfigFile(env: Record<string, string | undefined>): string | undefined {
  if (env.DOCKER_CONFIG) return path.join(env.DOCKER_CONFIG, 'config.json');
  return env.HOME ? path.join(env.HOME, '.docker', 'config.json') : undefined;
}

export function credentialLookup(fromEnv: Map<string, Credential>, fromFile?: () => Map<string, Credential>): CredentialLookup {
  return (host) => {
    const keys = credentialKeys(host.toLowerCase());
    for (const k of keys) if (fromEnv.has(k)) return fromEnv.get(k);
    const file = fromFile?.();
    for (const k of keys) if (file?.has(k)) return file.get(k);
    return undefined;
  };
}
