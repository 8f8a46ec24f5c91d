// `git status --porcelain=v2` as the clean check asks it and reads its answer: a module of
// its own, which the clean check the bin begins early (early-status.ts) loads alone.

export interface StatusEntry {
  path: string;
  /** Porcelain XY codes, e.g. 'M', '?', 'D'; ' ' for unmodified. */
  index: string;
  worktree: string;
}

/** `git status` as the clean check and parseStatusV2 read it. */
export function statusArgs(untracked: boolean): string[] {
  // v2 with --branch names HEAD in the same call; ahead/behind would walk history
  return ['status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z', `--untracked-files=${untracked ? 'all' : 'no'}`];
}

// Porcelain v2, NUL-separated: `# branch.oid <sha>|(initial)`, `# branch.head
// <name>|(detached)`, then entries `1 XY sub mH mI mW hH hI path`, `2 XY sub mH mI mW hH hI
// Xscore path` followed by the original path, `u XY sub m1 m2 m3 mW h1 h2 h3 path`,
// `? path` and `! path`. v2 writes '.' where v1 wrote ' ' for an unmodified side.
export function parseStatusV2(stdout: string): { files: StatusEntry[]; head: string | null; branch: string | null } {
  const files: StatusEntry[] = [];
  let head: string | null = null;
  let branch: string | null = null;
  const parts = stdout.split('\0');
  const side = (c: string) => (c === '.' ? ' ' : c);
  // the path is what follows a fixed number of space-separated fields (it may hold spaces)
  const after = (p: string, fields: number) => {
    let at = 0;
    for (let n = 0; n < fields; n++) at = p.indexOf(' ', at) + 1;
    return p.slice(at);
  };
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith('# branch.oid ')) {
      const oid = p.slice('# branch.oid '.length);
      head = oid === '(initial)' ? null : oid;
    } else if (p.startsWith('# branch.head ')) {
      const name = p.slice('# branch.head '.length);
      branch = name === '(detached)' ? null : name;
    } else if (p.startsWith('1 ')) files.push({ index: side(p[2]), worktree: side(p[3]), path: after(p, 8) });
    else if (p.startsWith('2 ')) {
      files.push({ index: side(p[2]), worktree: side(p[3]), path: after(p, 9) });
      i++; // the original path follows
    } else if (p.startsWith('u ')) files.push({ index: side(p[2]), worktree: side(p[3]), path: after(p, 10) });
    else if (p.startsWith('? ') || p.startsWith('! ')) files.push({ index: p[0], worktree: p[0], path: p.slice(2) });
  }
  return { files, head, branch };
}
