// The files as `git revert` of some commits would leave them, computed without touching
// the work tree, the index or a branch: rollbacks are analyzed before anything is
// committed. Each revert is the merge `git revert` itself makes (base = the reverted
// commit, ours = the tree so far, theirs = its parent's tree). git 2.38+ does it whole
// with `merge-tree --write-tree`; 2.39 lacks its `--merge-base`, so the base is set by a
// throwaway commit of the parent's tree whose parent is the reverted commit (their merge
// base is exactly that commit; the commit is on no ref and gc drops it). Older git (2.34
// in Ubuntu 22.04) merges file by file with `merge-file`, which every git has.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RepoFileError } from '../repo-io/read.ts';
import type { WorkingCopy } from './working-copy.ts';

export interface RevertPreview {
  /** New text of every file the reverts change, by path. */
  writes: Map<string, string>;
  /** Files the reverts delete (reverting the commit that added them). */
  deleted: string[];
}

const PREVIEW = 'gitops-canary revert preview';

/** The result of reverting `shas` (newest first, as they are reverted) on HEAD, or null
 *  when git cannot merge one of them cleanly: the revert itself then reports the conflict. */
export async function previewRevert(wc: WorkingCopy, shas: readonly string[]): Promise<RevertPreview | null> {
  const whole = await previewWithMergeTree(wc, shas);
  return whole === UNSUPPORTED ? previewFileByFile(wc, shas) : whole;
}

const UNSUPPORTED = Symbol('merge-tree --write-tree unsupported');

async function parentOf(wc: WorkingCopy, sha: string): Promise<{ full: string; parent: string } | null> {
  const full = (await wc.runner.run(['rev-parse', '--verify', `${sha}^{commit}`])).stdout.trim();
  // a merged PR: undo what the merge brought into the mainline (`git revert -m 1`)
  const parent = (await wc.runner.run(['rev-parse', '-q', '--verify', `${full}^1`], { ok: [0, 1, 128] })).stdout.trim();
  return parent ? { full, parent } : null;
}

async function previewWithMergeTree(wc: WorkingCopy, shas: readonly string[]): Promise<RevertPreview | null | typeof UNSUPPORTED> {
  const run = (args: string[]) => wc.runner.run(args);
  const head = await wc.head();
  let ours = head;
  for (const sha of shas) {
    const c = await parentOf(wc, sha);
    if (!c) return null;
    const theirs = (await run(['commit-tree', `${c.parent}^{tree}`, '-p', c.full, '-m', PREVIEW])).stdout.trim();
    const merged = await wc.runner.tryRun(['merge-tree', '--write-tree', ours, theirs]);
    // 1: conflicts; anything else: a git before 2.38, answering with its usage (129)
    if (merged.code === 1) return null;
    if (merged.code !== 0) return UNSUPPORTED;
    ours = (await run(['commit-tree', merged.stdout.split('\n')[0].trim(), '-p', ours, '-m', PREVIEW])).stdout.trim();
  }
  const writes = new Map<string, string>();
  const deleted: string[] = [];
  for (const [status, rel] of await changed(wc, head, ours)) {
    if (status === 'D') {
      deleted.push(rel);
      continue;
    }
    // a file over the size limit is no manifest the analysis would read
    const text = await wc.readFileAt(ours, rel).catch(() => null);
    if (text !== null) writes.set(rel, text);
  }
  return { writes, deleted };
}

async function changed(wc: WorkingCopy, from: string, to: string): Promise<Array<[string, string]>> {
  const out = (await wc.runner.run(['diff-tree', '-r', '-z', '--no-renames', '--name-status', from, to])).stdout.split('\0').filter(Boolean);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < out.length; i += 2) pairs.push([out[i], out[i + 1]]);
  return pairs;
}

/** The same merges, one file at a time: what each reverted commit changed goes back to
 *  its parent's bytes where nothing changed it since, else through `git merge-file`. A
 *  file added or deleted on one side and changed on the other is a conflict, as in git. */
export async function previewFileByFile(wc: WorkingCopy, shas: readonly string[]): Promise<RevertPreview | null> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gitops-canary-revert-'));
  try {
    return await mergeFiles(wc, shas, dir);
  } catch (err) {
    // a file over the size limit is no manifest the analysis would read
    if (err instanceof RepoFileError) return null;
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function mergeFiles(wc: WorkingCopy, shas: readonly string[], dir: string): Promise<RevertPreview | null> {
  const head = await wc.head();
  // path → text after the reverts so far (null: deleted); absent: as at HEAD
  const state = new Map<string, string | null>();
  const current = async (rel: string) => (state.has(rel) ? state.get(rel)! : wc.readFileAt(head, rel));
  for (const sha of shas) {
    const c = await parentOf(wc, sha);
    if (!c) return null;
    for (const [, rel] of await changed(wc, c.parent, c.full)) {
      const [ours, base, theirs] = [await current(rel), await wc.readFileAt(c.full, rel), await wc.readFileAt(c.parent, rel)];
      if (ours === base) state.set(rel, theirs);
      else if (theirs === base) state.set(rel, ours);
      else if (ours === null || base === null || theirs === null) return null;
      else {
        const files = ['ours', 'base', 'theirs'].map((n) => path.join(dir, n));
        await Promise.all([ours, base, theirs].map((t, i) => writeFile(files[i], t)));
        // exit code: the number of conflicts
        const merged = await wc.runner.tryRun(['merge-file', '-p', ...files]);
        if (merged.code !== 0) return null;
        state.set(rel, merged.stdout);
      }
    }
  }
  const writes = new Map<string, string>();
  const deleted: string[] = [];
  for (const [rel, text] of state) {
    if (text === (await wc.readFileAt(head, rel))) continue;
    if (text === null) deleted.push(rel);
    else writes.set(rel, text);
  }
  return { writes, deleted };
}
