// A working copy of a config repo. The app keeps one warm clone per repo and resets it to
// the remote before each change; the CLI wraps the user's own checkout and refuses to
// touch uncommitted work. Changes are only ever pushed fast-forward: on a race we reset
// and let the caller re-plan on the fresh tree (see commitAndPush), never rebase text.
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { GitError } from '../errors.ts';
import type { Trailers } from '../plan.ts';
import { cloneInPlace } from './clone.ts';
import { type Author, GitRunner } from './exec.ts';
import { withTrailers } from './identity.ts';
import { normalizeRepoPath, realRootOf } from './paths.ts';
import { isBotBranch, pushBranch } from './push.ts';
import { assertSecureTransport, splitCredentials } from './remote-url.ts';
import { revertCommit } from './revert.ts';
import { formatMessage } from './trailers.ts';
import { generation, WatchedRunner } from './watched-runner.ts';
import { type Mode, OBJECT_ID, WorkingCopy, type Written } from './working-copy.ts';
import type { ConfigSnapshot } from './config-snapshot.ts';
import { recordTreeStep } from '../repo-io/tree-steps.ts';
import { gitCommitNeeded } from './plain-commit.ts';
import { CHAIN_COMMITS, commitChain } from './commit-chain.ts';
import { indexStamp, sameIndex, type IndexStamp } from './index-stamp.ts';
import { beginEarlyStatus, type EarlyStatus } from './early-status.ts';
import { attributesKeepBytes, PREWRITE_INDEX_BYTES, PREWRITE_MIN_FILES, prewritable, type Prewritten, prewriteObjects } from './prewrite.ts';
import { OPEN_ARGS, OPEN_OK } from './first-questions.ts';
import type { SpawnResult } from './spawn.ts';

export { BOT_AUTHOR, type Author } from './exec.ts';
export type { LogEntry, LogOptions, FindBotCommitOptions } from './history.ts';

export interface OpenOptions {
  dir: string;
  remoteUrl?: string;
  /** Branch to check out after a fresh clone; sync() picks the branch afterwards. */
  branch?: string;
  token?: string;
  author?: Author;
  /** Shallow clone depth, for benchmarks only: rollback needs history. */
  depth?: number;
}

export interface CommitRequest {
  subject: string;
  body?: string;
  trailers: Trailers;
  /** Repo-relative paths; exactly these are staged and committed. */
  files: string[];
}

export type { Status, StatusEntry } from './working-copy.ts';

interface SyncState {
  branch: string;
  /** HEAD, the branch checked out and the tracked files were at this commit (the files
   *  for as long as `writes` holds), and so was the remote branch as last fetched or
   *  pushed. */
  head: string;
  writes: number;
  /** Its tree, when known. */
  tree?: string;
  /** generation() of the clone when that was last seen to hold: while no command that
   *  may change it has run since, it still does. */
  seen?: number;
  /** The user's checkout: the index file when the check found it to be HEAD's tree. */
  index?: IndexStamp;
}

const syncStates = new Map<string, SyncState>();

/** At most one housekeeping check per clone this often (see Workspace.housekeep). */
const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;
const lastHousekeeping = new Map<string, number>();

// paths per `git update-index` call: well under any argument-length limit
const STAGE_BATCH = 1000;
/** Files written between two turns of the event loop (some 1–2 ms of calls). */
const WRITE_BATCH = 32;

/** Forgets what this process knew about the working copy at `dir`: another process used
 *  it since, so its tree may be anything and the next sync must reset and clean it. */
export function forgetWorkingCopy(dir: string): void {
  syncStates.delete(path.resolve(dir));
}

export class Workspace extends WorkingCopy {
  private lock: Promise<unknown> = Promise.resolve();
  /** What the last full sync of this directory left (kept per process, as the pool opens
   *  a new Workspace per event): a later sync with nothing moved or written since can
   *  skip the reset and clean, which walk the whole tree. */
  private get synced(): SyncState | undefined {
    return syncStates.get(this.dir);
  }

  private set synced(s: SyncState | undefined) {
    if (s) syncStates.set(this.dir, s);
    else syncStates.delete(this.dir);
  }

  private constructor(
    dir: string,
    runner: GitRunner,
    /** Name of the remote we sync with and push to, or null for commit-only. */
    readonly remote: string | null,
    mode: Mode,
  ) {
    super(dir, runner, mode);
  }

  /** Clones `remoteUrl` into `dir` once; later calls reuse the clone (call sync() to
   *  bring it up to date). Without `remoteUrl`, `dir` must already be a repository. */
  static async open(opts: OpenOptions): Promise<Workspace> {
    const dir = path.resolve(opts.dir);
    const { url, token } = splitCredentials(opts.remoteUrl, opts.token);
    if (url && token) assertSecureTransport(url);
    const runner = new WatchedRunner({ cwd: dir, author: opts.author, token, remoteUrl: url, hermetic: true });
    const hasRepo = await exists(path.join(dir, '.git'));
    let fresh = false;
    if (!hasRepo) {
      if (!url) throw new GitError('GIT_NO_REPO', `${dir} is not a git repository and no remote URL was given`);
      const entries = await readdir(dir).catch(() => null);
      if (entries && entries.length > 0) {
        throw new GitError('GIT_WORKSPACE_NOT_EMPTY', `${dir} exists, is not empty and is not a git clone; refusing to clone into it`);
      }
      await mkdir(dir, { recursive: true });
      const args = ['clone', '-q', '--no-checkout', '--origin', 'origin'];
      if (opts.depth) args.push(`--depth=${Math.floor(opts.depth)}`, '--no-single-branch');
      if (opts.branch) args.push('--branch', opts.branch);
      fresh = await cloneInPlace(runner, url, dir, args, `git clone ${url}`);
      if (fresh) syncStates.delete(dir);
    }
    const ws = new Workspace(dir, runner, url ? 'origin' : null, 'managed');
    if (url && !fresh) await ws.ensureOrigin(url);
    await ws.neutralizeAttributes();
    if (fresh && (await ws.resolve('HEAD'))) await runner.run(['reset', '--hard', '-q', 'HEAD']);
    return ws;
  }

