// The orchestrator for commit delivery. It reads as the steps it takes; every step is
// one awaited call. A rejected push is retried by planning again on the fresh tree.
import type { Workspace } from '../git/workspace.ts';
import type { RepoFiles } from '../manifests/files.ts';
import type { Result } from '../plan.ts';
import { commitParts, planText } from './render.ts';
import type { Prepared } from './prepared.ts';
import type { BotCommit } from './history.ts';
import { analyzed, type AnalysisMode } from '../analysis/gate.ts';

export type Prepare = (repo: RepoFiles) => Promise<Prepared>;

/** `seen`: filled with each text planning reads, by the path it was asked by. */
export function workspaceFiles(ws: Workspace, seen?: Map<string, string>, opts: { writing?: boolean } = {}): RepoFiles {
  // One planning pass reads one state of the tree: ask git once whether it is clean.
  let version: Promise<string | undefined> | undefined;
  const clean = () => (version ??= ws.cleanTree());
  return {
    // a plan about to be written and committed here: its objects are begun meanwhile
    ...(opts.writing ? { willWrite: (writes: ReadonlyMap<string, string>) => ws.prewriteSoon(writes) } : {}),
    root: ws.dir,
    list: () => ws.listFiles(),
    read: seen ? async (rel) => {
      const text = await ws.readFile(rel);
      seen.set(rel, text);
      return text;
    } : (rel) => ws.readFile(rel),
    grep: (tokens) => ws.grep(tokens, { tree: clean() }),
    version: clean,
  };
}

/** The bot's commits on the current branch, newest first (bounded: state older than
 *  this many bot commits no longer matters). */
export async function botCommits(ws: Workspace, max = 1000): Promise<BotCommit[]> {
  return botCommitsIn(await ws.log({ max }));
}

/** The bot's commits in a log already read (those naming an app in their trailers). */
export function botCommitsIn(log: BotCommit[]): BotCommit[] {
  return log.filter((c) => c.trailers.App !== undefined);
}

/** Plans without writing: the working copy is read as it is. */
export async function dryRun(ws: Workspace, prepare: Prepare, opts: { analysis?: AnalysisMode } = {}): Promise<Result> {
  const { plan } = await analyzed(prepare, opts.analysis)(workspaceFiles(ws));
  return { plan, status: 'dry-run', message: planText(plan) };
}

/** Plans, writes, commits and pushes to `branch`, re-planning after a rejected push.
 *  `template`: the app's `commitMessage`. `beside`: work begun once an attempt's files
 *  are written, to run while git commits them (the CLI keeps what it derived then); it
 *  must not reject, and is awaited before the result. */
export async function commitPlan(ws: Workspace, planned: Prepare, opts: { branch?: string; analysis?: AnalysisMode; template?: string; beside?: () => Promise<void> } = {}): Promise<Result> {
  // analysis refuses a broken change before anything is written (a no-op when the caller analyzed)
  const prepare = analyzed(planned, opts.analysis);
  const besides: Array<Promise<void>> = [];
  try {
    return await commitAttempts(ws, prepare, opts.branch, opts.template, () => {
      if (opts.beside) besides.push(opts.beside());
    });
  } finally {
    await Promise.allSettled(besides);
  }
}

async function commitAttempts(ws: Workspace, prepare: Prepare, branch: string | undefined, template: string | undefined, written: () => void): Promise<Result> {
  let last: Prepared | undefined;
  // the bytes each written file had before this attempt, to undo a commit that never happened
  const originals = new Map<string, string | null>();
  // 1. Commit on a fresh tree and push; on rejection the loop syncs and calls this again.
  let pushed: Awaited<ReturnType<Workspace['commitAndPush']>>;
  try {
    pushed = await ws.commitAndPush({
      branch,
      apply: async () => {
        originals.clear();
        // what planning read of a file is what it holds until written: no second read
        const seen = new Map<string, string>();
        last = await prepare(workspaceFiles(ws, seen, { writing: true }));
        if (last.writes.size === 0) return null;
        for (const rel of last.writes.keys()) originals.set(rel, seen.get(rel) ?? (await ws.readFile(rel).catch(() => null)));
        await ws.writeFiles(last.writes);
        written();
        return { ...commitParts(last.plan, template), trailers: last.plan.trailers, files: [...last.writes.keys()] };
      },
    });
  } catch (err) {
    await restoreUncommitted(ws, originals);
    throw err;
  }
  const plan = last!.plan;
  // 2. Report what happened, including "nothing needed changing".
  // planText already says "nothing to change" for an empty plan; say it once
  if (!pushed) return { plan, status: 'unchanged', message: plan.edits.length ? `${planText(plan)}\nnothing needed changing: the files already match` : planText(plan) };
  return { plan, status: 'committed', commit: pushed.sha, message: `${planText(plan)}\ncommitted ${pushed.sha.slice(0, 12)}` };
}

/** A commit that failed (a user's pre-commit hook, say) must not leave half a change in
 *  the working copy: files still differing from HEAD get their earlier bytes back. Files
 *  a reset already restored are clean and left alone. */
async function restoreUncommitted(ws: Workspace, originals: Map<string, string | null>): Promise<void> {
  if (originals.size === 0) return;
  const dirty = new Set((await ws.status()).files.map((f) => f.path));
  const undo = [...originals.keys()].filter((rel) => dirty.has(rel));
  if (undo.length === 0) return;
  // commit() staged them before git refused; unstage, then put the bytes back
  await ws.runner.run(['reset', '-q', '--', ...undo]);
  for (const rel of undo) {
    const text = originals.get(rel);
    if (text === null || text === undefined) await ws.removeFile(rel);
    else await ws.writeFile(rel, text);
  }
}
