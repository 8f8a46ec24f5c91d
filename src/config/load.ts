// Reads `.github/gitops-canary.yml`. Every problem is reported with file, line and the
// dotted field path, all at once: someone fixing a config in a PR should see the full
// list on the first run, not one error per push.
import { lstatSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BotError, ConfigError } from '../errors.ts';
import { LineCounter, isMap, isScalar, isSeq, parseSingleDocument, toJS, type ParsedDocument } from '../manifests/yaml.ts';
import { readRepoTextSync } from '../repo-io/read.ts';
import { madeFrom } from '../repo-io/tree-steps.ts';
import { checkConfigPaths, resolveRepoPath } from './paths.ts';
import { suggestKey } from './suggest.ts';
import { CONFIG_FILES, knownKeysAt, validateConfigValue, type Config, type SchemaIssue } from './schema.ts';
import { configPathsToCheck } from './touched.ts';

export const DEFAULT_CONFIG_FILE = CONFIG_FILES[0];

export interface ConfigIssue {
  file: string;
  line?: number;
  /** Dotted path such as `apps.podinfo.tracks.canary.filter`; empty for the whole file. */
  field: string;
  message: string;
}

/** CONFIG_INVALID with each problem as data, for callers that render them (PR comments). */
export class ConfigValidationError extends ConfigError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const [first, ...rest] = issues;
    const more = rest.map(formatIssue);
    super('CONFIG_INVALID', [first.message, ...more].join('\n'), { file: first.file, line: first.line, field: first.field || undefined });
    this.issues = issues;
  }
}

export function formatIssue(i: ConfigIssue): string {
  const where = [i.line ? `${i.file}:${i.line}` : i.file, i.field].filter(Boolean).join(' ');
  return `${where}: ${i.message}`;
}

/** `['apps','podinfo','rollout','steps',2]` → `apps.podinfo.rollout.steps[2]`. */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Line of the YAML node at `path`: the key's line for map entries (that is where people
 *  look), else the nearest existing ancestor's. */
export function lineOfPath(doc: ParsedDocument, lc: LineCounter, path: readonly (string | number)[]): number | undefined {
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lc.linePos(offset).line);
  let node: unknown = doc.contents;
  let line = lineAt((node as { range?: [number] } | null)?.range?.[0]) ?? 1;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) return line;
      line = lineAt((pair.key as { range?: [number] } | null)?.range?.[0]) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      line = lineAt((node as { range?: [number] } | null)?.range?.[0]) ?? line;
    } else {
      return line;
    }
  }
  return line;
}

function describe(issue: SchemaIssue): string {
  if (issue.choice) {
    const hint = suggestKey(issue.choice.got, issue.choice.options);
    return hint ? `${issue.message}, got ${JSON.stringify(issue.choice.got)} (did you mean "${hint}"?)` : `${issue.message}, got ${JSON.stringify(issue.choice.got)}`;
  }
  if (issue.unknownKey === undefined) return issue.message;
  const hint = suggestKey(issue.unknownKey, knownKeysAt(issue.path.slice(0, -1)));
  return hint ? `${issue.message} (did you mean "${hint}"?)` : issue.message;
}

/** Each issue's message, with a stray key and the required key it probably misspells
 *  pointing at each other, so neither hides the cause. */
function linkMisspelt(issues: readonly SchemaIssue[]): Array<{ issue: SchemaIssue; message: string }> {
  const hints = new Map<string, string>();
  for (const i of issues) {
    if (i.unknownKey === undefined) continue;
    const hint = suggestKey(i.unknownKey, knownKeysAt(i.path.slice(0, -1)));
    if (hint) hints.set(fieldPath([...i.path.slice(0, -1), hint]), i.unknownKey);
  }
  return issues.map((issue) => {
    const stray = issue.unknownKey === undefined && issue.message.startsWith('required') ? hints.get(fieldPath(issue.path)) : undefined;
    return { issue, message: stray === undefined ? describe(issue) : `${issue.message} (probably misspelt as ${JSON.stringify(stray)})` };
  });
}

export interface Parsed {
  config: Config;
  lineOf: (path: (string | number)[]) => number | undefined;
}

/** `lineOf` of config text parsed only for its lines (a config kept valid on disk, whose
 *  text is parsed again only when a problem needs a line). */
export function lineFinder(text: string): (path: (string | number)[]) => number | undefined {
  const lc = new LineCounter();
  const { doc } = parseSingleDocument(text, { lineCounter: lc, uniqueKeys: true });
  return (path) => (doc ? lineOfPath(doc, lc, path) : undefined);
}

function parseWithLines(text: string, file: string): Parsed {
  const lc = new LineCounter();
  const { doc, limit } = parseSingleDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (limit) throw new ConfigError(limit.code, limit.message, { file, line: lc.linePos(limit.offset).line });
  if (!doc) throw new ConfigValidationError([{ file, line: 1, field: '', message: 'the file is empty; expected a mapping with an "apps:" key' }]);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({ line: lc.linePos(e.pos[0]).line, message: e.message.split('\n')[0] }));
    const more = issues.slice(1).map((i) => `${file}:${i.line}: ${i.message}`);
    throw new ConfigError('CONFIG_YAML', [`YAML syntax error: ${issues[0].message}`, ...more].join('\n'), { file, line: issues[0].line });
  }
  const value = toJS(doc);
  if (value === null || value === undefined) {
    throw new ConfigValidationError([{ file, line: 1, field: '', message: 'the file is empty; expected a mapping with an "apps:" key' }]);
  }
  const lineOf = (path: (string | number)[]) => lineOfPath(doc, lc, path);
  const r = validateConfigValue(value);
  if (!r.ok) {
    const described = linkMisspelt(r.issues);
    const issues = described.map(({ issue, message }) => ({ file, line: lineOf(issue.path), field: fieldPath(issue.path), message }));
    // In file order, so the headline is the first problem a reader meets; on one line the
    // stray key goes first, since it usually explains the rest (`fliter` → filter: required).
    const order = issues.map((issue, i) => ({ issue, stray: described[i].issue.unknownKey !== undefined }));
    order.sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || Number(b.stray) - Number(a.stray));
    throw new ConfigValidationError(order.map((o) => o.issue));
  }
  return { config: r.config, lineOf };
}

