// Teams and Discord through the same dispatcher as Slack, against a real HTTP server on
// loopback: the body each service expects, mentions off, and the shared retry policy.

import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/notify/delivery.ts';
import { DiscordNotifier } from '../../src/notify/discord.ts';
import { Dispatcher } from '../../src/notify/dispatch.ts';
import { notifiersFromEnv } from '../../src/notify/registry.ts';
import { TeamsNotifier } from '../../src/notify/teams.ts';
import { notice } from './fixtures.ts';
import { recordingLogger, startServer, type Reply, type TestServer } from './server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function target(reply?: (i: number) => Reply, path = '/workflows/abc/triggers/manual/paths/invoke?sig=SECRETsig123'): Promise<TestServer> {
  server = await startServer(reply, path);
  return server;
}

describe('TeamsNotifier', () => {
  it('posts one Adaptive Card with the facts, the plan and a link action', async () => {
    const s = await target(() => ({ status: 202 }));
    await new TeamsNotifier(s.url).send(notice({ kind: 'weight-changed' }));
    const body = JSON.parse(s.requests[0].body);
    expect(body.type).toBe('message');
    expect(body.summary).toContain('podinfo canary 0.2.0 → 0.2.1: canary weight changed');
    const att = body.attachments[0];
    expect(att.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const c = att.content;
    expect(c.type).toBe('AdaptiveCard');
    expect(c.body[0].text).toBe('podinfo (canary): canary weight changed');
    const facts = Object.fromEntries(c.body[1].facts.map((f: { title: string; value: string }) => [f.title, f.value]));
    expect(facts).toMatchObject({ App: 'podinfo', Track: 'canary', Tag: '0.2.0 → 0.2.1', Repository: 'org/config', By: 'alice' });
    expect(facts.Weights).toContain('canary 0% → 10%, stable 100% → 90%');
    const texts = c.body.map((b: { text?: string }) => b.text).filter(Boolean);
    expect(texts).toContain('release podinfo 0.2.1 to canary');
    expect(texts).toContain('apps/podinfo/deploy-0.yaml Deployment/web/podinfo-0 spec.template.spec.containers[podinfo].image: ghcr.io/org/podinfo:0.2.0 → ghcr.io/org/podinfo:0.2.1');
    expect(c.actions).toEqual([{ type: 'Action.OpenUrl', title: 'org/config#12', url: 'https://github.com/org/config/pull/12' }]);
  });

  it('keeps its URL out of the card and out of errors', async () => {
    const s = await target(() => ({ status: 400, body: 'bad request' }));
    const err = (await new TeamsNotifier(s.url).send(notice({ kind: 'failed', error: `push to ${s.url} failed` })).catch((e: unknown) => e)) as DeliveryError;
    expect(s.requests[0].body).not.toContain('SECRETsig123');
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.transient).toBe(false);
    expect(err.message).not.toContain('SECRETsig123');
  });
});

describe('DiscordNotifier', () => {
  it('posts one embed with mentions switched off', async () => {
    const s = await target(() => ({ status: 204 }), '/api/webhooks/123/SECRETtoken');
    await new DiscordNotifier(s.url).send(notice({ kind: 'rolled-back', tag: '@everyone' }));
    const body = JSON.parse(s.requests[0].body);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content).toContain('podinfo canary 0.2.0 → @everyone: rolled back');
    const e = body.embeds[0];
    expect(e.title).toBe('podinfo (canary): rolled back');
    expect(e.url).toBe('https://github.com/org/config/pull/12');
    expect(e.color).toBe(0xe01e5a);
    expect(e.fields.find((f: { name: string }) => f.name === 'Tag').value).toBe('0.2.0 → @everyone');
    expect(e.description).toContain('**release podinfo 0.2.1 to canary**');
  });

  it('truncates to Discord limits rather than being refused', async () => {
    const s = await target(() => ({ status: 204 }), '/api/webhooks/123/SECRETtoken');
    await new DiscordNotifier(s.url).send(notice({ kind: 'failed', error: 'x'.repeat(10_000), app: 'a'.repeat(400) }));
    const body = JSON.parse(s.requests[0].body);
    expect(body.content.length).toBeLessThanOrEqual(2000);
    expect(body.embeds[0].title.length).toBeLessThanOrEqual(256);
    expect(body.embeds[0].description.length).toBeLessThanOrEqual(4096);
    for (const f of body.embeds[0].fields) expect(f.value.length).toBeLessThanOrEqual(1024);
  });

  it('retries a 429 after the wait Discord states in its body, then delivers', async () => {
    const s = await target((i) => (i === 0 ? { status: 429, body: '{"message":"You are being rate limited.","retry_after":0.2,"global":false}' } : { status: 204 }), '/api/webhooks/1/T');
    const waits: number[] = [];
    const log = recordingLogger();
    const d = new Dispatcher([new DiscordNotifier(s.url)], {
      log,
      sleep: async (ms: number) => {
        waits.push(ms);
      },
    });
    d.notify(notice());
    await d.flush();
    expect(s.requests).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
  });
});

describe('notifiersFromEnv', () => {
  it('builds Teams and Discord from their global variables and per-app names', () => {
    const env = { TEAMS_WEBHOOK_URL: 'https://example.webhook.office.com/x', DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/t', DISCORD_PODINFO: 'https://discord.com/api/webhooks/2/u' };
    expect(notifiersFromEnv(env).notifiers.map((n) => n.name)).toEqual(['teams', 'discord']);
    const perApp = notifiersFromEnv(env, { discord: 'DISCORD_PODINFO', teams: 'TEAMS_MISSING' }, { app: 'podinfo' });
    expect(perApp.notifiers.map((n) => n.name)).toEqual(['discord']);
    expect(perApp.problems).toHaveLength(1);
    expect(perApp.problems[0].message).toContain('environment variable TEAMS_MISSING is not set; teams notifications for this app are disabled');
  });
});
