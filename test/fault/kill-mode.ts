// What kill-burst.ts asks of a mode: where the config repo is, how to start a bot on it
// and send it a release, and the serial result to compare with.
import type { Bot } from './kill-kit.ts';

/** One run's world: a fresh config repo and a source that has released every tag. */
export interface Arena {
  /** The bare config repo, on disk (local mode's LOCAL_CONFIG_REPO, the double's repo). */
  configRepo: string;
  /** The branch the bot delivers to. */
  ref: string;
  /** Where a lock left by the killed bot would be. */
  lockRoots: string[];
  /** `reconcile`: RECONCILE_INTERVAL; `0` for no pass at start. */
  start(reconcile: string): Promise<Bot>;
  /** The status the webhook was answered with, 0 when none. */
  release(bot: Bot, tag: string, delivery: string): Promise<number>;
  /** Anything else wrong with the run (requests the GitHub API would refuse). */
  problems(): string[];
  close(): Promise<void>;
}

export interface Reference {
  repo: string;
  ref: string;
  /** How the serial result was made, for the header line. */
  how: string;
  close(): Promise<void>;
}

export interface KillMode {
  name: 'local' | 'github';
  /** The kill comes at a uniformly random moment in this long after the burst starts:
   *  about how long the mode's bot takes to work through a whole burst. */
  killWindowMs: number;
  /** Every tag applied one at a time, in order, by one bot with no fault. */
  reference(dir: string, tags: string[]): Promise<Reference>;
  prepare(dir: string, tags: string[]): Promise<Arena>;
}
