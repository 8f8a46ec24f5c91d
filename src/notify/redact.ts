// Notifications leave the cluster's trust boundary (Slack, arbitrary webhooks), and the
// strings in them often come from git or HTTP error messages, which can echo clone URLs
// with installation tokens. Everything sent goes through redact() first.

const MASK = '[REDACTED]';

// Token patterns have no leading word boundary on purpose: over-masking a word that
// happens to contain "ghs_" is harmless, missing a token glued to other text is not.
// Order matters: the URL-shaped patterns run before the bare-token ones so a token inside
// a URL is removed together with its credentials part.
const PATTERNS: Array<[RegExp, string]> = [
  // https://x-access-token:TOKEN@github.com/... and any other user:password@ in a URL
  [/x-access-token:[^@\s/]+@/gi, `x-access-token:${MASK}@`],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:(?!\[REDACTED\]@)[^@\s/]+@/gi, `$1${MASK}@`],
  // Slack incoming webhooks / workflow triggers: the path is the credential
  [/https:\/\/hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/[^\s"'<>|)]+/gi, `https://hooks.slack.com/${MASK}`],
  // GitHub tokens: classic PAT, OAuth, user-to-server, server-to-server, refresh, fine-grained PAT
  [/gh[pousr]_[A-Za-z0-9_]+/g, MASK],
  [/github_pat_[A-Za-z0-9_]+/g, MASK],
  // Slack tokens: bot, user, app-level, config/refresh
  [/xox[abposre]-[A-Za-z0-9-]+/g, MASK],
  [/xapp-[A-Za-z0-9-]+/g, MASK],
  // Authorization headers echoed in error text
  [/\b(Bearer|token)\s+[A-Za-z0-9._~+/-]{16,}=*/g, `$1 ${MASK}`],
];

/** Removes known token shapes and every string in `secrets` (e.g. the configured webhook
 *  URLs, which are credentials themselves). */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secretVariants(secrets)) out = out.split(secret).join(MASK);
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Applies redact() to every string inside plain data (objects, arrays), returning a copy. */
export function redactDeep<T>(value: T, secrets: readonly string[] = []): T {
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => walk(v, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, secrets);
    return out;
  }
  return value;
}

// A URL may reappear percent-encoded or without its query, and error messages from fetch
// sometimes print only the path; mask each form. Longest first so a shorter variant does
// not break up a longer match.
function secretVariants(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 8) continue;
    out.add(s);
    try {
      const u = new URL(s);
      out.add(u.href);
      const pathAndQuery = `${u.pathname}${u.search}`;
      // A bare "/" or a short path like "/hook" is not a secret and masking it would
      // mangle unrelated text.
      if (pathAndQuery.length >= 12) out.add(pathAndQuery);
      out.add(encodeURIComponent(s));
    } catch {
      // not a URL: the literal string is all we can mask
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}