  /** The clean check of the user's checkout at `dir`, begun before its lock is taken
   *  (see checkCleanSoon). */
  static beginCleanCheck(dir: string): EarlyStatus | undefined {
    return beginEarlyStatus(dir);
  }

  /** The user's own checkout (`--repo DIR`). Pushes only when the current branch has an
   *  upstream; uses the user's credentials; never discards uncommitted work. `userConfig`:
   *  commits keep the repository's signing configuration (see GitRunner); `trailers` are
   *  added to every commit made here. */
  static async local(dir: string, opts: { author?: Author; userConfig?: boolean; trailers?: Trailers; config?: ConfigSnapshot; opened?: Promise<SpawnResult | undefined> } = {}): Promise<Workspace> {
    const probe = new GitRunner({ cwd: path.resolve(dir), author: opts.author, userConfig: opts.userConfig });
    // One process for what the run needs to know first: HEAD's commit and tree, the
    // top, the git directory (the lock and commit messages live there) and the branch.
    // A HEAD with no commit yet fails it: asked apart then. `opened`: the same question
    // asked in `dir` already (the bin's early start), asked again where git failed.
    const early = await opts.opened;
    const named = early && OPEN_OK.includes(early.code) ? early : await probe.run([...OPEN_ARGS], { ok: [...OPEN_OK] });
    const lines = named.code === 0 ? named.stdout.trim().split('\n').map((l) => l.trim()) : [];
    const found =
      named.code === 0 ? lines.slice(2).join('\n') : (await probe.run(['rev-parse', '--show-toplevel', '--absolute-git-dir'], { code: 'GIT_NO_REPO', what: `${dir} is not inside a git repository; git rev-parse` })).stdout;
    const [top, gitDir, head] = found.trim().split('\n').map((l) => l.trim());
    // counted like the bot's clones: what was seen of HEAD holds while no command that
    // may move it has run since (see generation)
    const runner = new WatchedRunner({ cwd: top, author: opts.author, userConfig: opts.userConfig });
    let ws = new Workspace(top, runner, null, 'local');
    ws.configSnapshot = opts.config;
    const branch = named.code !== 0 ? await ws.currentBranch() : head?.startsWith('refs/heads/') ? head.slice('refs/heads/'.length) : null;
    const remote = branch ? await ws.config(`branch.${branch}.remote`) : null;
    if (remote && remote !== '.') {
      ws = new Workspace(top, runner, remote, 'local');
      ws.configSnapshot = opts.config;
    }
    ws.commitTrailers = opts.trailers ?? {};
    if (gitDir) ws.gitDirCache = gitDir;
    if (named.code === 0 && OBJECT_ID.test(lines[0] ?? '') && OBJECT_ID.test(lines[1] ?? '')) ws.opened = { head: lines[0], tree: lines[1] };
    return ws;
  }

  /** HEAD's commit and tree when the checkout was opened: the tree of that commit, once
   *  `git status` finds HEAD still there, without asking again. */
  private opened?: { head: string; tree: string };

  /** The checkout's config as the CLI read it at start (see readConfigSnapshot): the
   *  keys it holds are answered from it. */
  private configSnapshot?: ConfigSnapshot;

  protected override async config(key: string): Promise<string | null> {
    const snapshot = this.configSnapshot;
    if (snapshot?.covers(key)) return snapshot.get(key);
    return super.config(key);
  }

  /** Added to every commit this working copy makes (the CLI names itself in them). */
  private commitTrailers: Trailers = {};

  /** Serializes whole operations on this working copy (webhook deliveries for the same
   *  repo can arrive concurrently). Methods called inside `fn` must not call exclusive(). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Fetches and hard-resets to `<remote>/<branch>` (default branch when omitted). In the
   *  user's checkout: refuses a dirty tree (GIT_DIRTY) or unpushed commits (GIT_DIVERGED),
   *  and never deletes untracked files. `fetch: false` (the bot's clone only) resets to the
   *  remote branch as this clone last fetched or pushed it: for a caller that fetched in
   *  the same job and lets a rejected push tell it the remote moved since. */
  async sync(branch?: string, opts: { fetch?: boolean } = {}): Promise<void> {
    this.written.clear();
    this.early = undefined;
    if (this.mode === 'local') {
      await this.syncLocal(branch);
      return;
    }
    if (this.remote && opts.fetch !== false) await this.fetch();
    const b = branch ?? (await this.defaultBranch());
    const target = this.remote ? `refs/remotes/${this.remote}/${b}` : `refs/heads/${b}`;
    const s = this.synced;
    if (s && s.branch === b && s.writes === this.fileWrites) {
      // nothing fetched, committed or reset since the clone was last seen at the remote head
      if (s.seen === generation(this.dir)) return;
      // Known clean at s.head when HEAD is still there: move to the remote head touching
      // only the files that differ, and there can be no untracked files to clean. Where
      // the remote branch and HEAD are comes from one git call.
      const r = await this.runner.run(['rev-parse', `${target}^{commit}`, `${target}^{tree}`, 'HEAD', '--symbolic-full-name', 'HEAD'], { ok: [0, 128] });
      const [head, tree, at, full] = r.stdout.trim().split('\n');
      if (r.code === 0 && at === s.head && full === `refs/heads/${b}`) {
        if (head !== s.head) await this.runner.run(['reset', '-q', '--keep', head]);
        this.synced = { branch: b, head, tree, writes: this.fileWrites, seen: generation(this.dir) };
        return;
      }
    }
    const r = await this.runner.run(['rev-parse', `${target}^{commit}`, `${target}^{tree}`, '--'], { ok: [0, 128] });
    const [head, tree] = r.stdout.trim().split('\n');
    if (r.code !== 0) {
      throw new GitError('GIT_NO_BRANCH', `branch ${b} does not exist${this.remote ? ` on ${this.remote}` : ''}`);
    }
    this.synced = undefined;
    await this.runner.run(['checkout', '-q', '-f', '-B', b, target]);
    await this.runner.run(['clean', '-q', '-ffdx']);
    this.synced = { branch: b, head, tree, writes: this.fileWrites, seen: generation(this.dir) };
  }

