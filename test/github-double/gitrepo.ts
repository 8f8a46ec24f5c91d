// Plumbing over the real bare repositories that back each double repo. Merges use
// `git merge-tree --write-tree` + `commit-tree` + a compare-and-swap `update-ref`, so a
// concurrent push to the base branch surfaces as a 409 exactly like GitHub's.
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  const tip = await branchTip(bare, rev);
  if (tip !== ASK_GIT) return tip;
  const r = await runGit(bare, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

const ASK_GIT = Symbol('ask git');
const SHA = /^[0-9a-f]{40}$/;

/**
 * A branch's commit read from the ref files, as `rev-parse <rev>^{commit}` would answer for
 * `refs/heads/<b>` or a short name that git resolves to one (nothing of that name in the
 * repository's directory, under refs/ or among the tags): the double answers most API
 * calls with this, and a git process per answer was most of a harness's git time on a
 * machine where starting a process is slow. Anything else (a sha, a tag, a symbolic ref)
 * is git's to answer.
 */
async function branchTip(bare: string, rev: string): Promise<string | undefined | typeof ASK_GIT> {
  if (!/^[A-Za-z0-9._/-]+$/.test(rev) || rev.includes('..') || SHA.test(rev)) return ASK_GIT;
  if (rev.startsWith('refs/heads/')) return readRef(bare, rev);
  for (const shadow of [rev, `refs/${rev}`, `refs/tags/${rev}`]) if ((await readRef(bare, shadow)) !== undefined) return ASK_GIT;
  return readRef(bare, `refs/heads/${rev}`);
}

/** A ref's sha from its loose file, else from packed-refs; undefined when neither has it,
 *  ASK_GIT when the file holds something else (a symbolic ref) or cannot be read. */
async function readRef(bare: string, ref: string): Promise<string | undefined | typeof ASK_GIT> {
  const loose = await readFile(join(bare, ref), 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? undefined : ASK_GIT));
  if (loose === ASK_GIT) return ASK_GIT;
  if (loose !== undefined) return SHA.test(loose.trim()) ? loose.trim() : ASK_GIT;
  const packed = await readFile(join(bare, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const m = /^([0-9a-f]{40}) (\S+)$/.exec(line);
    if (m && m[2] === ref) return m[1];
  }
  return undefined;
}

/** The ref's value when it is a plain one, from the ref files (see readRef). */
export async function refValue(bare: string, ref: string): Promise<string | undefined> {
  if (!/^refs\/[A-Za-z0-9._/-]+$/.test(ref) || ref.includes('..')) return undefined;
  const sha = await readRef(bare, ref);
  return sha === ASK_GIT ? undefined : sha;
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
 * A commit of `files` on `branch`, written by one `git fast-import` straight into `repo`
 * (bare or not; its work tree is left alone) instead of a scratch clone, `add`, `commit`
 * and `push`: on a machine where starting a process is slow that was most of a harness's
 * start. Without `onTop` it is the branch's first commit (an empty `files` makes an empty
 * tree); with it, it goes on top of the branch's tip, `null` deleting a file, and
 * fast-import refuses to move the branch if another writer moved it since (as a rejected
 * push would). The bytes are stored as given, as `add` does with no attributes. Skips the
 * repository's hooks, which a push would run. Returns the new commit's sha.
 */
export async function importCommit(
  repo: string,
  branch: string,
  files: Record<string, string | null>,
  message: string,
  who: Identity,
  env: NodeJS.ProcessEnv = {},
  opts: { onTop?: boolean } = {},
): Promise<string> {
  const parts: Buffer[] = [];
  const data = (bytes: Buffer) => parts.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  const ident = `${who.name} <${who.email}> now`;
  parts.push(Buffer.from(`commit refs/heads/${branch}\nmark :1\nauthor ${ident}\ncommitter ${ident}\n`));
  data(Buffer.from(`${message}\n`));
  if (opts.onTop) parts.push(Buffer.from(`from refs/heads/${branch}^0\n`));
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      parts.push(Buffer.from(`D ${quotePath(path)}\n`));
      continue;
    }
    parts.push(Buffer.from(`M 100644 inline ${quotePath(path)}\n`));
    data(Buffer.from(content));
  }
  // fast-import prints the new commit's sha for `get-mark`
  parts.push(Buffer.from('get-mark :1\n'));
  return (await gitWithInput(repo, ['fast-import', '--quiet', '--date-format=now'], Buffer.concat(parts), env)).trim();
}

/** fast-import's C-style quoting, needed only for a path that starts with a quote or holds a newline. */
function quotePath(path: string): string {
  if (!path.startsWith('"') && !path.includes('\n')) return path;
  return `"${path.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

function gitWithInput(cwd: string, args: string[], input: Buffer, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd, env: { ...BASE_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
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

// Answers about a commit named by its sha never change: kept, so that the contents API
// (the bot reads its config through it on every event) costs no git process the second time.
const treeAnswers = new Map<string, TreeEntry[]>();

export async function lsTree(bare: string, rev: string, path: string, children: boolean): Promise<TreeEntry[]> {
  const key = `${bare}\0${rev}\0${path}\0${String(children)}`;
  const known = SHA.test(rev) ? treeAnswers.get(key) : undefined;
  if (known) return known;
  const spec = children ? `${path.replace(/\/$/, '')}/` : path;
  const r = await runGit(bare, path === '' ? ['ls-tree', '-l', '-z', rev] : ['ls-tree', '-l', '-z', rev, '--', spec]);
  // a commit git does not have (yet) is asked about again next time
  if (r.code !== 0) return [];
  const entries = r.stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, p] = line.split('\t');
      const [mode, type, sha, size] = meta.split(/\s+/);
      return { mode, type: type as TreeEntry['type'], sha, size: size === '-' ? undefined : Number(size), path: p };
    });
  if (SHA.test(rev)) {
    if (treeAnswers.size >= 10_000) treeAnswers.clear();
    treeAnswers.set(key, entries);
  }
  return entries;
}

// Blobs never change either; kept up to a bound, as the tree answers are.
const blobs = new Map<string, Buffer>();
let blobBytes = 0;

export async function readBlob(bare: string, sha: string): Promise<Buffer> {
  const key = `${bare}\0${sha}`;
  const known = blobs.get(key);
  if (known) return known;
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    execFile('git', ['cat-file', 'blob', sha], { cwd: bare, env: BASE_ENV, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
  if (blobBytes + bytes.length > 64 * 1024 * 1024) {
    blobs.clear();
    blobBytes = 0;
  }
  blobs.set(key, bytes);
  blobBytes += bytes.length;
  return bytes;
}

const objectTypes = new Map<string, string>();

/** `git cat-file -t`, kept per object (an object's type never changes); undefined when git has no such object. */
export async function objectType(bare: string, sha: string): Promise<string | undefined> {
  const key = `${bare}\0${sha}`;
  const known = objectTypes.get(key);
  if (known) return known;
  const r = await runGit(bare, ['cat-file', '-t', sha]);
  if (r.code !== 0) return undefined;
  const type = r.stdout.trim();
  if (SHA.test(sha)) objectTypes.set(key, type);
  return type;
}
