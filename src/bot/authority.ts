// Who may change things through the bot. A `/canary` command and an approval that lets
// the bot merge both change what runs in the cluster, so both need the same standing a
// person would need to push the change themselves: one definition, so they cannot drift.
import type { Permission } from '../forge/types.ts';

/** Collaborator permissions that may change the config repo, in GitHub's order. */
export const WRITERS: readonly Permission[] = ['write', 'maintain', 'admin'];

export function mayChange(permission: string): boolean {
  return (WRITERS as readonly string[]).includes(permission);
}

/** "write, maintain or admin", for messages that say who may act. */
export function writersText(): string {
  return `${WRITERS.slice(0, -1).join(', ')} or ${WRITERS[WRITERS.length - 1]}`;
}
