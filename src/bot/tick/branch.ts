// What the apps of one tick share on one branch, so that stepping an app costs about what
// its own change costs rather than a read of the whole repo: the history, read once and
// then only the commits pushed on top of it; each file, read once and kept while the
// trees the steps leave differ from it only elsewhere (the step that made a tree names
// the files it wrote; for anyone else's, git names the changed files); the objects the
// analysis parses out of them, kept by content (every step's analysis asks for the same
// Services, DestinationRules and workloads); the branch's name.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { readLogSince, type LogEntry } from '../../git/history.ts';
import { normalizeRepoPath } from '../../git/paths.ts';
import { changedBetween } from '../../git/screen-cache.ts';
import type { Workspace } from '../../git/workspace.ts';
import { HISTORY_DEPTH } from '../../jobs/history.ts';
import type { RepoFiles } from '../../manifests/files.ts';
import { withContentStore, type TreeStore } from '../../manifests/tree-store.ts';
import { changedSince } from '../../repo-io/tree-steps.ts';

export interface TickBranch {
  /** The branch the apps' state lives on as configured: undefined for the default one. */
  readonly name: string | undefined;
  /** Its name, the default branch's asked of git once, when an app acts. */
  target(): Promise<string>;
  /** The working copy as it is now, for one planning pass (asks git once whether the
   *  files are a clean tree, as workspaceFiles does). */
  files(): RepoFiles;
  /** The branch's newest HISTORY_DEPTH commits as of HEAD now. */
  log(): Promise<readonly LogEntry[]>;
}

/** The branch `name` the working copy was just synced to. `content`: answers keyed by
 *  file content, shared by every branch of the tick. */
export function tickBranch(ws: Workspace, name: string | undefined, content: TreeStore): TickBranch {
  const kept = keptFiles(ws);
  let known: readonly LogEntry[] | undefined;
  let target: Promise<string> | undefined;
  return {
    name,
    target: () => (target ??= name === undefined ? ws.defaultBranch() : Promise.resolve(name)),
    files: () => withContentStore(kept.pass(), content),
    async log() {
      known = known ? await readLogSince(ws.runner, known, HISTORY_DEPTH) : await ws.log({ max: HISTORY_DEPTH });
      return known;
    },
  };
}

/** File texts and the file list of the working copy's clean trees, carried from one tree
 *  to the next by dropping what git says changed between them. A dirty tree is read as
 *  it is. */
function keptFiles(ws: Workspace): { pass(): RepoFiles } {
  const texts = new Map<string, Promise<string>>();
  // every step's analysis asks for the same few hundred paths
  const keys = new Map<string, string>();
  let listing: Promise<string[]> | undefined;
  let at: { tree: string; ready: Promise<void> } | undefined;

  const moveTo = (tree: string): Promise<void> => {
    if (at?.tree === tree) return at.ready;
    const from = at;
    const ready = (async () => {
      await from?.ready;
      // the tick's own steps say what they wrote; git is asked about anyone else's
      const changed = from ? (changedSince(from.tree, tree) ?? (await changedBetween(ws.runner, ws.dir, from.tree, tree).catch(() => null))) : null;
      if (changed === null) {
        texts.clear();
        listing = undefined;
        return;
      }
      for (const rel of changed) texts.delete(rel);
      if (listing && !(await stillListed(await listing.catch(() => []), changed))) listing = undefined;
    })();
    at = { tree, ready };
    return ready;
  };

  // The list holds the same paths when every changed one was listed and still is there:
  // the tree is clean, so what is on disk is what the index lists.
  const stillListed = async (listed: string[], changed: string[]): Promise<boolean> => {
    const names = new Set(listed);
    for (const rel of changed) {
      if (!names.has(rel)) return false;
      if (!(await lstat(path.join(ws.dir, rel)).then(() => true, () => false))) return false;
    }
    return true;
  };

  const kept = <T>(get: () => Promise<T> | undefined, set: (p: Promise<T>) => void, load: () => Promise<T>, forget: (p: Promise<T>) => void): Promise<T> => {
    let p = get();
    if (!p) {
      const loading = load();
      set(loading);
      // a failed read is not kept
      loading.catch(() => forget(loading));
      p = loading;
    }
    return p;
  };

  return {
    pass() {
      let version: Promise<string | undefined> | undefined;
      const clean = () => (version ??= ws.cleanTree());
      return {
        root: ws.dir,
        async list() {
          const tree = await clean();
          if (tree === undefined) return ws.listFiles();
          await moveTo(tree);
          const listed = await kept(
            () => listing,
            (p) => (listing = p),
            () => ws.listFiles(),
            (p) => {
              if (listing === p) listing = undefined;
            },
          );
          return [...listed];
        },
        async read(rel) {
          const tree = await clean();
          let key = keys.get(rel);
          if (key === undefined) {
            try {
              key = normalizeRepoPath(rel);
            } catch {
              return ws.readFile(rel); // refused there, with its reason
            }
            keys.set(rel, key);
          }
          if (tree === undefined) return ws.readFile(key);
          await moveTo(tree);
          return kept(
            () => texts.get(key),
            (p) => texts.set(key, p),
            () => ws.readFile(key),
            (p) => {
              if (texts.get(key) === p) texts.delete(key);
            },
          );
        },
        grep: (tokens) => ws.grep(tokens, { tree: clean() }),
        version: clean,
      };
    },
  };
}
