// The distribution registry's own notifications (`notifications.endpoints`), pointed at
// the bot's intake as an operator would: a real `skopeo` push makes the registry POST its
// envelope, the intake verifies the token and hands over the pushed image. A registry
// configured with the wrong token is refused.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listener } from '../../src/intake/http.ts';
import type { RegistryPush } from '../../src/intake/registry-hooks.ts';
import { intakeConfig, startInline } from '../../src/intake/start.ts';
import { push, startRegistry, type RegistryServer } from '../helpers/distribution-registry.ts';
import { writeOciLayout, type OciLayout } from '../helpers/oci-layout.ts';

const TOKEN = 'registry-notify-token';
let intake: Listener;
let layoutDir: string;
let layout: OciLayout;
const pushes: RegistryPush[] = [];
const refused: object[] = [];
const registries: RegistryServer[] = [];

beforeAll(async () => {
  const log = { info() {}, warn: (obj: object) => void refused.push(obj) };
  intake = await startInline(intakeConfig({ port: 0, host: '127.0.0.1', mode: 'local', webhookSecret: 'unused', registryWebhookToken: TOKEN }), async () => ({ status: 'done' }), log, { onPush: (_kind, p) => void pushes.push(...p) });
  layoutDir = await mkdtemp(path.join(tmpdir(), 'notify-layout-'));
  layout = await writeOciLayout(layoutDir);
}, 60_000);

afterAll(async () => {
  for (const r of registries) await r.stop();
  await intake?.close();
  await rm(layoutDir, { recursive: true, force: true });
});

async function until<T>(probe: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting for the registry notification');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('distribution registry notifications', () => {
  it('a push reaches the intake as the image and tag pushed', async () => {
    const reg = await startRegistry('htpasswd', { notify: { url: `http://127.0.0.1:${intake.port}/api/registry/distribution`, token: TOKEN } });
    registries.push(reg);
    await push(layout.dir, layout.single.ref, `${reg.host}/example/podinfo`, '0.2.7');
    const got = await until(() => pushes.find((p) => p.tag === '0.2.7'));
    expect(got).toEqual({ image: `${reg.host}/example/podinfo`, tag: '0.2.7' });
  }, 60_000);

  it('a registry sending the wrong token is refused, and nothing is handed over', async () => {
    const before = pushes.length;
    const reg = await startRegistry('htpasswd', { notify: { url: `http://127.0.0.1:${intake.port}/api/registry/distribution`, token: 'not-the-token' } });
    registries.push(reg);
    await push(layout.dir, layout.single.ref, `${reg.host}/example/other`, '9.9.9');
    await until(() => (refused.length ? true : undefined));
    expect(refused[0]).toMatchObject({ hook: 'distribution', status: 401 });
    expect(pushes.length).toBe(before);
  }, 60_000);
});
