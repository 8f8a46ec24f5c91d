// The bot's commit trailers are its only memory: rollback, pause and the scheduler read
// them back from `git log`. They are written as the last paragraph of the message, one
// `Gitops-Canary-<Key>: <value>` per line, which is what `git interpret-trailers` and
// GitHub's squash-merge both preserve.
import { GitError } from '../errors.ts';
import type { Trailers } from '../plan.ts';
import { redactSecrets } from './redact.ts';

export const TRAILER_PREFIX = 'Gitops-Canary-';

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const TRAILER_LINE_RE = /^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$/;

export interface MessageParts {
  subject: string;
  body?: string;
  trailers: Trailers;
}

/** Builds a full commit message. Keys are given without the prefix (`App`, `Tag`; an
 *  already prefixed key is accepted too); keys with an empty value are left out.
 *  Throws GitError GIT_BAD_TRAILER for a malformed key or a multi-line value. */
export function formatMessage({ subject, body, trailers }: MessageParts): string {
  // The subject is human text from a plan title; fold it rather than fail on it.
  const oneLine = redactSecrets(subject).replace(/\s+/g, ' ').trim();
  if (!oneLine) throw new GitError('GIT_BAD_MESSAGE', 'commit subject is empty');

  const paragraphs = [oneLine];
  const cleanBody = body === undefined ? '' : normalizeBody(redactSecrets(body));
  if (cleanBody) paragraphs.push(cleanBody);

  const lines: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(trailers)) {
    const key = stripPrefix(rawKey);
    if (!KEY_RE.test(key)) {
      throw new GitError('GIT_BAD_TRAILER', `trailer key ${JSON.stringify(rawKey)} must be letters, digits and dashes`, { field: rawKey });
    }
    const value = String(rawValue ?? '');
    if (/[\r\n]/.test(value)) {
      throw new GitError('GIT_BAD_TRAILER', `trailer ${key} must be a single line, got ${JSON.stringify(value)}`, { field: key });
    }
    const clean = redactSecrets(value).trim();
    if (clean === '') continue;
    lines.push(`${TRAILER_PREFIX}${key}: ${clean}`);
  }
  if (lines.length) paragraphs.push(lines.join('\n'));
  return `${paragraphs.join('\n\n')}\n`;
}

/** Reads the Gitops-Canary- trailers (prefix stripped) from the message's last
 *  paragraph, following git's rules: the paragraph must not be the subject, and at
 *  least a quarter of its lines must be trailers. Continuation lines (leading
 *  whitespace) are folded into the previous value. A repeated key keeps the last value. */
export function parseTrailers(message: string): Trailers {
  const paragraphs = message
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/^\n+|\n+$/g, ''))
    .filter((p) => p.trim() !== '');
  if (paragraphs.length < 2) return {};
  const lines = paragraphs[paragraphs.length - 1].split('\n').filter((l) => !l.startsWith('#'));

  const entries: Array<[string, string]> = [];
  let trailerLines = 0;
  let otherLines = 0;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && entries.length) {
      const last = entries[entries.length - 1];
      last[1] = `${last[1]} ${line.trim()}`.trim();
      continue;
    }
    const m = TRAILER_LINE_RE.exec(line);
    if (m) {
      trailerLines++;
      entries.push([m[1], m[2].trim()]);
    } else {
      otherLines++;
      // a non-trailer line ends any continuation
      entries.push(['', '']);
    }
  }
  if (trailerLines === 0 || trailerLines * 4 < trailerLines + otherLines) return {};

  const out: Trailers = {};
  for (const [key, value] of entries) {
    if (key.length > TRAILER_PREFIX.length && key.toLowerCase().startsWith(TRAILER_PREFIX.toLowerCase())) {
      out[key.slice(TRAILER_PREFIX.length)] = value;
    }
  }
  return out;
}

/** Case-insensitive trailer lookup; git treats trailer keys case-insensitively. */
export function getTrailer(trailers: Trailers, key: string): string | undefined {
  const want = stripPrefix(key).toLowerCase();
  let found: string | undefined;
  for (const [k, v] of Object.entries(trailers)) if (k.toLowerCase() === want) found = v;
  return found;
}

function stripPrefix(key: string): string {
  return key.toLowerCase().startsWith(TRAILER_PREFIX.toLowerCase()) ? key.slice(TRAILER_PREFIX.length) : key;
}

function normalizeBody(body: string): string {
  return body
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\n+$/g, '');
}
