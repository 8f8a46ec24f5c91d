// Drives the CLI in-process against a user's clone of a temp bare remote, the way a
// person runs `gitops-canary` in their checkout of the config repo.
import { appendFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.ts';
import { createRemote, git, type TestRemote } from './git-remote.ts';

export const EXAMPLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/local-config-repo');

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `gitops-canary <argv>` in-process and captures both streams. */
export async function cli(argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The example config repo's files, exactly as on disk. */
export async function exampleFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(EXAMPLE_DIR, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(child);
      else files[child] = await readFile(path.join(EXAMPLE_DIR, child), 'utf8');
    }
  };
  await walk('');
  return files;
}

export interface ConfigRepo {
  remote: TestRemote;
  /** The user's clone (what `--repo` points at). */
  dir: string;
  /** Runs the CLI with `--repo <dir>` appended. */
  run(...argv: string[]): Promise<CliRun>;
  /** A file as the user's checkout holds it. */
  read(rel: string): Promise<string>;
  /** Bot commits on the remote, newest first, with their trailers (prefix stripped). */
  remoteLog(): Promise<Array<{ sha: string; subject: string; trailers: Record<string, string>; message: string; parents: string[] }>>;
  /** Files changed by one commit on the remote. */
  changed(sha: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** A bare remote seeded with `files` (default: the example repo) and a user clone of it. */
export async function configRepo(files?: Record<string, string>): Promise<ConfigRepo> {
  const remote = await createRemote({ files: files ?? (await exampleFiles()) });
  const dir = await remote.clone();
  // The user's checkout must keep bytes as written (CRLF fixtures), whatever the host
  // config says. Written as three `git config` calls would, without their processes.
  await appendFile(path.join(dir, '.git', 'config'), '[core]\n\tautocrlf = false\n[user]\n\tname = Test User\n\temail = user@example.com\n');
  return {
    remote,
    dir,
    run: (...argv) => cli([...argv, '--repo', dir]),
    read: (rel) => readFile(path.join(dir, rel), 'utf8'),
    async remoteLog() {
      return (await remote.log()).map((c) => ({ ...c, trailers: trailersOf(c.message) }));
    },
    async changed(sha) {
      return (await git(remote.bare, 'diff-tree', '--no-commit-id', '--name-only', '-r', sha)).split('\n').filter(Boolean);
    },
    cleanup: () => remote.cleanup(),
  };
}

export function trailersOf(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of message.matchAll(/^Gitops-Canary-([A-Za-z0-9-]+): (.*)$/gm)) out[m[1]] = m[2];
  return out;
}

/** `text` with every `from` replaced by `to`, asserting that `from` occurs exactly `times` times. */
export function replaceExactly(text: string, from: string, to: string, times = 1): string {
  const n = text.split(from).length - 1;
  if (n !== times) throw new Error(`expected ${times} occurrence(s) of ${JSON.stringify(from)}, found ${n}`);
  return text.split(from).join(to);
}

/** Every file on the remote branch, by path: the state Flux would apply. */
export async function remoteSnapshot(remote: TestRemote, ref = 'main'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of (await git(remote.bare, 'ls-tree', '-r', '-z', '--name-only', ref)).split('\0').filter(Boolean)) {
    out[rel] = (await remote.readOnRemote(rel, ref)) ?? '';
  }
  return out;
}
