// What the bot knows of its own clone from its last command there (where HEAD is, its
// tree, where the remote branch was last fetched or pushed to) stays true until another
// git command changes it. The runner of each of the bot's clones counts the commands
// that can: while the count is where it was, the bot need not ask git again.
import { GitRunner, type RunOptions, type RunResult } from './exec.ts';

// Commands that move no ref, HEAD, index entry or file.
const READS = new Set(['status', 'log', 'rev-parse', 'rev-list', 'diff-tree', 'diff-index', 'cat-file', 'ls-files', 'ls-tree', 'grep', 'for-each-ref', 'merge-base', 'show']);

const counts = new Map<string, number>();

/** How many commands that may change the clone at `dir` have started or ended so far. */
export function generation(dir: string): number {
  return counts.get(dir) ?? 0;
}

function reads(args: readonly string[]): boolean {
  if (READS.has(args[0])) return true;
  // `symbolic-ref [-q] [--short] <name>` reads; a second name (or -d) would set or delete
  return args[0] === 'symbolic-ref' && args.slice(1).filter((a) => !a.startsWith('-')).length <= 1 && !args.includes('-d') && !args.includes('--delete');
}

/** A GitRunner for one of the bot's clones: counted (see generation) at the start and at
 *  the end of every command that may change it, so a command running while a caller
 *  notes what it knows leaves the count moved past the note. */
export class WatchedRunner extends GitRunner {
  private bump(): void {
    counts.set(this.cwd, generation(this.cwd) + 1);
  }

  override async run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (reads(args)) return super.run(args, opts);
    this.bump();
    try {
      return await super.run(args, opts);
    } finally {
      this.bump();
    }
  }

  // a script's commands may move refs or the index: counted as one such command
  override async runScript(...args: Parameters<GitRunner['runScript']>): Promise<RunResult> {
    this.bump();
    try {
      return await super.runScript(...args);
    } finally {
      this.bump();
    }
  }

  override async tryRun(args: string[]): Promise<RunResult> {
    if (reads(args)) return super.tryRun(args);
    this.bump();
    try {
      return await super.tryRun(args);
    } finally {
      this.bump();
    }
  }
}
