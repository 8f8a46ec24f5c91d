// What every handler gets: the bot's services and a way to turn a Probot context into
// the scope (forge, token, config repos) of its installation.
import type { Context } from 'probot';
import type { BotDeps, Scope } from '../bot/types.ts';

export interface Runtime {
  deps: BotDeps;
  scopeFor(context: Context): Scope;
}