/** Parses and validates config text. Throws ConfigError CONFIG_YAML (syntax) or
 *  ConfigValidationError CONFIG_INVALID (every schema and semantic problem, one a line). */
export function parseConfig(text: string, file: string = DEFAULT_CONFIG_FILE): Config {
  return parseWithLines(text, file).config;
}

/** The config's text, read like any repo file: a symlink (to /dev/zero, or anywhere), a
 *  FIFO or a file over the size limit is refused before a byte is read. */
export function readConfigText(repoDir: string, file: string): string {
  try {
    return readRepoTextSync(repoDir, file).text;
  } catch (err) {
    if (!(err instanceof BotError)) throw err;
    throw new ConfigError(err.code, err.detail, { file }, { cause: err });
  }
}

export interface LoadedConfig {
  config: Config;
  file: string;
  lineOf: (path: (string | number)[]) => number | undefined;
}

/** Which of CONFIG_FILES the checkout at `repoDir` has, or null for none; both is an error. */
export function configFileIn(repoDir: string): string | null {
  // lstat only: whether something is there, never what it points to
  const present = CONFIG_FILES.filter((f) => {
    try {
      lstatSync(join(repoDir, f));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new ConfigError('CONFIG_READ', `cannot read config: ${(err as Error).message}`, { file: f }, { cause: err });
    }
  });
  if (present.length === 0) return null;
  if (present.length > 1) {
    throw new ConfigError('CONFIG_AMBIGUOUS', `both ${CONFIG_FILES.join(' and ')} exist; keep one`, { file: present[1] });
  }
  return present[0];
}

// Every bot change loads the config of the tree it plans on, and a scheduler tick that
// steps many apps makes a new tree with each push while the config text stays the same:
// parsed and validated once per text. The paths are still checked against each tree.
const byText = new Map<string, Parsed>();
const CACHED_TEXTS = 4;

/** Parses and validates config text (see parseConfig), with its lines; loads of the same
 *  text share one answer. */
export function parseOnce(text: string, file: string): Parsed {
  const key = `${file}\0${text}`;
  let parsed = byText.get(key);
  if (parsed) {
    byText.delete(key);
  } else {
    parsed = parseWithLines(text, file);
    if (byText.size >= CACHED_TEXTS) byText.delete(byText.keys().next().value!);
  }
  byText.set(key, parsed);
  return parsed;
}

/** Loads the config of the repository checked out at `repoDir`, checking that every path
 *  stays inside it. Null when there is no config file: a plain Flux repo works without.
 *  Loads of the same text share one config object: read it, never change it. */
export function loadConfig(repoDir: string): LoadedConfig | null {
  const file = configFileIn(repoDir);
  if (file === null) return null;
  const { config, lineOf } = parseOnce(readConfigText(repoDir, file), file);
  checkConfigPaths(repoDir, config, { file, lineOf });
  return { config, file, lineOf };
}

// The scheduler ticks every repo every few minutes and most ticks find the same tree: the
// config of a tree is read and its paths checked once. A config that does not load is
// read again on every call (its error may come from the disk, not from the tree). A tree
// the bot's own commit made from one whose config is known (each step of a tick makes
// one) gets that answer once the paths the commit may have changed are checked again.
const byTree = new Map<string, LoadedConfig | null>();
const CACHED_TREES = 16;

/** loadConfig of a checkout whose tracked files are exactly `tree` (a tree id, as
 *  Workspace.cleanTree answers it), remembered per directory and tree. Without a tree (a
 *  checkout with changes) the config is loaded afresh. The result is shared between
 *  callers: read it, never change it. */
export function loadConfigAt(repoDir: string, tree: string | undefined): LoadedConfig | null {
  if (!tree) return loadConfig(repoDir);
  const dir = resolve(repoDir);
  const key = `${dir}\0${tree}`;
  let loaded = byTree.get(key);
  if (loaded === undefined) {
    const carried = carriedTo(dir, tree);
    loaded = carried === undefined ? loadConfig(repoDir) : carried;
    if (byTree.size >= CACHED_TREES) byTree.delete(byTree.keys().next().value!);
  } else {
    byTree.delete(key);
  }
  byTree.set(key, loaded);
  return loaded;
}

/** The loaded config of the nearest tree `tree` was made from (see tree-steps.ts), when
 *  the files written since leave the config text as it was and the paths they may have
 *  changed still pass; undefined otherwise (a fresh load then reports what fails). */
function carriedTo(dir: string, tree: string): LoadedConfig | null | undefined {
  const from = madeFrom(tree, (t) => byTree.has(`${dir}\0${t}`));
  if (!from) return undefined;
  const loaded = byTree.get(`${dir}\0${from.tree}`)!;
  const recheck = configPathsToCheck(loaded?.config ?? null, from.changed);
  if (recheck === null) return undefined;
  if (recheck.length === 0) return loaded;
  try {
    const root = realpathSync.native(dir);
    for (const [rel] of recheck) resolveRepoPath(dir, rel, '', {}, root);
  } catch {
    return undefined;
  }
  return loaded;
}