  /** Right after a full sync with nothing written since, the files are HEAD's tree:
   *  no need to compare every file's stat data with the index. */
  override async cleanTree(): Promise<string | undefined> {
    const s = this.synced ?? this.checked;
    if (s && s.writes === this.fileWrites) {
      if (s.tree && s.seen === generation(this.dir)) return s.tree;
      const head = await this.headTree();
      if (head?.sha === s.head) return head.tree;
    }
    return super.cleanTree();
  }

  /** The user's checkout as syncLocal found it: its tracked files matched HEAD then, so
   *  planning right after need not compare them again (see cleanTree). */
  private checked?: SyncState;

  /** The branch it synced: `branch`, else the one checked out (else the default). */
  private async syncLocal(branch?: string): Promise<string> {
    this.checked = undefined;
    // where HEAD is comes with the check, from the same git process
    const found = this.takePrecheck() ?? this.checkStatus();
    const at = await this.assertClean(found);
    const current = at.branch;
    const b = branch ?? current ?? (await this.defaultBranch());
    if (b !== current) await this.runner.run(['checkout', '-q', b], { code: 'GIT_NO_BRANCH' });
    const upstream = await this.upstreamRef(b);
    if (!upstream) {
      await this.markChecked(b, b === current ? at.head : null, b === current ? (await found).index : undefined);
      return b;
    }
    await this.fetch();
    // HEAD where the remote branch is (the fetch brought nothing new for it): there is no
    // commit of ours to count, and a reset to it would only compare every file with the
    // index again, which the check just did, and wrote the index (120 ms at 10k files,
    // 550 ms at 52k, by hand)
    if (b === current && at.head && (await this.resolve(upstream)) === at.head) {
      await this.markChecked(b, at.head, (await found).index);
      return b;
    }
    const ahead = Number((await this.runner.run(['rev-list', '--count', `${upstream}..HEAD`])).stdout.trim());
    if (ahead > 0) {
      throw new GitError('GIT_DIVERGED', `branch ${b} has ${ahead} commit(s) not on ${upstream.replace('refs/remotes/', '')}; push or drop them first`);
    }
    await this.runner.run(['reset', '-q', '--hard', upstream]);
    await this.markChecked(b, null, this.stampIndex());
    return b;
  }

  /** The clean check's status, and the index file as that status left it. */
  private checkStatus(): Promise<Awaited<ReturnType<Workspace['statusEntries']>> & { index?: IndexStamp }> {
    return this.statusEntries(false).then((found) => ({ ...found, index: this.stampIndex() }));
  }

  private stampIndex(): IndexStamp | undefined {
    return indexStamp(this.gitDirCache);
  }

  /** A clean check begun ahead of the next sync (checkCleanSoon), and the checkout's
   *  generation when it began. */
  private precheck?: { seen: number; found: ReturnType<Workspace['checkStatus']> };

  /** Begins the clean check the next sync of the user's checkout starts with, so that
   *  git compares the files while the caller does other work (the CLI compiles the
   *  command's code meanwhile). The caller holds the checkout's lock already: no run of
   *  ours changes the files before that sync. `early`: a check begun before the lock was
   *  taken (see early-status.ts), taken instead when nothing of ours can have changed
   *  the checkout since it began and it found the checkout clean; else git is asked
   *  again, and a refusal always comes from a check made under the lock. */
  checkCleanSoon(early?: { status: EarlyStatus | undefined; lockedAtOnce: boolean }): void {
    if (this.mode !== 'local') return;
    const seen = generation(this.dir);
    const now = this.stampIndex();
    const e = early?.status;
    const found =
      e && early.lockedAtOnce && e.gitDir === this.realGitDir() && sameIndex(e.before, now)
        ? e.found.then((r) => (r && r.files.length === 0 && sameIndex(r.index, now) ? r : this.checkStatus()))
        : this.checkStatus();
    // a check that failed is asked again by the sync, which reports it
    found.catch(() => undefined);
    this.precheck = { seen, found };
  }

  private realGitDir(): string | undefined {
    try {
      return this.gitDirCache && realpathSync.native(this.gitDirCache);
    } catch {
      return undefined;
    }
  }

