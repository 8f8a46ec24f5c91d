import type { Plan } from '../plan.ts';

/** A plan with the new text of every file it changes, ready to write and commit. */
export interface Prepared {
  plan: Plan;
  writes: Map<string, string>;
}
