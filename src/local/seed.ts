// Local mode: a config repo on this machine, seeded with the podinfo example. It accepts
// pushes into its checked-out branch (updateInstead), so people can look at the files
// the bot changed with plain `git log -p` and an editor.
import { cp, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initRepository } from '../git/init.ts';

export const EXAMPLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/local-config-repo');

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** Creates the local config repo when it is missing; leaves an existing one alone. */
export async function ensureLocalConfigRepo(dir: string): Promise<{ created: boolean }> {
  if (await exists(path.join(dir, '.git'))) return { created: false };
  await mkdir(dir, { recursive: true });
  await cp(EXAMPLE_DIR, dir, { recursive: true });
  await initRepository(dir, { message: 'Seed the podinfo example config repo', acceptPushes: true });
  return { created: true };
}
