import { describe, expect, it } from 'vitest';
import { GitError } from '../../src/errors.ts';
import { redactSecrets } from '../../src/git/redact.ts';
import { formatMessage, getTrailer, parseTrailers } from '../../src/git/trailers.ts';

const trailers = {
  App: 'podinfo',
  Track: 'prod',
  Action: 'release',
  Tag: '6.5.1',
  'Old-Tag': '6.5.0',
  Weights: 'stable=90,canary=10',
  Step: '1/3',
};

describe('formatMessage / parseTrailers', () => {
  it('writes prefixed trailers as the last paragraph and reads them back', () => {
    const msg = formatMessage({ subject: 'Release podinfo 6.5.1 to prod', body: 'Canary at 10%.\n\nNext step in 10m.', trailers });
    expect(msg).toBe(
      'Release podinfo 6.5.1 to prod\n\nCanary at 10%.\n\nNext step in 10m.\n\n' +
        'Gitops-Canary-App: podinfo\nGitops-Canary-Track: prod\nGitops-Canary-Action: release\n' +
        'Gitops-Canary-Tag: 6.5.1\nGitops-Canary-Old-Tag: 6.5.0\nGitops-Canary-Weights: stable=90,canary=10\n' +
        'Gitops-Canary-Step: 1/3\n',
    );
    expect(parseTrailers(msg)).toEqual(trailers);
  });

  it('works without a body and accepts already prefixed keys', () => {
    const msg = formatMessage({ subject: 'Pause podinfo', trailers: { 'Gitops-Canary-App': 'podinfo', Paused: 'true' } });
    expect(msg).toBe('Pause podinfo\n\nGitops-Canary-App: podinfo\nGitops-Canary-Paused: true\n');
    expect(parseTrailers(msg)).toEqual({ App: 'podinfo', Paused: 'true' });
  });

  it('rejects multi-line values and malformed keys, leaves out empty values', () => {
    expect(() => formatMessage({ subject: 's', trailers: { App: 'a\nGitops-Canary-Action: rollback' } })).toThrow(GitError);
    expect(() => formatMessage({ subject: 's', trailers: { App: 'a\r' } })).toThrow(/single line/);
    expect(() => formatMessage({ subject: 's', trailers: { 'Bad Key': 'x' } })).toThrow(/trailer key/);
    expect(formatMessage({ subject: 's', trailers: { App: 'a', Hold: '' } })).toBe('s\n\nGitops-Canary-App: a\n');
  });

  it('folds a multi-line subject and rejects an empty one', () => {
    expect(formatMessage({ subject: 'Release\n podinfo', trailers: {} })).toBe('Release podinfo\n');
    expect(() => formatMessage({ subject: ' \n ', trailers: {} })).toThrow(/subject is empty/);
  });

  it('only reads the last paragraph, and only our prefix', () => {
    const msg = 'Subject\n\nGitops-Canary-App: wrong\n\nSome prose here.\n\nSigned-off-by: A <a@x>\nGitops-Canary-App: right\n';
    expect(parseTrailers(msg)).toEqual({ App: 'right' });
    expect(parseTrailers('Gitops-Canary-App: subject-only\n')).toEqual({});
    expect(parseTrailers('Subject\n\nJust prose, Gitops-Canary-App: no\nmore prose\nand more\nstill prose\n')).toEqual({});
  });

  it('handles CRLF messages, continuation lines and case-insensitive lookup', () => {
    const msg = 'S\r\n\r\nGitops-Canary-App: podinfo\r\nGitops-Canary-Weights: stable=90,\r\n  canary=10\r\n';
    const t = parseTrailers(msg);
    expect(t).toEqual({ App: 'podinfo', Weights: 'stable=90, canary=10' });
    expect(getTrailer(t, 'app')).toBe('podinfo');
    expect(getTrailer(t, 'Gitops-Canary-APP')).toBe('podinfo');
    expect(getTrailer(t, 'Tag')).toBeUndefined();
  });

  it('strips tokens from subject, body and trailer values', () => {
    const ghs = 'ghs_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    const msg = formatMessage({
      subject: `Sync from https://x-access-token:${ghs}@github.com/o/r.git`,
      body: `token ghp_${'z'.repeat(36)} leaked\nAuthorization: Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0`,
      trailers: { App: 'a', Delivery: `d ${ghs}` },
    });
    expect(msg).not.toContain(ghs);
    expect(msg).not.toContain('ghp_z');
    expect(msg).not.toContain('eC1hY2Nlc3MtdG9rZW46c2VjcmV0');
    expect(msg).toContain('https://***@github.com/o/r.git');
  });
});

describe('redactSecrets', () => {
  it('removes explicit secrets and their basic-auth form', () => {
    const secret = 'plain-secret-value';
    const b64 = Buffer.from(`x-access-token:${secret}`).toString('base64');
    expect(redactSecrets(`a ${secret} b ${b64} c`, [secret])).toBe('a *** b *** c');
    expect(redactSecrets('https://user:pw@example.com/x.git')).toBe('https://***@example.com/x.git');
    expect(redactSecrets('https://hooks.slack.com/services/T000/B000/XXXX')).toBe('https://hooks.slack.com/services/***');
  });
});
