// `/canary …` commands, parsed into plain data. Unknown or malformed commands are
// answered with usage, never guessed at.
import type { AbMatch } from '../manifests/types.ts';
import { AB_SYNTAX, parseAbCommand } from '../rollout/ab-match.ts';

export type Command =
  | { verb: 'promote'; app?: string }
  | { verb: 'weight'; app: string; weight: number }
  | { verb: 'pause' | 'resume' | 'rollback' | 'abort'; app: string }
  | { verb: 'ab'; app: string; match: AbMatch | null }
  | { verb: 'status' };

export const CHATOPS_USAGE = [
  '`/canary promote [app]` — next step now (skips the bake time once)',
  '`/canary weight <app> <0-100>` — set the canary weight',
  '`/canary pause <app>` / `/canary resume <app>` — stop or restart scheduled steps',
  '`/canary rollback <app>` — revert the bot\'s last change for the app',
  '`/canary abort <app>` — canary weight to 0',
  '`/canary ab <app> header user-agent ~ .*Firefox.*` — send matching requests to the canary (`~` regex, `=` exact, `^=` prefix; `header`, `query` or `cookie`); `/canary ab <app> off` removes it',
  '`/canary status` — tags, weights and rollout state of every app',
].join('\n');

export type Parsed = { ok: true; command: Command } | { ok: false; error: string } | null;

/** The first line starting with `/canary` in a comment, or null when there is none. */
export function parseCommand(body: string): Parsed {
  const line = body.split(/\r?\n/).map((l) => l.trim()).find((l) => /^\/canary(\s|$)/.test(l));
  if (!line) return null;
  const [, verb, ...args] = line.split(/\s+/);
  const need = (n: number) => args.length === n;
  switch (verb) {
    case 'status':
      return need(0) ? { ok: true, command: { verb } } : { ok: false, error: '`/canary status` takes no arguments' };
    case 'promote':
      return args.length <= 1 ? { ok: true, command: { verb, app: args[0] } } : { ok: false, error: '`/canary promote [app]` takes at most one app' };
    case 'weight': {
      if (!need(2) || !/^\d{1,3}$/.test(args[1]) || Number(args[1]) > 100) return { ok: false, error: '`/canary weight <app> <n>` needs an app and a whole number from 0 to 100' };
      return { ok: true, command: { verb, app: args[0], weight: Number(args[1]) } };
    }
    case 'ab': {
      // the condition is the rest of the line as written: a regex may hold spaces
      const m = /^\/canary\s+ab\s+(\S+)\s+(\S.*)$/.exec(line);
      if (!m) return { ok: false, error: `\`/canary ab <app> …\` needs an app and ${AB_SYNTAX}` };
      const spec = parseAbCommand(m[2]);
      return spec.ok ? { ok: true, command: { verb, app: m[1], match: spec.match } } : { ok: false, error: `\`/canary ab\`: ${spec.error}` };
    }
    case 'pause':
    case 'resume':
    case 'rollback':
    case 'abort':
      return need(1) ? { ok: true, command: { verb, app: args[0] } } : { ok: false, error: `\`/canary ${verb} <app>\` needs exactly one app` };
    default:
      return { ok: false, error: verb ? `unknown command \`${verb}\`` : 'missing command' };
  }
}
