// The JSON Schema published for editors (yaml-language-server) and CI linting of the
// config file. Generated from the zod schema so the two cannot drift; semantic checks
// (filters, cron, paths) are only in the bot.
import { configJsonSchema as fromZod } from './schema.ts';

export function configJsonSchema(): Record<string, unknown> {
  return fromZod();
}

/** The file contents of schema/gitops-canary.schema.json: pretty, newline-terminated. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
