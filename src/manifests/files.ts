// Where manifests come from: a git working copy (fast screening with `git grep`) or a
// plain directory. Both are read through this one interface.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readRepoText } from '../repo-io/read.ts';

export interface RepoFiles {
  readonly root: string;
  /** Repo-relative POSIX paths of candidate files. */
  list(): Promise<string[]>;
  /** Files that contain any of the fixed strings (a superset of what an editor may match). */
  grep(tokens: string[]): Promise<string[]>;
  read(rel: string): Promise<string>;
  /** A key that changes whenever any file may have changed (a clean tree's sha), or
   *  undefined when there is none: then nothing derived from the files is cached. */
  version?(): Promise<string | undefined>;
  /** Told what a plan will write (path → text) before its analysis, where the reader is
   *  the working copy those texts are then written to and committed in: it may start on
   *  what the commit will need. Only a hint; nothing is written to the files. */
  willWrite?(writes: ReadonlyMap<string, string>): void;
}

export const YAML_FILE = /\.ya?ml$/i;

const SKIP_DIRS = new Set(['.git', 'node_modules']);

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(path.join(root, dir), { withFileTypes: true });
  for (const e of entries) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(root, rel, out);
    } else if (e.isFile()) {
      out.push(rel);
    }
  }
}

/** A plain directory: used for dry runs outside git and as the fallback reader. */
export function directoryFiles(root: string): RepoFiles {
  let cache: string[] | undefined;
  const list = async () => {
    if (!cache) {
      const out: string[] = [];
      await walk(root, '', out);
      cache = out.sort();
    }
    return cache;
  };
  const read = async (rel: string) => (await readRepoText(root, rel)).text;
  return {
    root,
    list,
    read,
    async grep(tokens) {
      const hits: string[] = [];
      for (const rel of await list()) {
        if (!YAML_FILE.test(rel)) continue;
        // A file that cannot be screened (too large, say) is passed on, so that loading
        // it reports why it was skipped instead of it silently not matching.
        const text = await read(rel).catch(() => undefined);
        if (text === undefined || tokens.some((t) => text.includes(t))) hits.push(rel);
      }
      return hits;
    },
  };
}
