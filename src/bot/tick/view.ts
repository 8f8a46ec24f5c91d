// One read of a branch for every app a tick looks at: the history once (each app's
// commits are picked out of it, src/rollout/landed.ts), each file at most once, and the
// tips of the bot's proposal branches in one git call, only when an app asks for them.
// A view describes the tree as it was synced; after a push it is stale, and whoever
// needs the new state reads a new view.
import type { LogEntry, Workspace } from '../../git/workspace.ts';
import { parseTrailers } from '../../git/trailers.ts';
import { HISTORY_DEPTH } from '../../jobs/history.ts';
import { workspaceFiles } from '../../jobs/run.ts';
import type { RepoFiles } from '../../manifests/files.ts';
import type { Trailers } from '../../plan.ts';
import type { TickBranch } from './branch.ts';

export interface Proposal {
  sha: string;
  trailers: Trailers;
}

export interface BranchView {
  /** The branch's commits, newest first, merges included. */
  log: readonly LogEntry[];
  /** The working tree's files; each file read once. */
  files: RepoFiles;
  /** The tip of `branch` on the remote as of the sync, or null. */
  proposal(branch: string): Promise<Proposal | null>;
}

/** The view of the branch the working copy was just synced to, read through what the
 *  tick's apps share on it when given. */
export async function readView(ws: Workspace, branch?: TickBranch): Promise<BranchView> {
  const log = branch ? await branch.log() : await ws.log({ max: HISTORY_DEPTH });
  let tips: Promise<Map<string, Proposal>> | undefined;
  return {
    log,
    files: branch ? branch.files() : readOnce(workspaceFiles(ws)),
    proposal: async (branch) => (await (tips ??= botBranchTips(ws))).get(branch) ?? null,
  };
}

function readOnce(files: RepoFiles): RepoFiles {
  const texts = new Map<string, Promise<string>>();
  return {
    ...files,
    read: (rel) => {
      let text = texts.get(rel);
      if (!text) texts.set(rel, (text = files.read(rel)));
      return text;
    },
  };
}

/** Every `gitops-canary/…` branch of the remote with its tip's trailers, in one git call. */
async function botBranchTips(ws: Workspace): Promise<Map<string, Proposal>> {
  const out = new Map<string, Proposal>();
  if (!ws.remote) return out;
  const prefix = `refs/remotes/${ws.remote}/`;
  const { stdout } = await ws.runner.run(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(objecttype)%00%(contents)%00', `${prefix}gitops-canary`]);
  const fields = stdout.split('\0');
  for (let i = 0; i + 4 <= fields.length; i += 4) {
    // each record ends with the format's NUL and a newline, which starts the next name
    const [ref, sha, type, message] = [fields[i].replace(/^\n/, ''), fields[i + 1], fields[i + 2], fields[i + 3]];
    if (type !== 'commit' || !ref.startsWith(prefix)) continue;
    out.set(ref.slice(prefix.length), { sha, trailers: parseTrailers(message) });
  }
  return out;
}