  /** The early clean check, while no command that may change the checkout has started
   *  since it began (and asked afresh should it have failed). */
  private takePrecheck(): ReturnType<Workspace['checkStatus']> | undefined {
    const early = this.precheck;
    this.precheck = undefined;
    if (!early || early.seen !== generation(this.dir)) return undefined;
    return early.found.catch(() => this.checkStatus());
  }

  /** `head`: HEAD's commit as the clean check just saw it, when nothing has moved it since. */
  private async markChecked(branch: string, head: string | null, index?: IndexStamp): Promise<void> {
    const seen = generation(this.dir);
    const stamp = index ? { index } : {};
    if (head && this.opened?.head === head) {
      this.checked = { branch, head, tree: this.opened.tree, writes: this.fileWrites, seen, ...stamp };
      return;
    }
    const now = await this.headTree();
    if (now) this.checked = { branch, head: now.sha, tree: now.tree, writes: this.fileWrites, seen, ...stamp };
  }

  async fetch(): Promise<void> {
    if (!this.remote) return;
    await this.runner.run(['fetch', '-q', '--prune', '--no-tags', this.remote], { code: 'GIT_FETCH_FAILED', what: `git fetch ${this.remote}` });
  }

  /** origin/HEAD as this clone holds it. A fetch never moves it, only `remote set-head`
   *  (below, when it is missing) does, so one answer serves every later sync and push. */
  private knownDefault?: string;

  /** The remote's default branch (origin/HEAD); without a remote, the current branch. */
  async defaultBranch(): Promise<string> {
    if (this.remote) {
      if (this.knownDefault) return this.knownDefault;
      const ref = `refs/remotes/${this.remote}/HEAD`;
      let r = await this.runner.run(['symbolic-ref', '-q', ref], { ok: [0, 1, 128] });
      if (r.code !== 0) {
        await this.runner.run(['remote', 'set-head', this.remote, '--auto'], { code: 'GIT_FETCH_FAILED' });
        r = await this.runner.run(['symbolic-ref', '-q', ref], { ok: [0, 1, 128] });
      }
      const target = r.stdout.trim();
      if (r.code === 0 && target.startsWith(`refs/remotes/${this.remote}/`)) return (this.knownDefault = target.slice(`refs/remotes/${this.remote}/`.length));
      throw new GitError('GIT_NO_DEFAULT_BRANCH', `cannot tell the default branch of ${this.remote}`);
    }
    const current = await this.currentBranch();
    if (!current) throw new GitError('GIT_DETACHED_HEAD', `${this.dir} has a detached HEAD and no remote to take the default branch from`);
    return current;
  }

  /** Sha of the remote-tracking branch as of the last fetch, or null. */
  async remoteHead(branch: string): Promise<string | null> {
    return this.remote ? this.resolve(`refs/remotes/${this.remote}/${branch}`) : null;
  }

  /** Stages exactly `files` and commits them with the bot's message and trailers.
   *  Returns the new sha, or null when those files already match HEAD (nothing to do). */
  async commit(req: CommitRequest): Promise<string | null> {
    const message = formatMessage(req);
    const files = req.files.map(normalizeRepoPath);
    if (files.length === 0) return null;
    if (this.mode === 'managed') {
      // HEAD as the bot last saw it, when no command that could move it has run since
      const known = this.knownHead();
      const head = known ?? (await this.headTree());
      const tree = await this.prewriteAndStage(files, head?.sha);
      if (!head) return this.commitMessage(message);
      // the index was HEAD's tree before these files were staged (nothing has run since
      // the bot saw it so): the new tree is that tree with these files written, which the
      // prewrite built already when each is a regular file in both
      return known ? this.commitIndex(message, head, files, tree) : this.commitIndex(message, head);
    }
    // in the user's checkout: on a branch, and with a commit yet? (as the clean check saw
    // it, while nothing has run since; else one git call for both)
    const known = this.knownHead();
    const head = known && this.checked ? { sha: known.sha, branch: this.checked.branch } : await this.headState();
    if (!head.branch) {
      throw new GitError('GIT_DETACHED_HEAD', `${this.dir} has a detached HEAD; check out a branch before committing`);
    }
    // where no hook, signing or operation in progress is there for `git commit` to
    // honour, the plumbing writes the commit it would (plain-commit.ts)
    const plain = known && !gitCommitNeeded(await this.gitDir(), this.configSnapshot) ? known : undefined;
    // the index file as the clean check left it (HEAD's tree): no one staged anything
    // since, so once ours are staged it holds HEAD and our files alone
    const untouched = sameIndex(this.checked?.index, this.stampIndex());
    const tree = await this.prewriteAndStage(files, head.sha);
    if (!head.sha) return this.commitMessage(message, ['--only', '--', ...files]);
    // (the index held HEAD's tree: the clean check found nothing staged, and no one has
    // staged anything since, so the tree the pack built is the one it now holds; it holds
    // the bytes written, which git stores as they are, so the step is recorded with them)
    if (plain && untouched) return this.commitIndex(message, plain, tree ? files : undefined, tree);
    // What the index now holds beyond HEAD: comparing the index with a tree reads no file.
    const staged = (await this.runner.run(['diff-index', '--cached', '--name-only', '-z', '--no-renames', 'HEAD', '--'])).stdout.split('\0').filter(Boolean);
    const ours = new Set(files);
    const theirs = staged.filter((f) => !ours.has(f));
    if (staged.length === theirs.length) return null;
    // In the user's checkout other changes may have been staged meanwhile: commit only
    // ours then. Otherwise the index is HEAD plus our files, and a plain commit of it
    // spares `--only` its temporary index of the whole tree and pathspec matching.
    if (theirs.length > 0) return this.commitMessage(message, ['--only', '--', ...files]);
    // (no tree step is recorded: their filters may have staged other bytes than were written)
    return plain ? this.commitIndex(message, plain) : this.commitMessage(message);
  }

