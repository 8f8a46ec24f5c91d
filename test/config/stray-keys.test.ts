// Every schema problem in one report; a stray key is named as such and explains the
// "required" it causes instead of being hidden behind it.
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.ts';

function messages(text: string): string[] {
  try {
    parseConfig(text);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.issues.map((i) => `${i.file}:${i.line} ${i.field}: ${i.message}`);
    throw err;
  }
  throw new Error('expected parseConfig to throw');
}

const CONFIG = `apps:
  podinfo:
    image: ghcr.io/example/podinfo
    source: example/podinfo
    tracks:
      stable: { filter: "semver:0.1.*", paths: [a.yaml] }
      canary: { fliter: "semver:0.2.*", paths: [b.yaml] }
    delivery: pul-request
    analysis: loose
`;

describe('config validation reports every problem', () => {
  it('a misspelt key, the required key it hides, a near enum value and a far one', () => {
    expect(messages(CONFIG)).toEqual([
      '.github/gitops-canary.yml:7 apps.podinfo.tracks.canary.fliter: unknown key "fliter" (did you mean "filter"?)',
      '.github/gitops-canary.yml:7 apps.podinfo.tracks.canary.filter: required: expected a string (probably misspelt as "fliter")',
      '.github/gitops-canary.yml:8 apps.podinfo.delivery: Invalid option: expected one of "pull-request"|"commit", got "pul-request" (did you mean "pull-request"?)',
      '.github/gitops-canary.yml:9 apps.podinfo.analysis: Invalid option: expected one of "strict"|"warn", got "loose"',
    ]);
  });

  it('analysis defaults to strict and accepts warn', () => {
    const ok = CONFIG.replace('fliter', 'filter').replace('pul-request', 'commit');
    expect(parseConfig(ok.replace('    analysis: loose\n', '')).apps.podinfo.analysis).toBe('strict');
    expect(parseConfig(ok.replace('loose', 'warn')).apps.podinfo.analysis).toBe('warn');
  });
});
