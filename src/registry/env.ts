// The registry client the bot and the CLI use, configured from the environment:
// REGISTRY_CREDENTIALS, DOCKER_CONFIG (or ~/.docker/config.json), REGISTRY_INSECURE_HOSTS.
import { ConfigError } from '../errors.ts';
import { credentialLookup, dockerConfigCredentials, dockerConfigFile, envCredentials } from './credentials.ts';
import { distributionRegistry, type DistributionOptions } from './distribution.ts';
import type { Registry } from './types.ts';

/** REGISTRY_INSECURE_HOSTS: comma-separated `host` or `host:port`, no scheme. */
export function insecureHosts(raw: string | undefined): string[] {
  const hosts = (raw ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of hosts) {
    if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d+)?$/.test(h)) {
      throw new ConfigError('SETTINGS_BAD_INSECURE_HOSTS', `REGISTRY_INSECURE_HOSTS must list hosts as host or host:port, got ${JSON.stringify(h)}`, { field: 'REGISTRY_INSECURE_HOSTS' });
    }
  }
  return hosts;
}

/** Checks REGISTRY_CREDENTIALS and REGISTRY_INSECURE_HOSTS at start (ConfigError with
 *  the variable's name); returns the insecure hosts. */
export function checkRegistrySettings(env: Record<string, string | undefined>): string[] {
  envCredentials(env.REGISTRY_CREDENTIALS);
  return insecureHosts(env.REGISTRY_INSECURE_HOSTS);
}

/** Throws ConfigError for malformed settings, so a bad start says so at once. */
export function registryFromEnv(env: Record<string, string | undefined>, extra: Omit<DistributionOptions, 'credentials' | 'insecureHosts'> = {}): Registry {
  const file = dockerConfigFile(env);
  return distributionRegistry({
    ...extra,
    credentials: credentialLookup(envCredentials(env.REGISTRY_CREDENTIALS), file ? dockerConfigCredentials(file) : undefined),
    insecureHosts: insecureHosts(env.REGISTRY_INSECURE_HOSTS),
  });
}
