// Read-side and file helpers of a working copy: resolving refs, reading and writing
// repo-relative files safely, status, diffs and history. Workspace adds sync, commit
// and push on top.
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { BotError, GitError } from '../errors.ts';
import { encodeText } from '../repo-io/encoding.ts';
import { maxFileSize, readRepoText, RepoFileError } from '../repo-io/read.ts';
import { writeInPlaceSync } from '../repo-io/write.ts';
import type { GitRunner } from './exec.ts';
import { findLastBotCommit, readLog, type FindBotCommitOptions, type LogEntry, type LogOptions } from './history.ts';
import { normalizeRepoPath, realRootOf, resolveInside, resolveTargetSync, symlinkRefused } from './paths.ts';
import { screenFiles } from './screen-cache.ts';
import { parseStatusV2, statusArgs, type StatusEntry } from './status-v2.ts';

export type { StatusEntry } from './status-v2.ts';

export interface Status {
  branch: string | null;
  clean: boolean;
  files: StatusEntry[];
}

export type Mode = 'managed' | 'local';

const writeCounts = new Map<string, number>();

// a full sha, SHA-1 or SHA-256
export const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** What writeFile wrote to a file. */
export interface Written {
  text: string;
  bytes: Uint8Array;
  plain: boolean;
}

export class WorkingCopy {
  /** Set by whoever learns the git directory first (Workspace.local asks git for it in
   *  the same process as the top level). */
  protected gitDirCache?: string;
  /** Files last read byte for byte (not valid UTF-8): they are written back the same way,
   *  so every byte an edit does not touch stays as it was. */
  private readonly latin1 = new Set<string>();
  /** What writeFile wrote to each file since the owner last cleared it (Workspace: since
   *  its last sync or commit): the commit writes those bytes' objects in one go, and
   *  records the texts with the tree it makes. `plain`: the file is a regular file without
   *  an execute bit (or was made new), which git stages as 100644. */
  protected readonly written = new Map<string, Written>();

  protected constructor(
    readonly dir: string,
    readonly runner: GitRunner,
    protected readonly mode: Mode,
  ) {}

