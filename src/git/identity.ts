// Who a person's commit is by. The CLI commits as the person running it, with the identity
// git itself would give a commit they typed: GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL, then
// author.name / author.email, then user.name / user.email (repository, global or system
// config), and $EMAIL for the address. Unlike git, nothing is guessed from the host name: a
// made-up address on a config repo's history is worse than the bot's own name.
import type { Trailers } from '../plan.ts';
import { type ConfigSnapshot, readConfigSnapshot } from './config-snapshot.ts';
import { type Author, GitRunner } from './exec.ts';
import { TRAILER_PREFIX, parseTrailers } from './trailers.ts';

export interface Identity {
  /** Who the commit is by. */
  author: Author;
  /** user.name / user.email for git to see: the config's own, else the author's, so that
   *  git, which picks author and committer itself (the environment first), never has to
   *  guess a committer from the host. */
  user: Author;
}

/** The identity git would author a commit in `dir` with, or null when it names nobody.
 *  `config`: the checkout's keys as read at start (readConfigSnapshot), else read here. */
export async function gitIdentity(dir: string, env: NodeJS.ProcessEnv = process.env, config?: ConfigSnapshot): Promise<Identity | null> {
  const keys = config ?? (await readConfigSnapshot(new GitRunner({ cwd: dir, userConfig: true })));
  const value = (key: string) => keys.get(key) ?? undefined;
  const pick = (...values: Array<string | undefined>) => values.map((v) => v?.trim()).find((v) => v) ?? '';
  const name = pick(env.GIT_AUTHOR_NAME, value('author.name'), value('user.name'));
  const email = pick(env.GIT_AUTHOR_EMAIL, value('author.email'), value('user.email'), env.EMAIL);
  if (!name || !email) return null;
  return { author: { name, email }, user: { name: pick(value('user.name'), name), email: pick(value('user.email'), email) } };
}

/** `message` (as formatMessage writes it) with `extra` added to its trailer paragraph. */
export function withTrailers(message: string, extra: Trailers): string {
  const lines = Object.entries(extra)
    .filter(([, v]) => v.trim() !== '')
    .map(([k, v]) => `${TRAILER_PREFIX}${k}: ${v.replace(/\s+/g, ' ').trim()}`);
  if (lines.length === 0) return message;
  const text = message.replace(/\n+$/, '');
  const joiner = Object.keys(parseTrailers(text)).length > 0 ? '\n' : '\n\n';
  return `${text}${joiner}${lines.join('\n')}\n`;
}
