// A commit of many files writes each new blob and tree as a loose object: a file, a
// deflate and a rename apiece. For a sidecar bumped in 800 files of a 10k-file repo that
// is ~2,300 objects and most of the commit's time (`update-index` 180 ms, the trees
// 200 ms and more, measured). `git fast-import` writes the same objects into one pack:
// fed the written files on top of HEAD, it builds every blob and tree the commit needs
// (75 ms). The commit is then made as before (`update-index`, `write-tree` or
// `git commit`), and finds each object already there instead of writing it.
//
// Only objects come out of this step: the commit fast-import makes for them is named by a
// ref of our own that the same stream deletes. If it fails, or builds something else than
// the index will hold (a file's mode, a path it was not given), the commit writes what is
// missing itself, as it always did: nothing here can change what gets committed. Its root
// tree is named too, for the commit to be made without `write-tree` (30-40 ms of a
// sidecar bump's commit, and a process) where that tree is provably the index's: git
// stores the bytes as written (the bot's clone; in a person's checkout, where no
// attribute applies to the files), each file was a regular one in HEAD or new, as `ls`
// in the same stream says, and is written as one without an execute bit, onto an index
// that held HEAD's tree.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { GitRunner } from './exec.ts';

/** Fewer files than this are committed as loose objects: a pack per small commit would
 *  soon outnumber what `git gc --auto` tolerates (50 packs). */
export const PREWRITE_MIN_FILES = 64;
/** An index this large makes the pack worth it for any commit (Workspace.prewriteWorth).
 *  The objects of a few files stay loose even so: git unpacks what fast-import wrote when
 *  it is fewer than transfer.unpackLimit objects (100 unless set). */
export const PREWRITE_INDEX_BYTES = 4n * 1024n * 1024n;

// fast-import allocates and frees a deflate buffer per object, and glibc's malloc gives the
// top of the heap back to the kernel after each free (brk down, brk up again: ~9,600
// calls for 800 blobs). Where brk is slow, as in the Firecracker VM this was measured on,
// that was 80 % of its time (830 ms against 105 ms with the heap's top kept). A threshold
// of 4 MB keeps the top for the life of this short process; other allocators ignore the
// variable, and a threshold the operator set stays theirs.
const KEEP_HEAP_TOP = 'glibc.malloc.trim_threshold=4194304';

// zlib's fastest level for the pack: deflating the blobs and the trees above them was most
// of fast-import's time, and a sidecar's 801 files packed 0.8 % larger than at the default
// level (491,598 against 487,651 bytes); the CLI's sidecar took 705 -> 621 ms (medians of
// 9 interleaved runs). The objects keep that level until a repack recompresses them.
const PACK_COMPRESSION = 1;

export function fastImportTunables(current: string | undefined): string {
  if (!current) return KEEP_HEAP_TOP;
  return /(^|:)glibc\.malloc\.trim_threshold=/.test(current) ? current : `${current}:${KEEP_HEAP_TOP}`;
}

/** What a prewrite wrote. `tree`: the root tree of `head` with every one of `files` in
 *  place as a regular file (mode 100644), when each was one there or new; the tree the
 *  index makes once they are staged from an index of `head`'s tree, where each is written
 *  as a regular file without an execute bit (Workspace.commitIndex skips write-tree). */
export interface Prewritten {
  tree?: string;
}

/** Whether prewriteObjects writes `rel`'s object: fast-import's file commands take a path
 *  as it is unless it starts with a quote or holds a line break. */
export function prewritable(rel: string): boolean {
  return !rel.startsWith('"') && !rel.includes('\n');
}

/** Writes the blobs of `files` (path → bytes, as in the working tree) and the trees of
 *  `head` with them in place, as one pack. Undefined when git refused (nothing is lost: the
 *  commit writes the objects itself). `gitDir`: where a refusing fast-import leaves its
 *  crash report, removed here. */
