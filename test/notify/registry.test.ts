import { describe, expect, it } from 'vitest';
import { NotifyError } from '../../src/errors.ts';
import { isRetryableStatus, parseRetryAfter } from '../../src/notify/delivery.ts';
import { NoopNotifier } from '../../src/notify/noop.ts';
import { createNotifier, NOTIFIER_KINDS, notifiersFromEnv } from '../../src/notify/registry.ts';
import { SlackNotifier } from '../../src/notify/slack.ts';
import { WebhookNotifier } from '../../src/notify/webhook.ts';
import { notice } from './fixtures.ts';

const SLACK = 'https://hooks.slack.com/services/T1/B1/global';
const HOOK = 'https://events.example.com/in/abc';

describe('createNotifier', () => {
  it('builds each registered kind', async () => {
    expect(NOTIFIER_KINDS).toEqual(['slack', 'teams', 'discord', 'webhook', 'noop']);
    expect(createNotifier('slack', SLACK)).toBeInstanceOf(SlackNotifier);
    expect(createNotifier('webhook', HOOK)).toBeInstanceOf(WebhookNotifier);
    const noop = createNotifier('noop');
    expect(noop).toBeInstanceOf(NoopNotifier);
    expect(noop.name).toBe('noop');
    await expect(noop.send(notice())).resolves.toBeUndefined();
  });

  it('rejects an unknown kind with NOTIFY_UNKNOWN_KIND', () => {
    const err = (() => {
      try {
        createNotifier('mattermost', HOOK);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NotifyError);
    expect((err as NotifyError).code).toBe('NOTIFY_UNKNOWN_KIND');
    expect((err as NotifyError).message).toContain('unknown notifier kind "mattermost"; expected one of slack, teams, discord, webhook, noop');
    expect(() => createNotifier('toString')).toThrow(/unknown notifier kind/);
  });

  it('requires an http(s) URL for HTTP kinds without echoing it', () => {
    expect(() => createNotifier('slack')).toThrow(expect.objectContaining({ code: 'NOTIFY_URL_REQUIRED' }));
    expect(() => createNotifier('webhook', 'ftp://secret-host/x')).toThrow(expect.objectContaining({ code: 'NOTIFY_BAD_URL' }));
    expect(() => createNotifier('webhook', 'ftp://secret-host/x')).not.toThrow(/secret-host/);
  });
});

describe('notifiersFromEnv', () => {
  it('uses the global variables when the app names none', () => {
    const { notifiers, problems } = notifiersFromEnv({ SLACK_WEBHOOK_URL: SLACK, NOTIFY_WEBHOOK_URL: HOOK });
    expect(notifiers.map((n) => n.name)).toEqual(['slack', 'webhook']);
    expect(problems).toEqual([]);
  });

  it('returns nothing when nothing is configured', () => {
    expect(notifiersFromEnv({})).toEqual({ notifiers: [], problems: [] });
    expect(notifiersFromEnv({ SLACK_WEBHOOK_URL: '  ' }).notifiers).toEqual([]);
  });

  it('prefers the variable the app names over the global one', async () => {
    const env = { SLACK_WEBHOOK_URL: SLACK, PODINFO_SLACK: 'https://hooks.slack.com/services/T2/B2/app' };
    const { notifiers, problems } = notifiersFromEnv(env, { slack: 'PODINFO_SLACK' }, { app: 'podinfo' });
    expect(problems).toEqual([]);
    expect(notifiers).toHaveLength(1);
    expect(notifiers[0].name).toBe('slack');
  });

  it('reports a missing per-app variable as a problem naming app, field and variable', () => {
    const { notifiers, problems } = notifiersFromEnv({ NOTIFY_WEBHOOK_URL: HOOK }, { slack: 'PODINFO_SLACK' }, { app: 'podinfo', file: '.gitops-canary.yaml' });
    expect(notifiers.map((n) => n.name)).toEqual(['webhook']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(NotifyError);
    expect(problems[0].code).toBe('NOTIFY_ENV_MISSING');
    expect(problems[0].message).toBe('.gitops-canary.yaml app podinfo notify.slack: environment variable PODINFO_SLACK is not set; slack notifications for this app are disabled');
  });

  it('reports a URL put where a variable name belongs, and a malformed URL, without echoing values', () => {
    const { notifiers, problems } = notifiersFromEnv({ BAD: 'not a url ghs_secretsecret' }, { slack: SLACK, webhook: 'BAD' }, { app: 'api' });
    expect(notifiers).toEqual([]);
    expect(problems.map((p) => p.code)).toEqual(['NOTIFY_BAD_ENV_NAME', 'NOTIFY_BAD_URL']);
    expect(problems[1].message).toContain('environment variable BAD does not hold an http(s) URL');
    expect(problems[1].message).not.toContain('secret');
  });
});

describe('retry classification', () => {
  it('retries 408, 429 and 5xx only', () => {
    expect([400, 401, 403, 404, 408, 410, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([408, 429, 500, 502, 503]);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 08:00:00 GMT'))).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
