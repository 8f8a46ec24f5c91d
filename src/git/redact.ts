// Secrets must never reach commit messages, logs or error text. Git itself does not print
// the auth header we pass, but stderr can echo remote URLs, and commit subjects are built
// from user input, so everything that leaves src/git/ goes through redactSecrets().

const REDACTED = '***';

// [pattern, replacement, a string every match holds (the text is screened for it first)]
const PATTERNS: Array<[RegExp, string, string?]> = [
  // token embedded in a URL's userinfo, GitHub App style or any user:password pair; the
  // second is scanned from every letter (half the time a sidecar commit's message of 801
  // edits spent here, 1.6 ms), so texts without an `@` are spared it
  [/x-access-token:[^@\s/]*@/gi, `x-access-token:${REDACTED}@`, '@'],
  [/([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^@\s/]+@/gi, `$1${REDACTED}@`, '@'],
  // GitHub token formats: ghp_ (classic PAT), gho_, ghu_, ghs_ (installation), ghr_
  [/\bgh[pousr]_[A-Za-z0-9]{16,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, REDACTED],
  // Slack tokens and webhook URLs end up in configs that people paste into messages
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g, `https://hooks.slack.com/services/${REDACTED}`],
  // an HTTP auth header, e.g. from GIT_TRACE_CURL output or `-c http.extraHeader=...`
  [/(authorization:\s*)(basic|bearer|token)?\s*[A-Za-z0-9+/=._~-]+/gi, `$1${REDACTED}`],
];

/** Replaces anything that looks like a credential, plus each of `secrets` verbatim
 *  (and its base64 forms as used in Basic auth headers). */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of [secret, Buffer.from(`x-access-token:${secret}`).toString('base64')]) {
      out = out.split(form).join(REDACTED);
    }
  }
  for (const [re, replacement, screen] of PATTERNS) {
    if (screen === undefined || out.includes(screen)) out = out.replace(re, replacement);
  }
  return out;
}
