// GitHub signs each delivery with HMAC-SHA256 of the raw body under the webhook secret
// (X-Hub-Signature-256: sha256=<hex>). Compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function checkSignature(secret: string, body: Buffer, header: string | string[] | undefined): SignatureCheck {
  if (header === undefined) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  if (Array.isArray(header) || !/^sha256=[0-9a-f]{64}$/i.test(header)) return { ok: false, reason: 'malformed X-Hub-Signature-256 header' };
  const want = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(header.slice('sha256='.length), 'hex');
  return timingSafeEqual(want, got) ? { ok: true } : { ok: false, reason: 'signature does not match the body and the webhook secret' };
}

export function sign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
