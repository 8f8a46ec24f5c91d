// What leaves src/git/ is redacted: credentials in URLs (screened for their `@` first)
// and token formats, in messages as long as a sidecar commit's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/git/redact.ts';

describe('redactSecrets', () => {
  it('removes a URL\'s userinfo anywhere in a long message, and leaves one without any as it was', () => {
    const lines = Array.from({ length: 801 }, (_, i) => `- apps/a${i}/deploy.yaml: Deployment a${i} spec.template.spec.containers[1].image log-shipper:3.8.1 -> 9.9.${i}`);
    const plain = lines.join('\n');
    expect(redactSecrets(plain)).toBe(plain);
    const leaked = [...lines.slice(0, 400), 'fetched from https://bot:hunter2hunter2@git.example.com/org/config.git', ...lines.slice(400)].join('\n');
    const out = redactSecrets(leaked);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('https://***@git.example.com/org/config.git');
    expect(redactSecrets('https://x-access-token:ghs_abc@github.com/o/r')).toBe('https://***@github.com/o/r');
  });

  it('leaves no userinfo with a password, whatever the text', () => {
    const userinfo = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^@\s/]+@/i;
    const piece = fc.constantFrom('https://', 'u:', 'p@', '@', ':', '/', ' ', 'x-access-token:', 'host', '\n', 'a');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(userinfo.test(redactSecrets(text))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