  /** The bot's own clone: nothing but our files is staged (sync reset it) and no hook is
   *  run there, so the commit is written from the index directly (so too in the user's
   *  checkout when it is HEAD plus our files and nothing calls for `git commit`). `git
   *  commit` would first compare every file of the tree with the index. Null when the
   *  index is HEAD's tree (the files already matched). `head`: HEAD's commit and tree. `written`: the
   *  files the index differs from that tree in at most, when known (recorded with the
   *  new tree, see tree-steps.ts). `built`: the tree the index holds, when known without
   *  asking git (prewriteAndStage). */
  private async commitIndex(message: string, { sha: head, tree: headTree }: { sha: string; tree: string }, written?: readonly string[], built?: string): Promise<string | null> {
    const texts = written && this.takeWrittenTexts(written);
    const text = withTrailers(message, this.commitTrailers);
    // with the tree to find, its three commands run as one script, started once from here
    const made = built === undefined && CHAIN_COMMITS ? await commitChain(this.runner, head, headTree, text) : await this.commitSteps(text, head, headTree, built);
    if (!made) return null;
    if (written) recordTreeStep(headTree, made.tree, written, texts);
    this.made = made;
    // the user's checkout is theirs to pack
    if (this.mode === 'managed') await this.housekeep();
    return made.sha;
  }

  /** commitChain's commands, one by one (where there is no POSIX sh, or the tree is
   *  known: a large commit's, which the prewrite built). */
  private async commitSteps(text: string, head: string, headTree: string, built?: string): Promise<{ sha: string; tree: string } | null> {
    const tree = built ?? (await this.runner.run(['write-tree'], { code: 'GIT_COMMIT_FAILED' })).stdout.trim();
    if (tree === headTree) return null;
    // commit-tree takes the message as it is, as `commit --cleanup=verbatim` does; from its
    // stdin rather than a file: writing and removing one waited in the thread pool behind
    // the kept answers a CLI run writes meanwhile (20-70 ms before commit-tree started)
    const sha = (await this.runner.runInput(['commit-tree', tree, '-p', head], Buffer.from(text, 'utf8'), { code: 'GIT_COMMIT_FAILED' })).stdout.trim();
    // moves the checked-out branch, and only from the commit the new one builds on (a
    // HEAD the bot remembered wrongly fails here rather than losing a commit)
    await this.runner.run(['update-ref', '-m', `commit: ${text.split('\n')[0]}`, 'HEAD', sha, head], { code: 'GIT_COMMIT_FAILED' });
    return { sha, tree };
  }

  /** The bot's clone is its own to keep: every command runs with gc.auto=0 (a check
   *  after each call would cost a process), so now and then git is asked whether the
   *  loose objects and packs of its commits, fetches and prewrites (one pack each) need
   *  packing. When they do, git does it in the background. Unreachable objects go to a
   *  cruft pack rather than out as loose files. */
  private async housekeep(): Promise<void> {
    const now = Date.now();
    if (now - (lastHousekeeping.get(this.dir) ?? -Infinity) < HOUSEKEEPING_INTERVAL_MS) return;
    lastHousekeeping.set(this.dir, now);
    await this.runner.run(['-c', 'gc.auto=6700', '-c', 'gc.autoPackLimit=50', '-c', 'gc.cruftPacks=true', 'gc', '--auto', '--quiet'], { ok: [0, 1, 128, 255] }).catch(() => undefined);
  }

  /** The texts writeFile wrote to `files` since the last sync: the index holds them as
   *  written (update-index read those very files, and this clone has no filters). */
  private takeWrittenTexts(files: readonly string[]): Map<string, string> {
    const texts = new Map(this.writtenTo(files).map(([rel, w]) => [rel, w.text]));
    this.written.clear();
    return texts;
  }

  /** What writeFile wrote to those of `files` it wrote since the last sync. */
  private writtenTo(files: readonly string[]): Array<[string, Written]> {
    const out: Array<[string, Written]> = [];
    for (const rel of files) {
      const w = this.written.get(rel);
      if (w) out.push([rel, w]);
    }
    return out;
  }

  /** Whether a commit of `count` files has its objects prewritten (prewrite.ts): many
   *  files, or any where the index is large (known in a person's checkout): `write-tree`,
   *  which the pack's tree spares, reads and writes the whole index (8 MB for 52k files:
   *  180 ms of a one-image run, which took 820 -> 772 ms with the pack, medians of 7
   *  interleaved runs; at 10k files, a 1.6 MB index, the two came out even). */
  private prewriteWorth(count: number): boolean {
    return count >= PREWRITE_MIN_FILES || (count > 0 && (this.stampIndex()?.size ?? 0n) >= PREWRITE_INDEX_BYTES);
  }

  /** Starts on the objects of `writes` (path → text), which the caller is about to write
   *  and commit on HEAD as it is, while it analyzes them: the pack (see prewrite.ts; 801
   *  files, ~80 ms) is then written beside the analysis instead of after the writes.
   *  Nothing is started for few files or where HEAD is not known without asking git. */
  prewriteSoon(writes: ReadonlyMap<string, string>): void {
    const head = this.knownHead()?.sha;
    if (!this.prewriteWorth(writes.size) || !head) return;
    let encoded;
    try {
      encoded = [...writes].map(([rel, text]) => ({ text, ...this.encoded(rel, text) }));
    } catch {
      // a text its file's encoding cannot hold: writeFiles says so
      return;
    }
    this.early = this.startPrewrite(head, encoded);
  }