export async function prewriteObjects(runner: GitRunner, gitDir: string, head: string, files: ReadonlyMap<string, Uint8Array>): Promise<Prewritten | undefined> {
  const ref = `refs/gitops-canary/prewrite-${process.pid}-${randomUUID()}`;
  const parts: Uint8Array[] = [Buffer.from(`commit ${ref}\ncommitter gitops-canary <prewrite@gitops-canary.invalid> 0 +0000\ndata 0\nfrom ${head}\n`)];
  // a path fast-import would need quoted is left to the commit
  const paths = [...files.keys()].filter(prewritable);
  // each path's entry in `head` (fast-import answers `ls` on stdout, one line each, in
  // order): the tree below holds each as 100644, which stands for the index's only where
  // `head` held a regular file there or none
  for (const rel of paths) parts.push(Buffer.from(`ls ${quoted(rel)}\n`));
  for (const rel of paths) {
    const bytes = files.get(rel)!;
    parts.push(Buffer.from(`M 100644 inline ${rel}\ndata ${bytes.length}\n`), bytes, Buffer.from('\n'));
  }
  // the root tree with them in place; then `reset` without `from` deletes the ref when
  // the stream ends: only the objects stay
  parts.push(Buffer.from(`ls ""\nreset ${ref}\n\ndone\n`));
  const r = await runner.runInput(['-c', `pack.compression=${PACK_COMPRESSION}`, 'fast-import', '--quiet', '--done'], Buffer.concat(parts), { ok: [0, 1, 128], env: { GLIBC_TUNABLES: fastImportTunables(process.env.GLIBC_TUNABLES) }, fromFile: true }).catch(() => undefined);
  if (r?.code === 0) return paths.length === files.size ? { tree: treeOf(r.stdout, paths.length) } : {};
  if (r?.pid !== undefined) await rm(path.join(gitDir, `fast_import_crash_${r.pid}`), { force: true }).catch(() => undefined);
  return undefined;
}

// Attributes under which git stores other bytes than the file's whatever they are: a
// clean filter, `$Id$` collapsed, another encoding turned into UTF-8.
const CONVERTING = new Set(['filter', 'ident', 'working-tree-encoding']);
// Attributes that turn CRLF into LF as git stores a file (`* text=auto` is common): the
// bytes stay as they are where they hold no CR. (core.autocrlf is off in every command.)
const END_OF_LINE = new Set(['text', 'eol', 'crlf']);

/** Whether git stores each of `files` (path → bytes) as those bytes, by what `git
 *  check-attr -z -a` printed for them (path, attribute, value, each ended by NUL). */
export function attributesKeepBytes(checkAttr: string, files: ReadonlyMap<string, Uint8Array>): boolean {
  const fields = checkAttr.split('\0');
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [file, attr, value] = [fields[i], fields[i + 1], fields[i + 2]];
    if (value === 'unset' || value === 'unspecified') continue;
    if (CONVERTING.has(attr)) return false;
    if (END_OF_LINE.has(attr)) {
      const bytes = files.get(file);
      if (!bytes || bytes.includes(13)) return false;
    }
  }
  return true;
}

/** A path as fast-import's `ls` in a commit takes it: always quoted. */
function quoted(rel: string): string {
  return `"${rel.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The root tree from fast-import's answers: `count` entries (each `missing <path>` or a
 *  100644 blob), then `040000 tree <id>`. Undefined when any entry was something else. */
function treeOf(stdout: string, count: number): string | undefined {
  const lines = stdout.split('\n');
  if (lines.length !== count + 2 || lines[count + 1] !== '') return undefined;
  for (let i = 0; i < count; i++) {
    if (!lines[i].startsWith('missing ') && !lines[i].startsWith('100644 blob ')) return undefined;
  }
  return /^040000 tree ([0-9a-f]{40}|[0-9a-f]{64})\t$/.exec(lines[count])?.[1];
}
