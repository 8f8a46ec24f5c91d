// A commit of the index as one `sh` script: `write-tree`, `commit-tree` and `update-ref`,
// which Workspace.commitIndex would otherwise start one by one from the bot's process.
// Each start from a process of some hundred megabytes blocks its thread for several
// milliseconds (Node forks it whole before git runs), and each command's end waits for a
// turn of its event loop; a scheduler tick stepping 100 apps made 300 of them.
import type { GitRunner } from './exec.ts';

/** Where `sh` is not POSIX's (Windows), the commands run one by one as before. */
export const CHAIN_COMMITS = process.platform !== 'win32';

// $1 HEAD's commit, $2 HEAD's tree, $3 the reflog message; then the -c settings. The exit
// code names the command that failed (90 + its index in STEPS); git's stderr says why.
const SCRIPT = `h=$1 ht=$2 m=$3
shift 3
t=$(git "$@" write-tree) || exit 90
if [ "$t" = "$ht" ]; then echo "$t"; exit 0; fi
c=$(git "$@" commit-tree "$t" -p "$h") || exit 91
git "$@" update-ref -m "$m" HEAD "$c" "$h" || exit 92
echo "$t $c"
`;

const STEPS: readonly string[][] = [['write-tree'], ['commit-tree'], ['update-ref']];

/** Commits the index on top of `head` (whose tree is `headTree`) with `message` taken as
 *  it is, and moves HEAD there only from `head` (a HEAD remembered wrongly fails rather
 *  than losing a commit). Null when the index holds HEAD's tree (nothing to commit). */
export async function commitChain(runner: GitRunner, head: string, headTree: string, message: string): Promise<{ sha: string; tree: string } | null> {
  const reflog = `commit: ${message.split('\n')[0]}`;
  const { stdout } = await runner.runScript(SCRIPT, [head, headTree, reflog], Buffer.from(message, 'utf8'), STEPS, { code: 'GIT_COMMIT_FAILED' });
  const [tree, sha] = stdout.trim().split(' ');
  if (tree === headTree && sha === undefined) return null;
  return { tree, sha };
}
