import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactDeep } from '../../src/notify/redact.ts';

const GHS = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';

describe('redact', () => {
  it.each([
    ['installation token', `token ${GHS} expired`, GHS],
    ['classic PAT', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abc'],
    ['fine-grained PAT', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'github_pat_11'],
    ['clone URL credentials', `fatal: unable to access 'https://x-access-token:${GHS}@github.com/org/config.git/'`, GHS],
    ['basic auth in URL', 'https://bot:hunter2hunter2@git.example.com/org/config.git', 'hunter2'],
    ['Slack bot token', 'xoxb-1234-5678-abcdefABCDEF', 'xoxb-1234'],
    ['Slack user token', 'xoxp-1234-5678-abcdef', '1234-5678'],
    ['Slack app token', 'xapp-1-A0123-4567-abcdef', 'A0123'],
    ['Slack webhook URL', 'posting to https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXX failed', 'T0001/B0002'],
    ['bearer header', 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnop'],
  ])('removes a %s', (_name, input, secret) => {
    const out = redact(input);
    expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
  });

  it('removes configured URLs, including their path on its own', () => {
    const url = 'http://127.0.0.1:8080/hooks/tenant/0a1b2c3d4e5f';
    const out = redact(`POST ${url} failed; retrying /hooks/tenant/0a1b2c3d4e5f`, [url]);
    expect(out).not.toContain('0a1b2c3d4e5f');
    expect(out).toBe('POST [REDACTED] failed; retrying [REDACTED]');
  });

  it('leaves ordinary text alone', () => {
    const text = 'podinfo canary 0.2.0 → 0.2.1: PR opened (#12) https://github.com/org/config/pull/12';
    expect(redact(text, ['http://127.0.0.1:9/'])).toBe(text);
  });

  it('never lets a token through, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^[A-Za-z0-9]{20,40}$/), fc.string(), fc.constantFrom('ghs_', 'ghp_', 'gho_', 'github_pat_'), (pre, body, post, prefix) => {
        expect(redact(`${pre}${prefix}${body}${post}`)).not.toContain(`${prefix}${body}`);
      }),
    );
  });

  it('redacts every string in nested data and keeps other values', () => {
    const input = { a: [`x ${GHS}`, 3, null], b: { c: true, d: 'fine' } };
    expect(redactDeep(input)).toEqual({ a: ['x [REDACTED]', 3, null], b: { c: true, d: 'fine' } });
    expect(input.a[0]).toContain(GHS);
  });
});
