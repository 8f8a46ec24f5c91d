// A small error hierarchy. Messages say what failed, on which object and where, so the
// CLI can print them on one line and the app can put them in a PR comment unchanged.

export interface Location {
  file?: string;
  line?: number;
  object?: string;
  field?: string;
}

export class BotError extends Error {
  readonly code: string;
  readonly location: Location;
  /** Transient failures (push rejected, 5xx, timeouts) may be retried; nothing else is. */
  readonly transient: boolean;
  /** The message without its location, for callers that place it themselves. */
  readonly detail: string;

  constructor(code: string, message: string, location: Location = {}, opts: { transient?: boolean; cause?: unknown } = {}) {
    super(formatMessage(message, location), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = message;
    this.location = location;
    this.transient = opts.transient ?? false;
  }
}

export class ConfigError extends BotError {}
export class PolicyError extends BotError {}
export class ParseError extends BotError {}
export class EditError extends BotError {}
export class GitError extends BotError {}
export class ForgeError extends BotError {}
export class NotifyError extends BotError {}
export class UsageError extends BotError {}

/** A container registry failed or refused. `registry` is the host asked and `why` the
 *  cause alone, for messages that name the image and registry themselves. */
export class RegistryError extends BotError {
  readonly registry: string;
  readonly why: string;

  constructor(code: string, what: string, registry: string, why: string, opts: { transient?: boolean; cause?: unknown } = {}) {
    super(code, `${what} from registry ${registry}: ${why}`, {}, opts);
    this.registry = registry;
    this.why = why;
  }
}

export function formatMessage(message: string, loc: Location): string {
  const where = [loc.file && (loc.line ? `${loc.file}:${loc.line}` : loc.file), loc.object, loc.field].filter(Boolean).join(' ');
  return where ? `${where}: ${message}` : message;
}
