// Which mode the process starts in, from the environment alone.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { readSettings } from '../../../src/settings.ts';

const KEY = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.code;
    throw err;
  }
  return undefined;
}

describe('readSettings', () => {
  it('is the GitHub App with APP_ID, PRIVATE_KEY and WEBHOOK_SECRET', () => {
    const s = readSettings({ APP_ID: '123', PRIVATE_KEY: KEY.replace(/\n/g, '\\n'), WEBHOOK_SECRET: 's3cret' }, '/srv');
    expect(s).toMatchObject({ mode: 'github', appId: '123', webhookSecret: 's3cret', generatedSecret: false, port: 3000, host: '0.0.0.0', configRepos: [] });
    expect(s.privateKey).toBe(KEY);
    expect(s.baseUrl).toBeUndefined();
  });

  it('reads the key from PRIVATE_KEY_PATH and takes GitHub Enterprise from GHE_HOST or GITHUB_API_URL', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'settings-'));
    try {
      await writeFile(path.join(dir, 'key.pem'), KEY);
      const s = readSettings({ APP_ID: '1', PRIVATE_KEY_PATH: path.join(dir, 'key.pem'), WEBHOOK_SECRET: 'x', GHE_HOST: 'ghe.example.com', CONFIG_REPOS: 'acme/config, acme/other' });
      expect(s).toMatchObject({ mode: 'github', privateKey: KEY, baseUrl: 'https://ghe.example.com/api/v3', configRepos: ['acme/config', 'acme/other'] });
      expect(readSettings({ APP_ID: '1', PRIVATE_KEY: KEY, WEBHOOK_SECRET: 'x', GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }).baseUrl).toBe('https://ghe.example.com/api/v3');
      expect(codeOf(() => readSettings({ APP_ID: '1', PRIVATE_KEY_PATH: path.join(dir, 'missing.pem'), WEBHOOK_SECRET: 'x' }))).toBe('SETTINGS_PRIVATE_KEY_UNREADABLE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses half a set of GitHub credentials, never falling back to local mode', () => {
    expect(codeOf(() => readSettings({ APP_ID: '1', PRIVATE_KEY: KEY }))).toBe('SETTINGS_NO_SECRET');
    expect(codeOf(() => readSettings({ APP_ID: '1', WEBHOOK_SECRET: 'x' }))).toBe('SETTINGS_NO_PRIVATE_KEY');
    expect(codeOf(() => readSettings({ PRIVATE_KEY: KEY, WEBHOOK_SECRET: 'x' }))).toBe('SETTINGS_NO_APP_ID');
    expect(codeOf(() => readSettings({ PORT: 'http' }))).toBe('SETTINGS_BAD_PORT');
    expect(codeOf(() => readSettings({ PORT: '70000' }))).toBe('SETTINGS_BAD_PORT');
    expect(codeOf(() => readSettings({ SHUTDOWN_GRACE_SECONDS: 'soon' }))).toBe('SETTINGS_BAD_SHUTDOWN_GRACE');
    expect(codeOf(() => readSettings({ SHUTDOWN_GRACE_SECONDS: '-1' }))).toBe('SETTINGS_BAD_SHUTDOWN_GRACE');
  });

  it('waits 25 s for changes in flight on SIGTERM unless SHUTDOWN_GRACE_SECONDS says otherwise', () => {
    expect(readSettings({}).shutdownGraceMs).toBe(25_000);
    expect(readSettings({ SHUTDOWN_GRACE_SECONDS: '2.5' }).shutdownGraceMs).toBe(2_500);
  });

  it('is local mode without credentials, with a generated secret and the default repo path', () => {
    const s = readSettings({}, '/srv/bot');
    expect(s).toMatchObject({ mode: 'local', port: 3000, host: '127.0.0.1', generatedSecret: true, localConfigRepo: '/srv/bot/.gitops-canary/config-repo' });
    expect(s.webhookSecret).toMatch(/^[0-9a-f]{40}$/);
    expect(readSettings({ WEBHOOK_SECRET: 'mine', PORT: '8080', LOCAL_CONFIG_REPO: '/tmp/cfg' }, '/srv')).toMatchObject({ mode: 'local', webhookSecret: 'mine', generatedSecret: false, port: 8080, localConfigRepo: '/tmp/cfg' });
  });
});
