// The few config keys a CLI run asks about (who commits, the branch's upstream, and the
// hooks directory and signing that decide whether its commit may skip `git commit`, see
// plain-commit.ts), read in one git process at its start instead of one process per key:
// on a machine where a process costs 25–40 ms, that was three of the run's twelve. A run
// lasts seconds; a key changed meanwhile is seen by the next run, as with any value git
// read at start.
import { GitRunner } from './exec.ts';
import { CONFIG_ARGS, CONFIG_KEYS, CONFIG_OK } from './first-questions.ts';
import type { SpawnResult } from './spawn.ts';

// git matches CONFIG_KEYS against the lowercased names it lists; `covers` against canonical()
const COVERED = new RegExp(CONFIG_KEYS);

export interface ConfigSnapshot {
  /** Whether `key` is one the snapshot answers (present or not). */
  covers(key: string): boolean;
  /** The value git would print for `git config --get key`: the last one set. */
  get(key: string): string | null;
}

/** Reads the keys in one `git config --get-regexp` (exit 1: none is set). Section and
 *  variable names are case-insensitive and printed in lower case; a subsection (the
 *  branch name) keeps its case, as `git config --get` matches it. */
export async function readConfigSnapshot(runner: GitRunner): Promise<ConfigSnapshot> {
  const { stdout } = await runner.run([...CONFIG_ARGS], { ok: [...CONFIG_OK] });
  return parseConfigSnapshot(stdout);
}

/** The snapshot of the checkout at `dir`, with the user's own config as git reads it.
 *  `begun`: the same question asked already, as such a runner asks it (the bin's early
 *  start); asked again where it failed, for the error to say why. */
export async function readCheckoutConfig(dir: string, begun?: Promise<SpawnResult | undefined>): Promise<ConfigSnapshot> {
  const early = await begun;
  if (early && CONFIG_OK.includes(early.code)) return parseConfigSnapshot(early.stdout);
  return readConfigSnapshot(new GitRunner({ cwd: dir, userConfig: true }));
}

/** `git config -z` output: `key\nvalue\0` per entry (`key\0` for a key without `=`). */
export function parseConfigSnapshot(stdout: string): ConfigSnapshot {
  const values = new Map<string, string>();
  for (const entry of stdout.split('\0')) {
    if (!entry) continue;
    const nl = entry.indexOf('\n');
    const raw = nl < 0 ? entry : entry.slice(0, nl);
    // a key without `=` (an implicit true) prints as an empty value with --get
    const value = nl < 0 ? '' : entry.slice(nl + 1);
    values.set(canonical(raw), value);
  }
  return {
    covers: (key) => COVERED.test(canonical(key)),
    get: (key) => values.get(canonical(key)) ?? null,
  };
}

function canonical(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return key.toLowerCase();
  // section.subsection.variable: the subsection alone is case-sensitive
  return `${key.slice(0, first).toLowerCase()}${key.slice(first, last)}${key.slice(last).toLowerCase()}`;
}
