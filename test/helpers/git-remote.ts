// A throwaway "GitHub side" for tests: a bare repository in a fresh temp dir, plus a way
// for "another actor" to commit to it. Plain git through child_process, isolated from the
// host's git config so tests behave the same everywhere.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { importCommit } from '../github-double/gitrepo.ts';

const execFileP = promisify(execFile);

export function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Other Actor',
    GIT_AUTHOR_EMAIL: 'other@example.com',
    GIT_COMMITTER_NAME: 'Other Actor',
    GIT_COMMITTER_EMAIL: 'other@example.com',
    LC_ALL: 'C',
  };
}

/** Runs git in `cwd` and returns stdout (as bytes decoded to UTF-8). */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP('git', ['-c', 'core.autocrlf=false', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    env: gitEnv(),
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.toString('utf8');
}

export interface RemoteCommit {
  sha: string;
  parents: string[];
  subject: string;
  message: string;
}

export interface TestRemote {
  /** Path to the bare repository. */
  bare: string;
  /** file:// URL of the bare repository. */
  url: string;
  /** Temp dir holding everything; removed by cleanup(). */
  root: string;
  /** Plain `git clone` into `dir` (default: a new dir under root); returns the path. */
  clone(dir?: string): Promise<string>;
  /** Commits and pushes `files` (null deletes) as another actor; returns the new sha. */
  commitOnRemote(files: Record<string, string | null>, message: string, branch?: string): Promise<string>;
  /** File text at `ref` on the remote, or null when absent. */
  readOnRemote(file: string, ref?: string): Promise<string | null>;
  log(ref?: string): Promise<RemoteCommit[]>;
  cleanup(): Promise<void>;
}

export async function createRemote(opts: { files: Record<string, string>; branch?: string }): Promise<TestRemote> {
  const branch = opts.branch ?? 'main';
  const root = await mkdtemp(path.join(os.tmpdir(), 'gcb-remote-'));
  const bare = path.join(root, 'remote.git');
  await git(root, 'init', '-q', '--bare', `--initial-branch=${branch}`, bare);
  let n = 0;
  const scratch = () => path.join(root, `work-${++n}`);

  // the bytes as given, in one git process (no seed clone, add, commit and push)
  await importCommit(bare, branch, opts.files, 'Initial config', { name: 'Other Actor', email: 'other@example.com' }, gitEnv());

  const remote: TestRemote = {
    bare,
    url: pathToFileURL(bare).href,
    root,
    async clone(dir) {
      const target = dir ?? scratch();
      await git(root, 'clone', '-q', bare, target);
      return target;
    },
    async commitOnRemote(files, message, onBranch = branch) {
      // on top of the branch's tip, in one git process; throws when a racing writer moved it
      return importCommit(bare, onBranch, files, message, { name: 'Other Actor', email: 'other@example.com' }, gitEnv(), { onTop: true });
    },
    async readOnRemote(file, ref = branch) {
      try {
        return await git(bare, 'cat-file', 'blob', `${ref}:${file}`);
      } catch {
        return null;
      }
    },
    async log(ref = branch) {
      const out = await git(bare, 'log', '-z', '--format=%H%x00%P%x00%B', ref);
      const parts = out.split('\0');
      const commits: RemoteCommit[] = [];
      for (let i = 0; i + 3 <= parts.length; i += 3) {
        const [sha, parents, message] = parts.slice(i, i + 3);
        commits.push({ sha, parents: parents ? parents.split(' ') : [], subject: message.split('\n', 1)[0], message });
      }
      return commits;
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
  return remote;
}