  private startPrewrite(head: string, encoded: ReadonlyArray<{ file: string; text: string; bytes: Buffer }>): NonNullable<Workspace['early']> {
    const bytes = new Map(encoded.map((e) => [e.file, e.bytes] as const));
    const texts = new Map(encoded.map((e) => [e.file, e.text] as const));
    const done = this.gitDir().then((dir) => prewriteObjects(this.runner, dir, head, bytes), () => undefined);
    // the bot's clone converts no file (neutralizeAttributes); the user's checkout may
    return { head, bytes, texts, done, stored: this.mode === 'managed' ? Promise.resolve(true) : this.storedAsWritten(bytes) };
  }

  /** Whether git stores each of `files` (path → bytes) as written, by the attributes
   *  that apply to it wherever they are set (.gitattributes, info/attributes, the user's
   *  core.attributesFile; see attributesKeepBytes). False when git cannot say. */
  private storedAsWritten(files: ReadonlyMap<string, Uint8Array>): Promise<boolean> {
    const input = Buffer.from([...files.keys()].map((f) => `${f}\0`).join(''));
    // it writes nothing: it runs beside the queue, as a pack does (runInput)
    return this.runner.runInput(['check-attr', '-z', '-a', '--stdin'], input).then(
      (r) => attributesKeepBytes(r.stdout, files),
      () => false,
    );
  }

  /** Writes `writes` (path → text). For many files, the objects a commit of them will
   *  need are written meanwhile (see prewrite.ts), from the same bytes, unless
   *  prewriteSoon began on these very texts. */
  async writeFiles(writes: ReadonlyMap<string, string>): Promise<void> {
    const early = this.early;
    const encoded = [...writes].map(([rel, text]) => {
      const file = normalizeRepoPath(rel);
      const bytes = early?.texts.get(file) === text ? early.bytes.get(file) : undefined;
      return bytes ? { text, file, bytes } : { text, ...this.encoded(rel, text) };
    });
    const begun = !!early && early.bytes.size === encoded.length && encoded.every((e) => early.bytes.get(e.file) === e.bytes);
    if (this.prewriteWorth(encoded.length) && !begun) {
      const head = this.knownHead()?.sha ?? (await this.resolve('HEAD'));
      if (head) this.early = this.startPrewrite(head, encoded);
    }
    const realRoot = await realRootOf(this.dir);
    for (let i = 0; i < encoded.length; i += WRITE_BATCH) {
      if (i > 0) await yieldToLoop();
      for (const e of encoded.slice(i, i + WRITE_BATCH)) this.writeEncodedSync(realRoot, e.file, e.text, e.bytes);
    }
  }

  /** A prewrite writeFiles started, for the commit that follows. */
  private early?: {
    head: string;
    bytes: ReadonlyMap<string, Buffer>;
    texts: ReadonlyMap<string, string>;
    done: Promise<Prewritten | undefined>;
    /** Whether git stores these files' bytes as written (no attribute converts them). */
    stored: Promise<boolean>;
  };

  /** HEAD's commit and tree as the last sync, commit or push left them, while no command
   *  that could move them has run since. */
  private knownHead(): { sha: string; tree: string } | undefined {
    const s = this.synced ?? this.checked;
    return s?.tree && s.seen === generation(this.dir) ? { sha: s.head, tree: s.tree } : undefined;
  }

  /** Stages `files` with their objects written (prewrite, then stage). Where the pack of
   *  these very bytes on this head is being written already (prewriteSoon, writeFiles),
   *  git hashes the files for the index meanwhile and leaves their objects to the pack:
   *  update-index would otherwise wait for the pack (~80 ms for 801 files, begun beside
   *  the analysis and often not done when the files are), or write each object loose.
   *  Should the pack fail, git writes their objects from the files. Returns the tree the
   *  index then holds when the pack built it: HEAD's tree with exactly these files, each
   *  a regular file without an execute bit (git stages it as 100644, as the pack has it),
   *  where HEAD held a regular file or none (prewrite.ts). Only while the index held
   *  HEAD's tree before (the caller knows). */
  private async prewriteAndStage(files: string[], head: string | null | undefined): Promise<string | undefined> {
    const early = this.early;
    if (early && head && early.head === head && this.packHolds(early, files) && (await early.stored)) {
      this.early = undefined;
      const [packed] = await Promise.all([early.done, this.stage(files, { objects: false })]);
      // the index holds their ids and stat data already: update-index would see nothing to
      // do, so the objects are written by hash-object, which reads the files as it does
      if (!packed) await this.runner.runInput(['hash-object', '-w', '--stdin-paths'], Buffer.from(`${files.join('\n')}\n`), { code: 'GIT_ADD_FAILED' });
      const exact = new Set(files).size === early.bytes.size && files.every((rel) => this.written.get(rel)?.plain);
      return exact ? packed?.tree : undefined;
    }
    await this.prewrite(files, head);
    await this.stage(files);
    return undefined;
  }

  /** The pack begun holds the object of every one of `files`, as this process wrote it
   *  (prewritable), when git stores those bytes
   *  (early.stored). */
  private packHolds(early: NonNullable<Workspace['early']>, files: readonly string[]): boolean {
    return (
      this.prewriteWorth(files.length) &&
      files.every((rel) => {
        const w = this.written.get(rel);
        return !!w && early.bytes.get(rel) === w.bytes && prewritable(rel);
      })
    );
  }

