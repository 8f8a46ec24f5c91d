// Handlers never throw into Probot: its error handler would log the whole event,
// payload included. A failure is logged here on one line and remembered for the intake,
// which answers the delivery 500 without any internal text.
import type { Context } from 'probot';
import { BotError } from '../errors.ts';

const failed = new WeakSet<object>();

export function guard<C extends Context>(handler: (context: C) => Promise<void>): (context: C) => Promise<void> {
  return async (context) => {
    try {
      await handler(context);
    } catch (err) {
      failed.add(context.payload as object);
      const known = err instanceof BotError;
      context.log.error(
        { delivery: context.id, event: context.name, code: known ? err.code : undefined, err: (err as Error)?.message, stack: known ? undefined : (err as Error)?.stack },
        'handling the delivery failed',
      );
    }
  };
}

/** True when a handler failed on this payload object. */
export function handlerFailed(payload: object): boolean {
  return failed.has(payload);
}
