// Plumbing over the real bare repositories that back each double repo. Merges use
// `git merge-tree --write-tree` + `commit-tree` + a compare-and-swap `update-ref`, so a
// concurrent push to the base branch surfaces as a 409 exactly like GitHub's.
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Identity {
  name: string;
  email: string;
}

export const GITHUB_COMMITTER: Identity = { name: 'GitHub', email: 'noreply@github.com' };

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BASE_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  HOME: tmpdir(),
  LC_ALL: 'C',
};

export function identityEnv(author: Identity, committer: Identity = author): NodeJS.ProcessEnv {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  };
}

export function runGit(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: { ...BASE_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      if (err && code === -1) return reject(err);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await runGit(cwd, args, env);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} (in ${cwd}) failed with ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function revParse(bare: string, rev: string): Promise<string | undefined> {
  const r = await runGit(bare, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** A `null` content deletes the file. */
export type FileSet = Record<string, string | null>;

export async function writeFiles(dir: string, files: FileSet): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) {
      await rm(full, { force: true });
      continue;
    }
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/** Creates `<root>/<owner>/<name>.git` holding one commit with `files` on `branch`. */
export async function createBareRepo(root: string, owner: string, name: string, files: Record<string, string>, branch: string): Promise<string> {
  const bare = join(root, owner, `${name}.git`);
  await mkdir(bare, { recursive: true });
  await git(bare, ['init', '--bare', '--quiet', `--initial-branch=${branch}`]);
  // what two `git config` calls would add, without their two processes
  await appendFile(join(bare, 'config'), '[http]\n\treceivepack = true\n[uploadpack]\n\tallowAnySHA1InWant = true\n');
  await importCommit(bare, branch, files, 'Initial commit', { name: 'Octo Cat', email: 'octocat@users.noreply.github.com' });
  return bare;
}

/**
 * The first commit of `branch` with `files`, written by one `git fast-import` straight into
 * `repo` (bare or not; its work tree is left alone) instead of a scratch clone, `add`,
 * `commit` and `push`: a repository per test costs two git processes instead of ten, which
 * on a machine where starting a process is slow is most of a harness's start. The bytes
 * are stored as given, as `add` does with no attributes; an empty `files` makes an empty tree.
 */
export async function importCommit(repo: string, branch: string, files: Record<string, string>, message: string, who: Identity, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const parts: Buffer[] = [];
  const data = (bytes: Buffer) => parts.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  const ident = `${who.name} <${who.email}> now`;
  parts.push(Buffer.from(`commit refs/heads/${branch}\nauthor ${ident}\ncommitter ${ident}\n`));
  data(Buffer.from(`${message}\n`));
  for (const [path, content] of Object.entries(files)) {
    parts.push(Buffer.from(`M 100644 inline ${quotePath(path)}\n`));
    data(Buffer.from(content));
  }
  await gitWithInput(repo, ['fast-import', '--quiet', '--date-format=now'], Buffer.concat(parts), env);
}

/** fast-import's C-style quoting, needed only for a path that starts with a quote or holds a newline. */
function quotePath(path: string): string {
  if (!path.startsWith('"') && !path.includes('\n')) return path;
  return `"${path.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

function gitWithInput(cwd: string, args: string[], input: Buffer, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd, env: { ...BASE_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
    child.stdin!.end(input);
  });
}

/**
 * Commits `files` on top of `branch` through a throwaway clone and pushes them back; a
 * missing branch is started from `from`. Rejected pushes (a racing writer) throw.
 */
export async function commitFiles(bare: string, branch: string, files: FileSet, message: string, who: Identity, from?: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'ghd-work-'));
  try {
    const env = identityEnv(who);
    const exists = (await revParse(bare, `refs/heads/${branch}`)) !== undefined;
    await git(work, ['clone', '--quiet', '--branch', exists || !from ? branch : from, bare, '.']);
    await writeFiles(work, files);
    await git(work, ['add', '-A']);
    await git(work, ['commit', '--quiet', '--allow-empty', '-m', message], env);
    await git(work, ['push', '--quiet', bare, `HEAD:refs/heads/${branch}`]);
    return (await git(work, ['rev-parse', 'HEAD'])).trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `git tag -a`: a real tag object pointing at `rev`; returns the tag object's sha (what
 *  GitHub sends as a tag push's `after`), not the commit's. */
export async function createAnnotatedTag(bare: string, tag: string, rev: string, message: string, who: Identity): Promise<string> {
  await git(bare, ['tag', '-a', '-m', message, tag, rev], identityEnv(who));
  return (await git(bare, ['rev-parse', `refs/tags/${tag}`])).trim();
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface TrialMerge {
  clean: boolean;
  tree?: string;
}

export async function trialMerge(bare: string, baseSha: string, headSha: string): Promise<TrialMerge> {
  const r = await runGit(bare, ['merge-tree', '--write-tree', '--no-messages', baseSha, headSha]);
  if (r.code === 0) return { clean: true, tree: r.stdout.split('\n')[0].trim() };
  return { clean: false };
}

export interface MergeRequest {
  method: MergeMethod;
  baseSha: string;
  headSha: string;
  title: string;
  message: string;
  author: Identity;
}

/** Builds the commit a merge would produce, without moving any ref. */
export async function buildMergeCommit(bare: string, req: MergeRequest): Promise<string | undefined> {
  const env = identityEnv(req.author, GITHUB_COMMITTER);
  const msg = req.message ? `${req.title}\n\n${req.message}` : req.title;
  if (req.method === 'rebase') return rebaseCommits(bare, req, env);
  const trial = await trialMerge(bare, req.baseSha, req.headSha);
  if (!trial.clean || !trial.tree) return undefined;
  const parents = req.method === 'merge' ? ['-p', req.baseSha, '-p', req.headSha] : ['-p', req.baseSha];
  return (await git(bare, ['commit-tree', trial.tree, ...parents, '-m', msg], env)).trim();
}

async function rebaseCommits(bare: string, req: MergeRequest, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const work = await mkdtemp(join(tmpdir(), 'ghd-rebase-'));
  try {
    await git(work, ['clone', '--quiet', '--no-checkout', bare, '.']);
    await git(work, ['checkout', '--quiet', '--detach', req.headSha]);
    // Keep the original authors: only the committer becomes GitHub, as on github.com.
    const r = await runGit(work, ['rebase', '--quiet', req.baseSha], { GIT_COMMITTER_NAME: env.GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL: env.GIT_COMMITTER_EMAIL });
    if (r.code !== 0) return undefined;
    const sha = (await git(work, ['rev-parse', 'HEAD'])).trim();
    await git(work, ['push', '--quiet', bare, `${sha}:refs/ghd/rebased/${sha}`]);
    return sha;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Compare-and-swap ref update; false when someone else moved the ref first. */
export async function casUpdateRef(bare: string, ref: string, newSha: string, oldSha: string): Promise<boolean> {
  const r = await runGit(bare, ['update-ref', ref, newSha, oldSha]);
  return r.code === 0;
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
  path: string;
}

export async function lsTree(bare: string, rev: string, path: string, children: boolean): Promise<TreeEntry[]> {
  const spec = children ? `${path.replace(/\/$/, '')}/` : path;
  const args = ['ls-tree', '-l', '-z', rev, '--', spec];
  const r = await runGit(bare, path === '' ? ['ls-tree', '-l', '-z', rev] : args);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, p] = line.split('\t');
      const [mode, type, sha, size] = meta.split(/\s+/);
      return { mode, type: type as TreeEntry['type'], sha, size: size === '-' ? undefined : Number(size), path: p };
    });
}

export async function readBlob(bare: string, sha: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', ['cat-file', 'blob', sha], { cwd: bare, env: BASE_ENV, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}
