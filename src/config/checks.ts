// Semantic checks the schema runs on single values. Each returns why the value is wrong,
// or undefined; the schema turns that into an issue at the value's path so the loader
// can point at the offending line.
import { BotError } from '../errors.ts';
import { explainCron } from '../rollout/cron.ts';
import { parseDuration } from '../rollout/duration.ts';
import { parseFilter } from '../policy/index.ts';
import { parseImageRef } from '../policy/image.ts';
import { checkTagTemplate } from '../policy/tags.ts';
import { parseFreeze } from '../rollout/freeze.ts';
import { parseWindow, validateTimezone } from '../rollout/window.ts';

function reason(err: unknown): string {
  const msg = err instanceof BotError ? err.detail : err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

function attempt(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return reason(err);
  }
}

export const checkFilter = (s: string) => attempt(() => parseFilter(s));

export function checkImage(s: string): string | undefined {
  try {
    const ref = parseImageRef(s);
    if (ref.tag !== undefined || ref.digest !== undefined) {
      return `image must be a repository without tag or digest (write ${JSON.stringify(ref.repository)}); the tag comes from releases`;
    }
    return undefined;
  } catch (err) {
    return reason(err);
  }
}

export const checkTemplate = (s: string) => attempt(() => checkTagTemplate(s));

export function checkCron(s: string): string | undefined {
  const why = explainCron(s);
  return why === undefined ? undefined : `invalid cron expression ${JSON.stringify(s)}: ${why}`;
}

export const checkDuration = (s: string) => attempt(() => parseDuration(s));

// Windows and freezes are parsed by the same code the scheduler evaluates them with.
export const checkTimezone = (s: string) => attempt(() => validateTimezone(s));
export const checkDays = (s: string) => attempt(() => parseWindow({ days: s }));
export const checkHours = (s: string) => attempt(() => parseWindow({ hours: s }));
export const checkFreeze = (s: string, tz: string) => attempt(() => parseFreeze([s], checkTimezone(tz) === undefined ? tz : 'UTC'));

const SOURCE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export function checkSource(s: string): string | undefined {
  if (!SOURCE.test(s) || /\/\.{1,2}$/.test(s)) return `source must be a GitHub repository "owner/repo", got ${JSON.stringify(s)}`;
  return undefined;
}

/** Git's ref-name rules (git check-ref-format), enough to catch typos before a push fails. */
export function checkBranch(s: string): string | undefined {
  const bad =
    s === '' || s === '@' || /[\s~^:?*[\\]/.test(s) || [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) || s.includes('..') || s.includes('@{') || s.includes('//') ||
    s.startsWith('/') || s.startsWith('-') || s.endsWith('/') || s.endsWith('.') || s.endsWith('.lock') ||
    s.split('/').some((c) => c.startsWith('.'));
  return bad ? `invalid branch name ${JSON.stringify(s)}` : undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkEnvName(s: string): string | undefined {
  if (ENV_NAME.test(s)) return undefined;
  if (/^https?:\/\//i.test(s)) return 'give the name of an environment variable holding the URL, not the URL itself (webhook URLs are secrets)';
  return `invalid environment variable name ${JSON.stringify(s)}`;
}

/** Steps are canary weights: strictly ascending, each 1..100, ending at 100. */
export function checkSteps(steps: number[]): { index?: number; message: string } | undefined {
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] <= steps[i - 1]) return { index: i, message: `steps must be strictly ascending (${steps[i]} follows ${steps[i - 1]})` };
  }
  if (steps.length > 0 && steps[steps.length - 1] !== 100) {
    return { index: steps.length - 1, message: `the last step must be 100 (got ${steps[steps.length - 1]}), or the canary never takes all traffic` };
  }
  return undefined;
}