  async currentBranch(): Promise<string | null> {
    const r = await this.runner.run(['symbolic-ref', '-q', '--short', 'HEAD'], { ok: [0, 1] });
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** HEAD's sha (null when unborn) and checked-out branch (null when detached), in one
   *  git call: the warm delivery path asks for both several times per event. */
  async headState(): Promise<{ sha: string | null; branch: string | null }> {
    const r = await this.runner.run(['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD'], { ok: [0, 128] });
    if (r.code !== 0) return { sha: null, branch: await this.currentBranch() };
    const [sha, full = ''] = r.stdout.trim().split('\n');
    return { sha, branch: full.startsWith('refs/heads/') ? full.slice('refs/heads/'.length) : null };
  }

  async head(): Promise<string> {
    const sha = await this.resolve('HEAD');
    if (!sha) throw new GitError('GIT_NO_COMMITS', `${this.dir} has no commits yet`);
    return sha;
  }

  /** Full sha of `ref`, or null when it does not exist. */
  async resolve(ref: string): Promise<string | null> {
    if (ref.startsWith('-')) throw new GitError('GIT_BAD_REF', `invalid ref ${ref}`);
    const r = await this.runner.run(['rev-parse', '-q', '--verify', `${ref}^{commit}`], { ok: [0, 1, 128] });
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** Tree sha of `ref`: two commits with equal trees carry the same files. */
  async tree(ref: string): Promise<string> {
    if (ref.startsWith('-')) throw new GitError('GIT_BAD_REF', `invalid ref ${ref}`);
    const r = await this.runner.run(['rev-parse', '-q', '--verify', `${ref}^{commit}^{tree}`], { ok: [0, 1, 128] });
    if (r.code !== 0) throw new GitError('GIT_BAD_REF', `unknown revision ${ref}`);
    return r.stdout.trim();
  }

  /** HEAD's commit and tree shas in one git call; null when HEAD is unborn. */
  async headTree(): Promise<{ sha: string; tree: string } | null> {
    const r = await this.runner.run(['rev-parse', 'HEAD^{commit}', 'HEAD^{tree}'], { ok: [0, 128] });
    const [sha, tree] = r.stdout.trim().split('\n');
    return r.code === 0 && OBJECT_ID.test(sha ?? '') && OBJECT_ID.test(tree ?? '') ? { sha, tree } : null;
  }

  /** The tree sha of HEAD when the tracked files match it exactly, else undefined: a key
   *  under which results derived from the files may be cached. */
  async cleanTree(): Promise<string | undefined> {
    const head = await this.headTree();
    if (!head) return undefined;
    // the commit just read, not HEAD again: the answer is about one commit
    const diff = await this.runner.run(['diff-index', '--quiet', head.sha, '--'], { ok: [0, 1] });
    return diff.code === 0 ? head.tree : undefined;
  }

  /** Text of a regular file inside the working copy. Symlinks, devices, FIFOs and files
   *  over the size limit are refused with RepoFileError naming the file. */
  async readFile(rel: string): Promise<string> {
    const file = normalizeRepoPath(rel);
    try {
      const { text, encoding } = await readRepoText(this.dir, file);
      if (encoding === 'latin1') this.latin1.add(file);
      else this.latin1.delete(file);
      return text;
    } catch (err) {
      if (err instanceof RepoFileError && err.code === 'FILE_NOT_FOUND') throw new GitError('GIT_FILE_NOT_FOUND', 'no such file in the repository', { file }, { cause: err });
      if (err instanceof BotError) throw err;
      throw new GitError('GIT_READ_FAILED', `cannot read file: ${(err as Error).message}`, { file }, { cause: err });
    }
  }

  /** Contents of `rel` at `ref` (e.g. a commit being reverted), or null when absent. */
  async readFileAt(ref: string, rel: string): Promise<string | null> {
    const sha = await this.resolve(ref);
    if (!sha) throw new GitError('GIT_BAD_REF', `unknown revision ${ref}`);
    const spec = `${sha}:${normalizeRepoPath(rel)}`;
    const r = await this.runner.run(['cat-file', '-s', spec], { ok: [0, 1, 128] });
    if (r.code !== 0) return null;
    const size = Number(r.stdout.trim());
    if (size > maxFileSize()) {
      throw new RepoFileError('FILE_TOO_LARGE', `file is ${size} bytes at ${ref}, over the limit of ${maxFileSize()} bytes (MAX_FILE_SIZE); not read`, { file: normalizeRepoPath(rel) });
    }
    return (await this.runner.run(['cat-file', 'blob', spec])).stdout;
  }

  /** Writes into this directory's files by this process, so Workspace can tell the tree
   *  is untouched since it last reset it (the clone is the bot's own; nothing else
   *  writes there). */
  protected get fileWrites(): number {
    return writeCounts.get(this.dir) ?? 0;
  }

  private wrote(): void {
    writeCounts.set(this.dir, this.fileWrites + 1);
  }

  async writeFile(rel: string, text: string): Promise<void> {
    const { file, bytes } = this.encoded(rel, text);
    await this.writeEncoded(file, text, bytes);
  }

  /** The path `rel` names and the bytes `text` is written as there. */
  protected encoded(rel: string, text: string): { file: string; bytes: Buffer } {
    const file = normalizeRepoPath(rel);
    return { file, bytes: encodeText(text, this.latin1.has(file) ? 'latin1' : 'utf8', file) };
  }

  protected async writeEncoded(file: string, text: string, bytes: Buffer): Promise<void> {
    this.writeEncodedSync(await realRootOf(this.dir), file, text, bytes);
  }

  /** writeEncoded with synchronous calls (`realRoot`: realRootOf(this.dir)), written in
   *  place (repo-io/write.ts): 801 files took 115 ms as five thread-pool round trips a
   *  file, in batches of 32. Writing many, the caller yields between batches so the
   *  event loop is never held for long. */
  protected writeEncodedSync(realRoot: string, file: string, text: string, bytes: Buffer): void {
    this.wrote();
    this.written.delete(file);
    const { abs, exists, executable } = resolveTargetSync(realRoot, file);
    if (!exists) mkdirSync(path.dirname(abs), { recursive: true });
    try {
      writeInPlaceSync(abs, bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(file, err);
      throw err;
    }
    this.written.set(file, { text, bytes, plain: !executable });
  }

  async removeFile(rel: string): Promise<void> {
    this.latin1.delete(normalizeRepoPath(rel));
    this.written.delete(normalizeRepoPath(rel));
    this.wrote();
    await rm(await resolveInside(this.dir, rel), { force: true });
  }

  /** Tracked files, repo-relative. */
  async listFiles(): Promise<string[]> {
    const { stdout } = await this.runner.run(['ls-files', '-z'], { readOnly: true });
    return stdout.split('\0').filter(Boolean);
  }

  /** Tracked files whose working-copy text contains any of the fixed strings (a cheap
   *  screen before parsing). One git process for all of them; with `tree` (the clean
   *  tree the files match) results are carried forward from earlier searches. */
  async grep(fixed: string | readonly string[], opts: { tree?: string | Promise<string | undefined> } = {}): Promise<string[]> {
    const tokens = [...new Set(typeof fixed === 'string' ? [fixed] : fixed)];
    if (tokens.length === 0) return [];
    if (tokens.includes('')) return this.listFiles();
    return screenFiles(this.runner, this.dir, tokens, opts.tree);
  }

  /** `untracked: false` lists tracked files only, sparing git a walk of every directory. */
  async status(opts: { untracked?: boolean } = {}): Promise<Status> {
    const { files, branch } = await this.statusEntries(opts.untracked !== false);
    return { branch, clean: files.length === 0, files };
  }

  /** The entries of `git status`, and where HEAD was when git compared them: its commit
   *  (null when unborn) and the branch checked out (null when detached). */
  protected async statusEntries(untracked: boolean): Promise<{ files: StatusEntry[]; head: string | null; branch: string | null }> {
    const { stdout } = await this.runner.run(statusArgs(untracked));
    return parseStatusV2(stdout);
  }

  /** Unified diff between two revisions, optionally limited to paths. */
  async diff(base: string, head: string, paths: string[] = []): Promise<string> {
    for (const ref of [base, head]) if (ref.startsWith('-')) throw new GitError('GIT_BAD_REF', `invalid ref ${ref}`);
    const { stdout } = await this.runner.run(['diff', '--no-color', '--no-ext-diff', base, head, '--', ...paths.map(normalizeRepoPath)]);
    return stdout;
  }

  /** Repo-relative paths changed between two revisions. */
  async changedFiles(base: string, head: string): Promise<string[]> {
    const { stdout } = await this.runner.run(['diff', '--name-only', '-z', '--no-renames', base, head, '--']);
    return stdout.split('\0').filter(Boolean);
  }

  log(opts: LogOptions = {}): Promise<LogEntry[]> {
    return readLog(this.runner, opts);
  }

  findLastBotCommit(opts: FindBotCommitOptions): Promise<LogEntry | null> {
    return findLastBotCommit(this.runner, opts);
  }

  /** Throws GIT_DIRTY naming the modified tracked files. Untracked files are ignored.
   *  Where HEAD was when git found the files clean. `found`: the entries of a status
   *  begun earlier (without untracked files), to judge instead of asking again. */
  async assertClean(found?: ReturnType<WorkingCopy['statusEntries']>): Promise<{ head: string | null; branch: string | null }> {
    const { files, head, branch } = await (found ?? this.statusEntries(false));
    const dirty = files.filter((f) => f.index !== '?' && f.index !== '!').map((f) => f.path);
    if (dirty.length) {
      const shown = dirty.slice(0, 10).join(', ') + (dirty.length > 10 ? `, and ${dirty.length - 10} more` : '');
      throw new GitError('GIT_DIRTY', `working tree has uncommitted changes in ${shown}; commit or stash them first`, { file: dirty[0] });
    }
    return { head, branch };
  }

  async gitDir(): Promise<string> {
    this.gitDirCache ??= (await this.runner.run(['rev-parse', '--absolute-git-dir'])).stdout.trim();
    return this.gitDirCache;
  }

  protected async config(key: string): Promise<string | null> {
    const r = await this.runner.run(['config', '--get', key], { ok: [0, 1] });
    return r.code === 0 ? r.stdout.trim() : null;
  }}

