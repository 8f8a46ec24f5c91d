// Loading a config reads the disk at a few places only: the config files (which one is
// there, and its text) and each path the config names (lstat and realpath up to the
// nearest existing parent, to refuse a path that escapes the repo). A change that writes
// a few files can change the answer only for the paths it wrote, a directory above, or a
// file below: a tick that steps many apps checks again the one route each step rewrote,
// not every path of every app (src/config/load.ts loadConfigAt).
import { configPaths, isGlob, staticPrefix } from './paths.ts';
import { CONFIG_FILES } from './names.ts';
import type { Config } from './schema.ts';

/** A path the config names, and where in the config (as checkConfigPaths walks them). */
export type ConfigPath = [rel: string, path: (string | number)[]];

interface Places {
  /** Each place (a named file, a glob's directory) and the config paths that name it. */
  exact: Map<string, ConfigPath[]>;
  /** Each directory above a place, and the config paths whose place lies below it. */
  above: Map<string, ConfigPath[]>;
  /** Paths spelt so that a repo path cannot be compared with them (`./a`, `a//b`, a glob
   *  at the root): checked again after any change. */
  always: ConfigPath[];
}

const placesOf = new WeakMap<Config, Places>();

function add(map: Map<string, ConfigPath[]>, key: string, entry: ConfigPath): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

function places(config: Config): Places {
  let p = placesOf.get(config);
  if (p) return p;
  p = { exact: new Map(), above: new Map(), always: [] };
  for (const entry of configPaths(config)) {
    const place = isGlob(entry[0]) ? staticPrefix(entry[0]) : entry[0];
    if (place === '' || place.split('/').some((seg) => seg === '' || seg === '.')) {
      p.always.push(entry);
      continue;
    }
    add(p.exact, place, entry);
    for (let i = place.indexOf('/'); i > 0; i = place.indexOf('/', i + 1)) add(p.above, place.slice(0, i), entry);
  }
  placesOf.set(config, p);
  return p;
}

const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** The config paths whose check a change writing `changed` (repo paths) may answer
 *  differently; null when it wrote a config file (or a directory above
 *  or a file below one): the config must be loaded afresh. `config` null: the tree had
 *  no config file. */
export function configPathsToCheck(config: Config | null, changed: readonly string[]): ConfigPath[] | null {
  if (changed.some((rel) => CONFIG_FILES.some((file) => related(rel, file)))) return null;
  if (!config || changed.length === 0) return [];
  const p = places(config);
  const out = new Set<ConfigPath>(p.always);
  for (const rel of changed) {
    // the place itself, or a directory above places
    for (const e of p.exact.get(rel) ?? []) out.add(e);
    for (const e of p.above.get(rel) ?? []) out.add(e);
    // a file below a place
    for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) for (const e of p.exact.get(rel.slice(0, i)) ?? []) out.add(e);
  }
  return [...out];
}
