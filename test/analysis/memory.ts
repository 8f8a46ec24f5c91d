// An in-memory config repo for the analyzer tests: files by path, grep as git grep does.
import type { RepoFiles } from '../../src/manifests/files.ts';

export function memoryFiles(files: Record<string, string>): RepoFiles & { greps: string[][] } {
  const greps: string[][] = [];
  return {
    root: '/memory',
    greps,
    list: async () => Object.keys(files).sort(),
    read: async (rel) => {
      if (!(rel in files)) throw new Error(`no such file ${rel}`);
      return files[rel];
    },
    grep: async (tokens) => {
      greps.push([...tokens]);
      return Object.keys(files).filter((rel) => tokens.some((t) => files[rel].includes(t)));
    },
  };
}

/** Joins lines: keeps inline YAML readable in the tests. */
export const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;