  /** Before a commit of many files on top of `head`: their objects written as one pack
   *  from the bytes this process wrote to them (see prewrite.ts), unless writeFiles has
   *  begun that for these very bytes on this head. */
  private async prewrite(files: readonly string[], head: string | null | undefined): Promise<void> {
    const early = this.early;
    this.early = undefined;
    if (!head || !this.prewriteWorth(files.length)) return;
    const bytes = new Map(this.writtenTo(files).map(([rel, w]) => [rel, w.bytes]));
    if (early) {
      await early.done;
      if (early.head === head && [...bytes].every(([rel, b]) => early.bytes.get(rel) === b)) return;
    }
    if (this.prewriteWorth(bytes.size)) await prewriteObjects(this.runner, await this.gitDir(), head, bytes);
  }

  /** The last commit commitIndex made, and its tree. */
  private made?: { sha: string; tree: string };

  /** Stages exactly `files` (written or removed) by name: `git add` would match each as a
   *  pathspec against every index entry, which costs seconds with thousands of files. */
  private async stage(files: string[], { objects = true } = {}): Promise<void> {
    // --info-only: the ids alone, for objects a pack holds (see prewriteAndStage)
    const only = objects ? [] : ['--info-only'];
    for (let i = 0; i < files.length; i += STAGE_BATCH) {
      await this.runner.run(['update-index', '--add', '--remove', ...only, '--', ...files.slice(i, i + STAGE_BATCH)], { code: 'GIT_ADD_FAILED' });
    }
  }

  /** Commits what is staged (or `extra` pathspec args) with a verbatim message. */
  async commitMessage(message: string, extra: string[] = []): Promise<string> {
    // a name of its own: two processes committing in one repository must never pick up
    // each other's message
    const file = path.join(await this.gitDir(), `GITOPS_CANARY_MSG.${process.pid}.${randomUUID()}`);
    await writeFile(file, withTrailers(message, this.commitTrailers), { encoding: 'utf8', flag: 'wx' });
    try {
      // the user's hooks apply to their checkout; our own clones have none to run
      const verify = this.mode === 'managed' ? ['--no-verify'] : [];
      await this.runner.run(['commit', '-q', ...verify, '--cleanup=verbatim', '-F', file, ...extra], { code: 'GIT_COMMIT_FAILED' });
    } finally {
      await rm(file, { force: true });
    }
    return this.head();
  }

  /** Pushes local `branch` to the remote branch of the same name. `force` only for bot
   *  branches (`gitops-canary/...`), never the default branch (GIT_FORCE_REFUSED). A lost
   *  race throws GIT_PUSH_REJECTED (transient). `sha`: push that commit rather than the
   *  branch's tip. */
  async push(branch: string, opts: { force?: boolean; sha?: string } = {}): Promise<void> {
    await this.pushOnly(branch, opts);
    // The bot writes only files it commits, so after pushing the checked-out branch its
    // tree is exactly what was pushed: the next job need not reset or clean it.
    if (this.mode === 'managed' && !opts.force) {
      const { sha, branch: current } = await this.headState();
      if (sha && current === branch && (!opts.sha || sha === opts.sha)) {
        const tree = this.made?.sha === sha ? this.made.tree : undefined;
        this.synced = { branch, head: sha, writes: this.fileWrites, ...(tree ? { tree } : {}), seen: generation(this.dir) };
      }
    }
  }

  private async pushOnly(branch: string, opts: { force?: boolean; sha?: string }): Promise<void> {
    if (!this.remote) throw new GitError('GIT_NO_REMOTE', `${this.dir} has no remote to push ${branch} to`);
    if (opts.force && (!isBotBranch(branch) || branch === (await this.defaultBranch()))) {
      throw new GitError('GIT_FORCE_REFUSED', `refusing to force-push ${branch}: only gitops-canary/* branches may be force-pushed`);
    }
    const dst = this.mode === 'local' ? ((await this.config(`branch.${branch}.merge`)) ?? `refs/heads/${branch}`) : `refs/heads/${branch}`;
    await pushBranch(this.runner, this.remote, opts.sha ?? `refs/heads/${branch}`, dst, opts.force ?? false);
  }

  /** Pushes the checked-out branch (after sync(branch) + commit/revert). */
  async pushCurrent(opts: { force?: boolean } = {}): Promise<void> {
    const branch = await this.currentBranch();
    if (!branch) throw new GitError('GIT_DETACHED_HEAD', `${this.dir} has a detached HEAD; nothing to push`);
    await this.push(branch, opts);
  }

