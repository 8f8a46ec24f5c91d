// Where registry credentials come from, how registry names are folded, and which hosts
// may be spoken to over plain HTTP. No network.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { allowsHttp, registryAddress } from '../../src/registry/address.ts';
import { parseChallenge } from '../../src/registry/challenge.ts';
import { credentialLookup, dockerConfigCredentials, dockerConfigFile, envCredentials } from '../../src/registry/credentials.ts';
import { insecureHosts } from '../../src/registry/env.ts';
import { readSettings } from '../../src/settings.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('addresses', () => {
  it('folds Docker Hub names onto its API host and library/ namespace', () => {
    for (const image of ['nginx', 'docker.io/nginx', 'index.docker.io/library/nginx', 'registry-1.docker.io/library/nginx']) {
      expect(registryAddress(image)).toEqual({ host: 'docker.io', base: 'https://registry-1.docker.io', name: 'library/nginx', image: 'docker.io/library/nginx' });
    }
    expect(registryAddress('bitnami/redis').name).toBe('bitnami/redis');
    expect(registryAddress('GHCR.io/acme/podinfo')).toMatchObject({ host: 'ghcr.io', base: 'https://ghcr.io', name: 'acme/podinfo' });
  });

  it('uses plain HTTP only on loopback and for listed hosts', () => {
    expect(registryAddress('127.0.0.1:5000/team/app').base).toBe('http://127.0.0.1:5000');
    expect(registryAddress('localhost:5000/team/app').base).toBe('http://localhost:5000');
    expect(registryAddress('registry.lan:5000/team/app').base).toBe('https://registry.lan:5000');
    expect(registryAddress('registry.lan:5000/team/app', ['registry.lan:5000']).base).toBe('http://registry.lan:5000');
    expect(registryAddress('registry.lan:5000/team/app', ['registry.lan']).base).toBe('http://registry.lan:5000');
    expect(allowsHttp('registry.lan:5001', ['registry.lan:5000'])).toBe(false);
    expect(allowsHttp('128.0.0.1', [])).toBe(false);
    expect(allowsHttp('[::1]:5000', [])).toBe(true);
  });

  it('checks REGISTRY_INSECURE_HOSTS at start', () => {
    expect(insecureHosts(' Registry.LAN:5000, mirror ')).toEqual(['registry.lan:5000', 'mirror']);
    expect(insecureHosts(undefined)).toEqual([]);
    expect(() => insecureHosts('http://registry.lan')).toThrow(ConfigError);
  });
});

describe('challenges', () => {
  it('reads Bearer realm and service, quoted or not, and Basic', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual({ scheme: 'bearer', realm: 'https://auth.docker.io/token', service: 'registry.docker.io' });
    expect(parseChallenge('bearer realm=https://ghcr.io/token, service=ghcr.io')).toEqual({ scheme: 'bearer', realm: 'https://ghcr.io/token', service: 'ghcr.io' });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic' });
    expect(parseChallenge('Bearer service="x"')).toBeUndefined();
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(null)).toBeUndefined();
  });
});

describe('credentials', () => {
  it('takes REGISTRY_CREDENTIALS first, then the docker config, under every Docker Hub spelling', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'docker-config-'));
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
        'ghcr.io': { auth: b64('fileuser:filepass') },
        'https://quay.io': { identitytoken: 'refresh' },
        'empty.example': {},
      },
      credsStore: 'desktop',
    }));
    const lookup = credentialLookup(envCredentials('{"ghcr.io": {"username": "envuser", "password": "envpass"}}'), dockerConfigCredentials(file));
    expect(lookup('docker.io')).toEqual({ kind: 'basic', username: 'hubuser', password: 'hubpass' });
    expect(lookup('ghcr.io')).toEqual({ kind: 'basic', username: 'envuser', password: 'envpass' });
    expect(lookup('quay.io')).toEqual({ kind: 'identity', username: '<token>', token: 'refresh' });
    expect(lookup('empty.example')).toBeUndefined();
    expect(lookup('other.example')).toBeUndefined();
  });

  it('reads the docker config again when it changes, and a missing one as none', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'docker-config-'));
    const file = path.join(dir, 'config.json');
    const read = dockerConfigCredentials(file);
    expect(read().size).toBe(0);
    await writeFile(file, JSON.stringify({ auths: { 'r.example': { auth: b64('a:1') } } }));
    expect(read().get('r.example')).toEqual({ kind: 'basic', username: 'a', password: '1' });
    await writeFile(file, JSON.stringify({ auths: { 'r.example': { auth: b64('a:22') } } }));
    expect(read().get('r.example')).toEqual({ kind: 'basic', username: 'a', password: '22' });
  });

  it('finds the docker config where docker does', () => {
    expect(dockerConfigFile({ DOCKER_CONFIG: '/etc/regcred', HOME: '/home/bot' })).toBe('/etc/regcred/config.json');
    expect(dockerConfigFile({ HOME: '/home/bot' })).toBe('/home/bot/.docker/config.json');
    expect(dockerConfigFile({})).toBeUndefined();
  });

  it('refuses malformed credentials without repeating them', () => {
    const bad = (raw: string) => {
      try {
        envCredentials(raw);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('{"ghcr.io": {"username": "u", "password": "hunter2"')).toBe('REGISTRY_CREDENTIALS is not valid JSON');
    expect(bad('["hunter2"]')).toBe('REGISTRY_CREDENTIALS: expected a JSON object of registry hosts');
    expect(bad(`{"ghcr.io": {"auth": "${b64('hunter2')}"}}`)).toBe('REGISTRY_CREDENTIALS "ghcr.io": "auth" must be base64 of user:password');
    expect(envCredentials('  ').size).toBe(0);
  });

  it('stops the start on malformed registry settings, naming the variable', () => {
    expect(() => readSettings({ REGISTRY_CREDENTIALS: '{"ghcr.io": ' }, '/srv')).toThrow('REGISTRY_CREDENTIALS is not valid JSON');
    expect(() => readSettings({ REGISTRY_INSECURE_HOSTS: 'http://r.lan' }, '/srv')).toThrow(/REGISTRY_INSECURE_HOSTS must list hosts/);
    expect(readSettings({ REGISTRY_INSECURE_HOSTS: 'r.lan:5000' }, '/srv').registryInsecureHosts).toEqual(['r.lan:5000']);
  });
});
