// Config paths name files in the config repo the bot will rewrite and commit. A path that
// escapes the repo (`../`, absolute, or a symlink pointing elsewhere) would let whoever
// edits the config make the bot read or write files on the host, so all are refused.
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Config } from './schema.ts';

const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** Why a config path is unacceptable before touching the disk, or undefined when fine. */
export function staticPathProblem(rel: string): string | undefined {
  if (typeof rel !== 'string' || rel.trim() === '') return 'path is empty';
  if (rel.includes('\\')) return 'path must use "/" separators, not backslashes';
  if (rel.includes('\0')) return 'path contains a NUL byte';
  if (rel.startsWith('/') || isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return 'path must be relative to the repository root, not absolute';
  if (rel.split('/').some((seg) => seg === '..')) return 'path must not contain ".." segments';
  return undefined;
}

/** True when the path contains glob syntax (picomatch style). */
export function isGlob(rel: string): boolean {
  return GLOB_CHARS.test(rel);
}

/** The directory part of a glob before its first wildcard segment (`apps/x/*.yaml` → `apps/x`). */
export function staticPrefix(rel: string): string {
  const segs = rel.split('/');
  const i = segs.findIndex((s) => GLOB_CHARS.test(s));
  return (i < 0 ? segs : segs.slice(0, i)).filter((s) => s !== '' && s !== '.').join('/');
}

function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

/** Absolute path of `rel` inside `repoDir`. Throws ConfigError `CONFIG_PATH_OUTSIDE` naming
 *  `where` (e.g. `apps.podinfo.tracks.canary.paths[0]`) when it is absolute, has `..`,
 *  backslashes, or resolves (through symlinks) outside the repository. For globs and files
 *  that do not exist yet, the nearest existing parent is checked; callers expanding a glob
 *  should check each match again, since a symlink may hide below the static prefix. */
export function resolveRepoPath(repoDir: string, rel: string, where: string, loc: { file?: string; line?: number } = {}, root = realpathSync.native(repoDir)): string {
  const fail = (why: string): never => {
    throw new ConfigError('CONFIG_PATH_OUTSIDE', `${why}: ${JSON.stringify(rel)}`, { ...loc, field: where });
  };
  const problem = staticPathProblem(rel);
  if (problem) fail(problem);
  const target = join(root, isGlob(rel) ? staticPrefix(rel) : rel);
  let probe = target;
  // lstat, not exists: a dangling symlink must be judged, not skipped over, or writing
  // through it would create a file wherever it points.
  while (!lstatSync(probe, { throwIfNoEntry: false }) && probe !== root && dirname(probe) !== probe) probe = dirname(probe);
  let real: string;
  try {
    // the C realpath: a config of a thousand apps checks a thousand paths per load
    real = realpathSync.native(probe);
  } catch (cause) {
    throw new ConfigError('CONFIG_PATH_OUTSIDE', `cannot resolve ${JSON.stringify(rel)}: ${(cause as Error).message}`, { ...loc, field: where }, { cause });
  }
  if (!inside(root, real)) fail(`path resolves outside the repository (to ${real})`);
  return join(root, rel);
}

/** Every track path and traffic file of every app, with its config path as a key list. */
export function* configPaths(config: Config): Generator<[rel: string, path: (string | number)[]]> {
  for (const [name, app] of Object.entries(config.apps)) {
    for (const [track, spec] of Object.entries(app.tracks)) {
      for (const [i, p] of spec.paths.entries()) yield [p, ['apps', name, 'tracks', track, 'paths', i]];
    }
    if (app.traffic) yield [app.traffic.file, ['apps', name, 'traffic', 'file']];
  }
}

/** Runs resolveRepoPath over every track path and traffic file of every app. `lineOf`
 *  maps a config path (as a key list) to its line, when the caller still has the YAML.
 *  `vouched`: paths known to stay inside (see trackedConfigPaths), not looked up again. */
export function checkConfigPaths(
  repoDir: string,
  config: Config,
  opts: { file?: string; lineOf?: (path: (string | number)[]) => number | undefined; vouched?: ReadonlySet<string> } = {},
): void {
  let root: string | undefined;
  for (const [rel, path] of configPaths(config)) {
    if (opts.vouched?.has(rel)) continue;
    root ??= realpathSync.native(repoDir);
    const where = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
    // the line is looked up only for a path refused (`fail` spreads the location)
    resolveRepoPath(repoDir, rel, where, { file: opts.file, get line() { return opts.lineOf?.(path); } }, root);
  }
}

/** The config paths a clean checkout's tracked files show to stay inside the repo: a
 *  tracked regular file, or a directory (a glob's static part) holding tracked files.
 *  While git finds the checkout clean these cannot be symlinks, since git reports a
 *  tracked file behind a symlinked directory, or turned into a symlink, as changed. So
 *  for as long as the tree is clean, they need no lstat or realpath. `tracked`: the
 *  entries git compares with the work tree (not skip-worktree or assume-unchanged, which
 *  may have anything in their place); call after checkConfigPaths passed. */
export function trackedConfigPaths(repoDir: string, config: Config, tracked: readonly string[]): string[] {
  const files = new Set(tracked);
  const dirs = new Set<string>();
  for (const f of tracked) for (let i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
  const out = new Set<string>();
  for (const [rel] of configPaths(config)) {
    if (staticPathProblem(rel)) continue;
    const target = isGlob(rel) ? staticPrefix(rel) : rel;
    // `a//b`, `./a`, `a/`: the disk is asked, as spelled
    if (target !== '' && target.split('/').some((seg) => seg === '' || seg === '.')) continue;
    // the leaf's type is part of the tree: a regular file now is one while the tree is clean
    if (target === '' || dirs.has(target) || (files.has(target) && lstatSync(join(repoDir, target), { throwIfNoEntry: false })?.isFile())) out.add(rel);
  }
  return [...out];
}