  /** The fetch → apply → commit → push loop. `apply` re-plans on a fresh tree each time
   *  and returns what to commit, or null for "nothing to change". On a rejected push the
   *  tree is reset to the new remote head and `apply` runs again (never a rebase, never a
   *  force), up to `attempts` times. Without a remote it only commits. If the push
   *  finally fails, the working copy is reset to the remote so no half-done commit stays.
   *  `fetch: false`: the first attempt plans on the remote branch as last fetched or
   *  pushed (see sync); a scheduler tick stepping many apps fetches once, not per app. */
  async commitAndPush(opts: {
    branch?: string;
    attempts?: number;
    fetch?: boolean;
    apply: (ws: Workspace) => Promise<CommitRequest | null>;
  }): Promise<{ sha: string; attempts: number } | null> {
    return this.exclusive(async () => {
      const attempts = Math.max(1, opts.attempts ?? 5);
      // the user's checkout: its clean check tells which branch is checked out
      let branch = opts.branch ?? (this.mode === 'local' ? '' : await this.defaultBranch());
      let lastError: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt === 1) {
          if (this.mode === 'local') branch = await this.syncLocal(opts.branch);
          else await this.sync(branch, { fetch: opts.fetch });
        } else await this.resetToRemote(branch);
        const req = await opts.apply(this);
        if (!req) return null;
        const sha = await this.commit(req);
        if (!sha) return null;
        if (!this.remote || !(await this.upstreamRef(branch))) return { sha, attempts: attempt };
        try {
          // the commit itself, not whatever the branch points at by now: the sha reported
          // is then always the one the remote accepted
          await this.pushOnly(branch, { sha });
          // commit() moved the branch sync checked out to `sha`, from the files written
          // for it alone: the tree is what was pushed, and the remote branch is there too
          // (the next sync asks git only if something has run in the clone since)
          if (this.mode === 'managed') {
            const tree = this.made?.sha === sha ? this.made.tree : undefined;
            this.synced = { branch, head: sha, writes: this.fileWrites, ...(tree ? { tree } : {}), seen: generation(this.dir) };
          }
          return { sha, attempts: attempt };
        } catch (err) {
          lastError = err;
          if (!(err instanceof GitError) || err.code !== 'GIT_PUSH_REJECTED') {
            await this.resetToRemote(branch).catch(() => undefined);
            throw err;
          }
        }
      }
      await this.resetToRemote(branch).catch(() => undefined);
      throw new GitError('GIT_PUSH_REJECTED', `git push to ${this.remote} ${branch} rejected ${attempts} time(s): the branch keeps moving; giving up`, {}, { transient: true, cause: lastError });
    });
  }

  /** `git revert` of `sha` as one bot commit with `trailers` plus `Reverts: <sha>`;
   *  the files get their previous bytes back exactly. Null when nothing changes.
   *  Conflicts abort the revert and throw GIT_REVERT_CONFLICT naming the files. */
  async revert(sha: string, opts: { trailers: Trailers; subject?: string; body?: string }): Promise<string | null> {
    if (this.mode === 'local') await this.assertClean(this.takePrecheck());
    return revertCommit(this, sha, opts);
  }

  /** Creates (or resets) local branch `name` at `base` (a remote branch name, a local ref
   *  or a sha) and checks it out. Used to build `gitops-canary/<app>/<track>` PR branches. */
  async createBranchFrom(base: string, name: string): Promise<void> {
    if (this.mode === 'local') await this.assertClean(this.takePrecheck());
    const start = (this.remote && (await this.resolve(`refs/remotes/${this.remote}/${base}`))) || (await this.resolve(base));
    if (!start) throw new GitError('GIT_BAD_REF', `unknown base ${base} for branch ${name}`);
    await this.runner.run(['checkout', '-q', ...(this.mode === 'managed' ? ['-f'] : []), '-B', name, start], { code: 'GIT_BRANCH_FAILED' });
  }

  async checkout(ref: string): Promise<void> {
    if (this.mode === 'local') await this.assertClean(this.takePrecheck());
    if (ref.startsWith('-')) throw new GitError('GIT_BAD_REF', `invalid ref ${ref}`);
    await this.runner.run(['checkout', '-q', ...(this.mode === 'managed' ? ['-f'] : []), ref, '--'], { code: 'GIT_CHECKOUT_FAILED' });
  }

  private async resetToRemote(branch: string): Promise<void> {
    await this.fetch();
    const upstream = await this.upstreamRef(branch);
    if (upstream) await this.runner.run(['reset', '-q', '--hard', upstream]);
  }

  private async upstreamRef(branch: string): Promise<string | null> {
    if (!this.remote) return null;
    if (this.mode === 'managed') return `refs/remotes/${this.remote}/${branch}`;
    const remote = await this.config(`branch.${branch}.remote`);
    const merge = await this.config(`branch.${branch}.merge`);
    if (!remote || remote === '.' || !merge?.startsWith('refs/heads/')) return null;
    return `refs/remotes/${remote}/${merge.slice('refs/heads/'.length)}`;
  }

  private async ensureOrigin(url: string): Promise<void> {
    const r = await this.runner.run(['config', '--get-regexp', '^remote\\.origin\\.(url|fetch)$'], { ok: [0, 1] });
    const lines = r.stdout.split('\n');
    const current = lines.find((l) => l.startsWith('remote.origin.url '))?.slice('remote.origin.url '.length);
    if (current !== url) {
      // a renamed repository keeps its warm clone; the next sync resets to the new remote
      await this.runner.run(current === undefined ? ['remote', 'add', 'origin', url] : ['remote', 'set-url', 'origin', url]);
      if (current === undefined) return;
    }
    // git clone writes the remote's URL before its fetch refspec: a clone that older
    // versions left half-made (killed in between) fetched nothing into refs/remotes
    // and failed every pass on `remote set-head` for good
    if (!lines.some((l) => l.startsWith('remote.origin.fetch '))) await this.runner.run(['config', '--add', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*']);
  }

  // Repository .gitattributes (text, eol, filters) would make working-copy bytes differ
  // from blob bytes; info/attributes overrides them so what we write is what we commit.
  private async neutralizeAttributes(): Promise<void> {
    const file = path.join(await this.gitDir(), 'info', 'attributes');
    const wanted = '* -text -eol -filter -ident -working-tree-encoding\n';
    if ((await readFile(file, 'utf8').catch(() => null)) === wanted) return;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, wanted, 'utf8');
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
